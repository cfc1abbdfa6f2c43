"""Requests in flight against llama-cpp-python's server, which serves one request at a time (issue 7
expects a ratio of about 1). Needs llama-cpp-python[server] (scripts/test.sh builds it).

    python benchmarks/llama_server_concurrency.py [--samples 8] [--tokens 32]

Starts the server of tests/llama_server.py on the bundled SmolLM2 .gguf and times the backend's own
`sample` with 1 and with 8 requests in flight. Prints both wall times and their ratio.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from llama_server import LlamaServer  # noqa: E402

from pytest_worldprior import load_model  # noqa: E402
from pytest_worldprior.backends.references import bundled_gguf_path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=32)
    args = parser.parse_args()
    cache = Path(os.environ.get("WORLDPRIOR_CACHE_DIR", ".worldprior-cache"))
    with tempfile.TemporaryDirectory() as folder:
        server = LlamaServer(bundled_gguf_path("smollm2-135m-instruct", cache), Path(folder) / "server.log")
        os.environ[server.key_env] = server.key
        try:
            server.wait_until_ready()
            times = {}
            for in_flight in (1, 8):
                model = load_model(server.reference, api_key_env=server.key_env, max_in_flight=in_flight)
                started = time.perf_counter()
                model.sample("Once upon a time, there was a", args.samples, max_new_tokens=args.tokens, seed=0)
                times[in_flight] = time.perf_counter() - started
                model.close()
        finally:
            server.stop()
    print(f"{args.samples} samples of {args.tokens} tokens: {times[1]:.2f} s with 1 in flight, "
          f"{times[8]:.2f} s with 8; ratio {times[1] / times[8]:.2f}")


if __name__ == "__main__":
    main()
