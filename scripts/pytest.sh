#!/usr/bin/env bash
# Run pytest from .venv offline. Exit code 5 (nothing collected) is reported as a failure: a run that
# tested nothing must never pass as green.
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/python -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "ERROR: pytest collected no tests (exit code 5); treating this as a failure." >&2
  exit 1
fi
exit "$status"
