"""First load of a bundled .gguf model (dequantise + write the safetensors cache) against a cached load.

    python benchmarks/gguf_cache_load.py [model]      # default: smollm2-135m-instruct

Uses a fresh temporary cache folder, so the first load really dequantises. Prints both times and their ratio.
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pytest_worldprior import load_model  # noqa: E402


def timed_load(name: str, cache_dir: str) -> float:
    start = time.perf_counter()
    model = load_model(name, cache_dir=cache_dir)
    model.next_token_logprobs(["Once upon a time"])  # ready to answer, not just constructed
    return time.perf_counter() - start


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "smollm2-135m-instruct"
    with tempfile.TemporaryDirectory() as cache_dir:
        first = timed_load(name, cache_dir)
        cached = min(timed_load(name, cache_dir) for _ in range(3))
    print(f"model: {name}")
    print(f"first load (dequantise GGUF, write cache): {first:.2f} s")
    print(f"cached load (best of 3):                   {cached:.2f} s")
    print(f"ratio: {first / cached:.1f}x")


if __name__ == "__main__":
    main()
