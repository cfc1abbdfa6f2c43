"""How often the line rule calls two different sentences of a base model's own text one line.

    python benchmarks/line_match_false_matches.py [n] [model]     # default 96 toasts of gemma3-270m

The model writes n continuations of the suite's wedding toast after its own first sentences (4 prefixes,
32 tokens each, as the suite's attractor check does); every complete sentence is a class
(measures.sentences). For each threshold of measures.line_match.same_line it prints:
- pairs: of all pairs of different sentences from different continuations, the share the rule calls one
  line (for a base model that writes no line twice, each such match is a false match);
- lines: how many recurring lines (held by a quarter of the continuations, two at least) the rule finds;
- returned: the share of continuations that hold a line held by at least one other continuation (what
  a recurring line would have to be built from).
"""

import itertools
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "suites"))

import thresholds  # noqa: E402 (the suite's limits, as its conftest gives them to the tests by default)
from test_attractors import WEDDING_TOAST, attractor_check  # noqa: E402 (the suite's scene and settings)

from pytest_worldprior import load_model, measures  # noqa: E402
from pytest_worldprior.measures import line_match  # noqa: E402

CHECK = attractor_check(thresholds)
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 96
    name = sys.argv[2] if len(sys.argv) > 2 else "gemma3-270m"
    model = load_model(name, cache_dir=ROOT / ".worldprior-cache")
    started = time.monotonic()
    starts = measures.clean_prefixes(model, WEDDING_TOAST, prefix_draws=8, prefixes=CHECK["prefixes"], seed=0)
    per = [n // len(starts)] * len(starts)
    texts = [g.text for drawn in model.sample_many([s.clean_context for s in starts], per,
                                                   max_new_tokens=CHECK["max_new_tokens"], seed=0) for g in drawn]
    classes = [sorted(measures.sentences(t)) for t in texts]
    pairs = [(a, b) for (i, ca), (j, cb) in itertools.combinations(enumerate(classes), 2) for a in ca for b in cb if a != b]
    print(f"{name}: {len(texts)} toasts, {sum(map(len, classes))} sentences, {len(pairs)} pairs of different "
          f"sentences from different toasts ({time.monotonic() - started:.0f} s to draw)\n")
    print("| threshold | pairs called one line | recurring lines | toasts holding a line another toast holds |")
    print("|---|---|---|---|")
    for threshold in THRESHOLDS:
        matched = sum(line_match.same_line(a, b, threshold) for a, b in pairs)
        lines = line_match.recurring_lines(classes, threshold=threshold)
        shared = sum(any(line_match.holds_line(ca, cb, threshold) for j, cb in enumerate(classes) if j != i)
                     for i, ca in enumerate(classes))
        print(f"| {threshold:.1f} | {matched}/{len(pairs)} = {matched / max(1, len(pairs)):.4%} | {len(lines)} | "
              f"{shared}/{len(texts)} |")
    examples = [(a, b) for a, b in pairs if line_match.same_line(a, b)][:5]
    print("\nPairs called one line at the default threshold:" if examples else "\nNo pair is called one line at the default.")
    for a, b in examples:
        print(f"  {a!r} ~ {b!r}")


if __name__ == "__main__":
    main()
