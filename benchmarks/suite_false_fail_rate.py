"""False FAILs and detection of a whole suite run, over seeds, with and without --worldprior-fdr.

    python benchmarks/suite_false_fail_rate.py --checkpoints toy-base,toy-collapsed --seeds 200
    python benchmarks/suite_false_fail_rate.py --checkpoints gemma3-270m,gemma3-270m-sft,gemma3-270m-dpo --seeds 10

Each seed runs the ready suite (`suites/`) once as a lineage (--worldprior-lineage A,B,...): the first
checkpoint against itself, the baseline's side sampled with an independent seed
(--worldprior-baseline-seed seed + 100000), and every later checkpoint against the first with the same
seeds. A run of A against itself with any FAIL is a false FAIL; a run of a tuned checkpoint with a FAIL
is a detection. The exact checks give the same verdict at every seed (the results cache answers them
after the first seed); the sampled ones are drawn anew.

The --worldprior-fdr figures come from the same runs: the verdict records of each checkpoint's run are
judged by the plugin's own Benjamini-Hochberg step (plugin/fdr.py, as a run with the option does at
its end) at each Q of --fdr. Results are appended, one JSON line per seed, to --out, so an interrupted
run resumes where it stopped. Per phenomenon (checks.KINDS), each line also says whether any of its checks
FAILed, so detection is counted per phenomenon.

All seeds run in this one process (pytest.main once per seed): Python, torch and transformers are imported
once, not once a seed, which was most of a toy-pair seed's time; each run is its own pytest session
(its own WorldpriorSession, so nothing of one seed's run reaches the next). --subprocess runs each seed in
a fresh interpreter instead, as before.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEPENDENT = 100_000
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before anything imports transformers: no hub at run time


def run_seed(checkpoints: list[str], seed: int, extra: list[str], in_process: bool = True) -> tuple[dict, float]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        models = ([f"--worldprior-lineage={','.join(checkpoints)}"] if len(checkpoints) > 1
                  else [f"--worldprior-model={checkpoints[0]}", f"--worldprior-baseline={checkpoints[0]}"])
        arguments = ["suites/", "-q", "-p", "no:cacheprovider", "--no-header", *models, f"--worldprior-seed={seed}",
                     f"--worldprior-baseline-seed={seed + INDEPENDENT}", f"--worldprior-report={report}", *extra]
        started = time.monotonic()
        if in_process:
            import contextlib
            import io

            import pytest

            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                code = pytest.main(arguments)
            outcome = f"exit {int(code)}\n{output.getvalue()[-3000:]}"
        else:
            done = subprocess.run([sys.executable, "-m", "pytest", *arguments], cwd=ROOT, capture_output=True, text=True,
                                  env=dict(os.environ, COLUMNS="200"))
            outcome = f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        seconds = time.monotonic() - started
        if not report.exists():
            raise SystemExit(f"seed {seed}: no report ({outcome})")
        return json.loads(report.read_text()), seconds


def summarise(document: dict, checkpoints: list[str], fdr_levels: list[float]) -> dict:
    from pytest_worldprior import checks, stats
    from pytest_worldprior.plugin import fdr

    per_checkpoint = {}
    for checkpoint in checkpoints:
        # The checked model's verdicts (the baseline's rows of the random-choice tests never FAIL: limit 1).
        records = [r for r in document["verdicts"] if r["model"] == checkpoint]
        failed = [r["test"] for r in records if r["verdict"]["outcome"] == "FAIL"]
        entry = {"checks": len(records), "fail": len(failed), "fail_tests": sorted(set(failed))[:50],
                 "inconclusive": sum(r["verdict"]["outcome"] == "INCONCLUSIVE" for r in records),
                 "sampled_fail": sum(r["verdict"]["outcome"] == "FAIL" and r["verdict"]["interval"] is not None
                                     for r in records),
                 "sampled": sum(stats.judged_together(r["verdict"]) for r in records),
                 "fail_by_phenomenon": {p: sum(r["verdict"]["outcome"] == "FAIL" for r in records
                                               if checks.phenomenon(r["check"]) == p)
                                        for p in dict.fromkeys(checks.phenomenon(r["check"]) for r in records)}}
        for q in fdr_levels:
            copies = json.loads(json.dumps(records))
            for record in copies:  # as a run under --worldprior-fdr records it: sampled FAILs deferred
                verdict = record["verdict"]
                if verdict["outcome"] == "FAIL" and stats.judged_together(verdict):
                    verdict["details"]["fdr_deferred"] = True
                    verdict["outcome"] = "PASS"
            fdr.apply(copies, q)
            entry[f"fail_fdr_{q:g}"] = sum(r["verdict"]["outcome"] == "FAIL" for r in copies)
        per_checkpoint[checkpoint] = entry
    return per_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", required=True, help="A,B,...: A against itself, the others against A "
                        "(one name: A against itself only)")
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--fdr", default="0.05,0.01", help="false discovery rates to judge the records at")
    parser.add_argument("--out", default=None, help="JSON lines, one per seed (default: a file named after the checkpoints)")
    parser.add_argument("--subprocess", action="store_true", help="each seed in a fresh interpreter (slower: imports again)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments, after --")
    args = parser.parse_args()
    os.chdir(ROOT)  # the suite's path, and its ini file, are the repository's
    checkpoints = args.checkpoints.split(",")
    levels = [float(q) for q in args.fdr.split(",") if q]
    out = Path(args.out or f"suite_false_fail_{'_'.join(checkpoints)}.jsonl")
    done = {json.loads(line)["seed"] for line in out.read_text().splitlines()} if out.exists() else set()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        if seed in done:
            continue
        document, seconds = run_seed(checkpoints, seed, args.pytest_args, in_process=not args.subprocess)
        line = {"seed": seed, "seconds": round(seconds, 1), "checkpoints": summarise(document, checkpoints, levels)}
        with out.open("a") as handle:
            handle.write(json.dumps(line) + "\n")
        first = line["checkpoints"][checkpoints[0]]
        print(f"seed {seed}: {seconds:.0f} s; {checkpoints[0]} vs itself {first['fail']} FAIL; "
              + "; ".join(f"{c} {line['checkpoints'][c]['fail']} FAIL" for c in checkpoints[1:]), flush=True)
    report(out, checkpoints, levels)


def report(out: Path, checkpoints: list[str], levels: list[float]) -> None:
    """The table for BENCHMARKS.md: share of runs with any FAIL, per checkpoint, alone and under each Q."""
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    n = len(lines)
    header = ["checkpoint", "runs", "runs with a FAIL"] + [f"with --worldprior-fdr {q:g}" for q in levels] + ["mean FAILs per run"]
    rows = []
    for index, checkpoint in enumerate(checkpoints):
        entries = [line["checkpoints"][checkpoint] for line in lines]
        role = "against itself (false FAIL)" if index == 0 else f"against {checkpoints[0]} (detection)"
        rows.append([f"{checkpoint} {role}", n, f"{sum(e['fail'] > 0 for e in entries)}/{n}"]
                    + [f"{sum(e[f'fail_fdr_{q:g}'] > 0 for e in entries)}/{n}" for q in levels]
                    + [f"{sum(e['fail'] for e in entries) / n:.1f}"])
    from tabulate import tabulate

    print(tabulate(rows, header, tablefmt="github"))
    from pytest_worldprior import checks

    seen = {p for line in lines for c in checkpoints for p in line["checkpoints"][c].get("fail_by_phenomenon", {})}
    phenomena = [p for p in (*checks.PHENOMENA, checks.OTHER) if p in seen]
    if phenomena:  # per phenomenon: the share of runs in which at least one of its checks FAILed
        rows = [[checkpoint] + [f"{sum(line['checkpoints'][checkpoint].get('fail_by_phenomenon', {}).get(p, 0) > 0 for line in lines)}/{n}"
                                for p in phenomena] for checkpoint in checkpoints]
        print()
        print(tabulate(rows, ["runs with a FAIL, by phenomenon"] + phenomena, tablefmt="github"))
    print(f"mean seconds per seed: {sum(line['seconds'] for line in lines) / n:.0f}")


if __name__ == "__main__":
    main()
