#!/usr/bin/env bash
# Set up, then run the benchmark suite on the default models (gemma3-270m-dpo against its base, gemma3-270m).
# Extra arguments go to pytest, e.g. --worldprior-model ./my-checkpoint --worldprior-baseline ./my-base
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash scripts/pytest.sh suites "$@"
