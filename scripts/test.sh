#!/usr/bin/env bash
# Set up, then run the project's tests: fast toy-model tests, pytester plugin tests, the suite run on
# the toy pair (tests/test_suite.py) and the real-model checks (marker real_model). This is what CI
# runs (.ci/run). The suite on the default models is the main job, scripts/suite.sh: it gates a model,
# so it may rightly fail.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The tuning recipe's smoke test (tests/test_tuned_models.py) needs trl, the train extra; the main job does not.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements-lock.txt -e '.[train]'

# tests/test_html_report.py opens the HTML report in headless Chromium (Debian's package `chromium`):
# installed here, quietly, when missing. Without it that test fails and names the install command
# (outside CI, WORLDPRIOR_SKIP_BROWSER=1 turns the failure into a reported skip; docs/verdicts.md).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    chromium_log=.venv/chromium-install.log
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$chromium_log" 2>&1 \
      || { echo "ERROR: installing chromium failed; the end of $chromium_log:" >&2; tail -20 "$chromium_log" >&2; exit 1; }
  else
    echo "WARNING: chromium is missing and this is not root with apt-get: tests/test_html_report.py will fail;" \
         "install it with: apt-get install -y chromium" >&2
  fi
fi

# tests/test_openai_server.py starts llama-cpp-python's OpenAI-compatible server, which builds from
# source (about 8 minutes on 2 cores, once): no CPU-specific instructions, no llava library (the server
# does not need it for a text model).
server_tests=tests/test_openai_server.py
build_log=.venv/llama-cpp-build.log
build_llama() {
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c requirements-lock.txt 'llama-cpp-python[server]' >"$build_log" 2>&1 \
    || { echo "ERROR: building llama-cpp-python failed; the end of $build_log:" >&2; tail -30 "$build_log" >&2; return 1; }
}
if .venv/bin/python -c "import llama_cpp.server" 2>/dev/null; then
  exec bash scripts/pytest.sh tests -ra --durations=15 "$@"
fi
if [ "$#" -gt 0 ]; then  # a run of your own choosing: build first, then run it as asked
  build_llama
  exec bash scripts/pytest.sh tests -ra --durations=15 "$@"
fi
# The whole run (CI): build while the other tests run, then run the server tests.
build_llama &
build=$!
status=0
bash scripts/pytest.sh tests -ra --durations=15 --ignore="$server_tests" || status=$?
wait "$build" || exit 1
bash scripts/pytest.sh "$server_tests" -ra || { second=$?; [ "$status" -ne 0 ] || status=$second; }
exit "$status"
