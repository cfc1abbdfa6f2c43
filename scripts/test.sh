#!/usr/bin/env bash
# Set up, then run the project's tests: fast toy-model tests, pytester plugin tests, the suite run on
# the toy pair (tests/test_suite.py) and the real-model checks (marker real_model). This is what CI
# runs (.ci/run). The suite on the default models is the main job, scripts/suite.sh: it gates a model,
# so it may rightly fail.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash scripts/pytest.sh tests -ra --durations=15 "$@"
