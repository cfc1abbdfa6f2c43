#!/usr/bin/env bash
# Set up, then run the project's tests: fast toy-model tests, pytester plugin tests and the
# real-model checks (marker real_model). This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash scripts/pytest.sh tests suites -ra --durations=15 "$@"
