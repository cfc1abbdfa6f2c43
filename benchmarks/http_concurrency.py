"""Requests in flight against a server that batches: 8 at once against one at a time (issue 7 asks >= 5x).

    python benchmarks/http_concurrency.py [--delay 0.25] [--requests 32]

The server is tests/fault_server.py on 127.0.0.1: every answer waits `delay` seconds, and it serves any
number at once, as vLLM, TGI or SGLang do when they batch. Prints both wall times and their ratio.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fault_server import FaultServer  # noqa: E402

from pytest_worldprior.backends.openai.http_client import JsonClient  # noqa: E402


def timed(url: str, in_flight: int, requests: int) -> float:
    client = JsonClient(url, max_in_flight=in_flight)
    started = time.perf_counter()
    answers = client.post_many("/echo", [{"id": i} for i in range(requests)])
    elapsed = time.perf_counter() - started
    client.close()
    assert [a["id"] for a in answers] == list(range(requests))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.25)
    parser.add_argument("--requests", type=int, default=32)
    args = parser.parse_args()
    with FaultServer(delay_s=args.delay) as server:
        sequential = timed(server.url, 1, args.requests)
        concurrent = timed(server.url, 8, args.requests)
    print(f"{args.requests} requests, each answered after {args.delay:g} s")
    print(f"1 in flight: {sequential:.2f} s")
    print(f"8 in flight: {concurrent:.2f} s")
    print(f"ratio: {sequential / concurrent:.2f}x")


if __name__ == "__main__":
    main()
