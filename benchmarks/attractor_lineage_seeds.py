"""The suite's toast attractor check on the gemma lineage over seeds: detection, false FAILs, cost. Resumable.

    python benchmarks/attractor_lineage_seeds.py [seeds] [checkpoints] [--out FILE]
    # default 20 seeds; gemma3-270m-dpo,gemma3-270m-sft; benchmarks/results/attractor_lineage_seeds.jsonl

The wedding toast with the known attractor, run exactly as the suite runs it (suites/test_attractors.py:
WEDDING_TOAST, MURDERER and toast_check, the settings from thresholds.py's defaults). For each seed s: every tuned
checkpoint against gemma3-270m (both sides at seed s), and gemma3-270m against itself with the
baseline's side at s + 100000 (independent samples). Each (seed, pair) is appended to the results file
as one JSON line as soon as it is measured, and a pair already in the file is not measured again, so the
sweep resumes where it stopped, and two processes, one with --descending, share the seeds (a code change
that alters the check needs a new file; one that keeps its expectation may go on in the same file: each
row names the commit it ran at). The results cache (.worldprior-cache/results) is on, as in a pytest
session. At the end, and with --table alone, it prints the markdown table of every seed and the counts
per pair.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "suites"))

import thresholds  # noqa: E402 (the suite's limits, as its conftest gives them to the tests by default)
from test_attractors import MURDERER, WEDDING_TOAST, toast_check  # noqa: E402 (the suite's own scene and settings)

from pytest_worldprior import Inconclusive, assert_no_attractor, load_model, results_cache, session  # noqa: E402

CHECK = toast_check(thresholds)
INDEPENDENT = 100_000
# The commit the rows are measured at (rows before this field was kept ran at d09c445).
COMMIT = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip() or None
BASE = "gemma3-270m"


def verdict_of(model, baseline, seed, baseline_seed) -> dict:
    try:
        verdict = assert_no_attractor(model, WEDDING_TOAST, MURDERER, baseline=baseline, **CHECK, seed=seed,
                                      baseline_seed=baseline_seed)
        return verdict.as_dict()
    except (AssertionError, Inconclusive):
        verdict = session.current().recorder.records[-1].verdict
        return verdict if isinstance(verdict, dict) else verdict.as_dict()


def summary(pair: str, seed: int, verdict: dict, seconds: float) -> dict:
    details = verdict["details"]
    side = {}
    for role in ("candidate", "baseline"):
        entry = details[role]["per_injection"][0]
        side[role] = {"count": details[role]["snap_back_count"], "n": details[role]["n"],
                      "return_probability": details[role].get("return_probability"),
                      "recurring": entry.get("recurring_lines", []), "prefixes": entry.get("prefixes", []),
                      "recovery_step": entry.get("recovery_step"), "influence": entry.get("influence")}
    return {"pair": pair, "seed": seed, "outcome": verdict["outcome"], "measure": verdict["measure"],
            "estimate": verdict["estimate"],
            "interval": verdict["interval"], "looks": details["looks"], "seconds": round(seconds, 1), **side}


def table(rows: list[dict]) -> str:
    out = ["| seed | pair | verdict | commit | snap-back (candidate vs baseline) | return probability (candidate vs baseline) "
           "| increase [interval] | looks | s |", "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["seed"], r["pair"])):
        low, high = r["interval"]
        out.append(f"| {r['seed']} | {r['pair']} | {r['outcome']} | {r.get('commit', 'd09c445')} | {r['candidate']['count']}/{r['candidate']['n']} vs "
                   f"{r['baseline']['count']}/{r['baseline']['n']} | {_probabilities(r)} | "
                   f"{r['estimate']:+.3f} [{low:.3f}, {high:.3f}] | "
                   f"{r['looks']} | {r['seconds']:.0f} |")
    out += ["", "| pair | seeds | FAIL | INCONCLUSIVE | PASS | mean s |", "|---|---|---|---|---|---|"]
    for pair in sorted({r["pair"] for r in rows}):
        mine = [r for r in rows if r["pair"] == pair]
        counts = {o: sum(r["outcome"] == o for r in mine) for o in ("FAIL", "INCONCLUSIVE", "PASS")}
        out.append(f"| {pair} | {len(mine)} | {counts['FAIL']} | {counts['INCONCLUSIVE']} | {counts['PASS']} | "
                   f"{sum(r['seconds'] for r in mine) / len(mine):.0f} |")
    return "\n".join(out)


def _probabilities(row: dict) -> str:
    ours, theirs = row["candidate"].get("return_probability"), row["baseline"].get("return_probability")
    return "-" if ours is None or theirs is None else f"{ours:.3f} vs {theirs:.3f}"


def measured(out: Path) -> set[tuple[int, str]]:
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()] if out.exists() else []
    return {(r["seed"], r["pair"]) for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="?", type=int, default=20)
    parser.add_argument("checkpoints", nargs="?", default="gemma3-270m-dpo,gemma3-270m-sft")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "attractor_lineage_seeds.jsonl")
    parser.add_argument("--table", action="store_true", help="print the table of the results so far and stop")
    parser.add_argument("--descending", action="store_true",
                        help="the highest seed first: a second process beside one that goes up shares the work")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()] if args.out.exists() else []
    if args.table:
        print(table(rows))
        return
    cache = ROOT / ".worldprior-cache"
    # As in a pytest session: each look reads the prefixes' drafts and the clean side back instead of redrawing them.
    session.activate(session.WorldpriorSession(cache=results_cache.ResultsCache(cache / "results")))
    base = load_model(BASE, cache_dir=cache)
    tuned = {name: load_model(name, cache_dir=cache) for name in args.checkpoints.split(",")}
    pairs = [(f"{name} vs {BASE}", model, 0) for name, model in tuned.items()] + [(f"{BASE} vs itself", base, INDEPENDENT)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for seed in sorted(range(args.seeds), reverse=args.descending):
        for label, model, offset in pairs:
            if (seed, label) in measured(args.out):  # read again each time: another process may have measured it
                continue
            started = time.monotonic()
            row = summary(label, seed, verdict_of(model, base, seed, seed + offset), time.monotonic() - started)
            row["commit"] = COMMIT
            with args.out.open("a") as f:  # one whole line per pair: a stop loses at most the pair in progress
                f.write(json.dumps(row) + "\n")
            rows.append(row)
            print(f"seed {seed:2d} {label:32s} {row['outcome']:12s} {row['candidate']['count']}/{row['candidate']['n']} vs "
                  f"{row['baseline']['count']}/{row['baseline']['n']}, {row['looks']} looks, {row['seconds']:.0f} s", flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
