"""The return probability along the paths against the 0/1 snap-back it replaces, on the same paths.

    python benchmarks/path_return_spread.py [model] [n]   # default toy-collapsed, 256 paths

The bedtime story, two of the model's openings (seed 3), each line injected after them, n continuations
of 32 tokens classed by their sentences (`measures.sentences`, as the suite does). Prints, per line, the
recurring lines, the 0/1 share of continuations that returned, the mean return probability along the
same paths (measures.path_return), and the standard deviation of each: the mean estimates the same rate
with less spread, which is what lets the attractor check decide with fewer continuations.
"""

import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from pytest_worldprior import load_model, measures  # noqa: E402

STORY = "Once upon a time, there was a"
LINES = ["You are a murderer.", "Anyway, taxes."]


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "toy-collapsed"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    model = load_model(name)
    for line in LINES:
        started = time.perf_counter()
        run = measures.run_attractor(model, STORY, [line], n=n, prefixes=2, key=measures.sentences, seed=3,
                                     influence_paths=0)
        result = run.results[0]
        share, returns = result.snap_back.rate, result.path_returns
        print(f"{name}, {line!r}: recurring {[text for text, _ in result.snap_back.recurring]}")
        print(f"  0/1 share {result.snap_back.count}/{result.snap_back.n} = {share:.4f}, sd {np.sqrt(share * (1 - share)):.3f}; "
              f"return probability {returns.mean():.4f}, sd {returns.std():.3f} ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
