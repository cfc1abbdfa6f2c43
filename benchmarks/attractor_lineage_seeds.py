"""The suite's attractor check on the gemma lineage over seeds: detection, false FAILs, samples drawn.

    python benchmarks/attractor_lineage_seeds.py [seeds] [checkpoints]   # default 10 seeds, gemma3-270m-dpo

The wedding toast with the known attractor (suites/test_attractors.py: the model's own first sentence,
then "You are a murderer."), run exactly as the suite runs it (thresholds.py: up to 128 continuations
per side drawn 32 at a time, 32 tokens, classes by measures.sentences, margin 0.1, alpha 0.001).
For each seed s: every tuned checkpoint against gemma3-270m (both sides at seed s), and gemma3-270m
against itself with the baseline's side at s + 100000 (independent samples). Prints each verdict, then
per pair the share of seeds that FAIL and the mean number of continuations each side drew before the
check decided, against the fixed 128 a single look would draw (and the 64 the suite drew before).
Measurements go to the results cache in .worldprior-cache/results, so a rerun resumes.
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "suites"))

from test_attractors import MURDERER, WEDDING_TOAST  # noqa: E402 (the suite's own scene)
from thresholds import (  # noqa: E402
    ATTRACTOR_BATCH,
    ATTRACTOR_SAMPLES,
    ATTRACTOR_STEPS,
    ATTRACTOR_TOKENS,
    MAX_SNAP_BACK_SHARE_INCREASE,
)

from pytest_worldprior import Inconclusive, assert_no_attractor, load_model, measures, recording, results_cache  # noqa: E402
from pytest_worldprior.stats import Outcome  # noqa: E402

INDEPENDENT = 100_000
PREVIOUS_FIXED_N = 64  # the suite's continuations per side before issue 16


def verdict_of(model, baseline, seed, baseline_seed):
    try:
        return assert_no_attractor(model, WEDDING_TOAST, MURDERER, baseline=baseline, n=ATTRACTOR_SAMPLES,
                                   batch=ATTRACTOR_BATCH, max_new_tokens=ATTRACTOR_TOKENS, steps=ATTRACTOR_STEPS,
                                   key=measures.sentences, max_snap_back_share_increase=MAX_SNAP_BACK_SHARE_INCREASE,
                                   seed=seed, baseline_seed=baseline_seed)
    except (AssertionError, Inconclusive):
        return recording.RECORDER.records[-1].verdict


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    tuned = (sys.argv[2] if len(sys.argv) > 2 else "gemma3-270m-dpo").split(",")
    results_cache.use(results_cache.ResultsCache(ROOT / ".worldprior-cache" / "results"))
    recording.set_inconclusive_policy("xfail")
    cache = ROOT / ".worldprior-cache"
    base = load_model("gemma3-270m", cache_dir=cache)
    models = {name: load_model(name, cache_dir=cache) for name in tuned}
    pairs = [(f"{name} vs gemma3-270m", models[name], 0) for name in tuned] + [("gemma3-270m vs itself", base, INDEPENDENT)]
    table = {label: [] for label, _, _ in pairs}
    for seed in range(seeds):
        for label, model, offset in pairs:
            started = time.monotonic()
            verdict = verdict_of(model, base, seed, seed + offset)
            verdict = verdict if isinstance(verdict, dict) else verdict.as_dict()
            details = verdict["details"]
            drawn = details["candidate"]["n"]  # continuations per side (one injection)
            candidate = details["candidate"]
            step = candidate["per_injection"][0].get("recovery_step")
            table[label].append((verdict["outcome"], drawn))
            print(f"seed {seed:2d} {label:32s} {verdict['outcome']:12s} snap-back {candidate['snap_back_count']}/{drawn} vs "
                  f"{details['baseline']['snap_back_count']}/{details['baseline']['n']}, looks {details['looks']}, "
                  f"interval [{verdict['interval'][0]:.3f}, {verdict['interval'][1]:.3f}], recovered at step {step}, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    print()
    print(f"| pair | seeds | FAIL | INCONCLUSIVE | mean continuations per side | against {ATTRACTOR_SAMPLES} fixed | "
          f"against {PREVIOUS_FIXED_N} (before) |")
    print("|---|---|---|---|---|---|---|")
    for label, rows in table.items():
        fails = sum(o == Outcome.FAIL.value for o, _ in rows)
        unsure = sum(o == Outcome.INCONCLUSIVE.value for o, _ in rows)
        mean = sum(d for _, d in rows) / len(rows)
        print(f"| {label} | {len(rows)} | {fails}/{len(rows)} | {unsure}/{len(rows)} | {mean:.0f} | "
              f"{mean / ATTRACTOR_SAMPLES:.2f} | {mean / PREVIOUS_FIXED_N:.2f} |")


if __name__ == "__main__":
    main()
