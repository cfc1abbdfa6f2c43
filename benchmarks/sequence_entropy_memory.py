"""Peak memory of the measures that walk sampled paths over a large vocabulary (issue 17).

Each variant runs in a fresh interpreter on one source tree (a checkout of pytest-worldprior): it loads
the model, makes one small warm-up measurement (lazy imports, allocator pools), reads its resident set
size (RSS), resets the kernel's peak-RSS mark (/proc/self/clear_refs, "5"), makes the measurement and
reads the peak (VmHWM). The figure is peak minus the RSS before: what the measurement itself held at
its worst, torch's allocations included (tracemalloc does not see those).

    git worktree add /tmp/before HEAD
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/sequence_entropy_memory.py --before /tmp/before --after .
    git worktree remove /tmp/before

--measure picks sequence_entropy (the default: 32 paths x 16 tokens), prior_shift (4 prompts x 16 tokens,
the model against itself), influence (32 paths x 16 steps) or first_token (256 single-token samples after
a prompt of 484 tokens on gemma3-270m: the output head at the last position only, or at every one); --model any
model reference (default gemma3-270m, 262,144 tokens). Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

PROMPT = "Q: Are bugs real?\nA:"
PRIOR_PROMPTS = ["Q: Are bugs real?\nA:", "Once upon a time", "The capital of France is", "def main():"]
LONG_PROMPT = "Once upon a time, there was a little fox who lived at the edge of a quiet wood. " * 24 + "The fox said"

# Runs in the child, inside the tree under test: prints one JSON line.
CHILD = r"""
import json, sys, time
import pytest_worldprior
from pytest_worldprior import load_model, measures

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")

name, measure, prompt, prior_prompts, long_prompt = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5]
model = load_model(name)

def run(n, tokens):
    if measure == "first_token":
        return float(measures.sampled_next_token_entropy(model, long_prompt, n * 8, seed=0).estimate)
    if measure == "sequence_entropy":
        return float(measures.sequence_entropy(model, prompt, n, max_new_tokens=tokens, seed=0).estimate)
    if measure == "prior_shift":
        return float(measures.prior_shift(model, model, prior_prompts[: max(1, n // 8)],
                                          continuation_tokens=tokens, seed=0).mean_kl)
    injection = measures.inject(model, prompt, "The moon is made of cheese.", position=4)
    return float(measures.influence_curve(model, injection, steps=tokens, n=n, seed=0,
                                          enumerate_paths=False).total)

run(2, 2)  # warm-up: lazy imports and first-call allocations stay out of the figure
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak-RSS mark restarts from the current RSS
start = time.perf_counter()
value = run(32, 16)
seconds = time.perf_counter() - start
print(json.dumps({"source": pytest_worldprior.__file__, "rss_before": before, "peak": status("VmHWM"),
                  "value": value, "seconds": seconds}))
"""


def measure_tree(tree: Path, model: str, measure: str) -> dict:
    """Run the measurement in a fresh interpreter that imports pytest_worldprior from `tree`."""
    env = dict(os.environ, PYTHONPATH=str(tree), HF_HUB_OFFLINE="1")
    # The worktree has no model cache of its own: share this checkout's (dequantised weights, toy models).
    env.setdefault("WORLDPRIOR_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".worldprior-cache"))
    result = subprocess.run([sys.executable, "-c", CHILD, model, measure, PROMPT, json.dumps(PRIOR_PROMPTS), LONG_PROMPT],
                            cwd=tree, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"the measurement in {tree} failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    source = Path(figures["source"]).resolve()
    if not source.is_relative_to(tree.resolve()):
        raise SystemExit(f"the child imported pytest_worldprior from {source}, not from {tree}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="source tree of the code before (a git worktree)")
    parser.add_argument("--after", type=Path, default=Path("."), help="source tree of the code after (default: .)")
    parser.add_argument("--model", default="gemma3-270m")
    parser.add_argument("--measure", default="sequence_entropy", choices=["sequence_entropy", "prior_shift", "influence", "first_token"])
    parser.add_argument("--repeats", type=int, default=3, help="fresh interpreters per tree (the largest figure is kept)")
    args = parser.parse_args()
    if not Path("/proc/self/clear_refs").exists():
        parser.error("this benchmark reads and resets the peak RSS through /proc: it runs on Linux only")
    for tree in (args.before, args.after):
        if not (tree / "pytest_worldprior" / "__init__.py").is_file():
            parser.error(f"{tree} is not a pytest-worldprior source tree (no pytest_worldprior/__init__.py)")
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    held: dict[str, list[int]] = {"before": [], "after": []}
    trees = {"before": args.before, "after": args.after}
    for _ in range(args.repeats):  # alternating, so that both see the same machine state
        for label, tree in trees.items():
            figures = measure_tree(tree, args.model, args.measure)
            held[label].append(figures["peak"] - figures["rss_before"])
            print(f"{label:6} ({tree}): peak {figures['peak'] / 2**20:7.0f} MiB, before the measurement "
                  f"{figures['rss_before'] / 2**20:7.0f} MiB, held by it {held[label][-1] / 2**20:6.0f} MiB; "
                  f"{figures['seconds']:.1f} s; value {figures['value']:.6f}", flush=True)
    mib = {label: f"{min(values) / 2**20:.0f}-{max(values) / 2**20:.0f} MiB" for label, values in held.items()}
    # The conservative ratio: the most the code after held against the least the code before held.
    ratio = max(held["after"]) / min(held["before"])
    print(f"{args.measure} on {args.model}, held over {args.repeats} runs each: before {mib['before']}, after "
          f"{mib['after']}; after (largest) / before (smallest) = {ratio:.3f}")


if __name__ == "__main__":
    main()
