"""The benchmark suite compared with a stored baseline against the same suite compared with the live
baseline model (issue 6: at least 2x faster, and the old model not loaded at all).

    python benchmarks/stored_vs_live_baseline.py [--candidate M] [--accepted M]
        # defaults: candidate smollm2-135m-instruct, accepted gemma3-270m (the suite's default pair)

1. Records the accepted model's baselines on a copy of suites/ in a temporary folder
   (--worldprior-model ACCEPTED --worldprior-baseline ACCEPTED --worldprior-update-baselines).
2. Runs the suite on the candidate against the live accepted model, then against the stored baselines,
   one after the other, both with the results cache off so that every measurement is made.
Prints both wall times, their ratio, and checks that the stored run never loaded the accepted model.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITES = Path(__file__).resolve().parents[1] / "suites"


def pytest(folder: Path, *options: str) -> tuple[float, str, int]:
    command = [sys.executable, "-m", "pytest", str(folder), "-p", "no:cacheprovider", "-q", *options]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: some checks failed, which is the suite's business
        sys.exit(f"pytest {' '.join(options)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed, done.stdout, done.returncode


def summary(output: str) -> str:
    return output.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidate", default="smollm2-135m-instruct")
    parser.add_argument("--accepted", default="gemma3-270m")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "suites"
        shutil.copytree(SUITES, suite, ignore=shutil.ignore_patterns("__pycache__", "worldprior_baselines"))
        recording, output, _ = pytest(suite, "--worldprior-model", args.accepted, "--worldprior-baseline", args.accepted,
                                      "--worldprior-update-baselines")
        print(f"recorded {args.accepted}'s baselines in {recording:.1f} s: {summary(output)}")
        print(f"  {len(list((suite / 'worldprior_baselines').glob('*.json')))} files, "
              f"{sum(p.stat().st_size for p in (suite / 'worldprior_baselines').glob('*.json')) / 1024:.0f} KiB")
        common = ("--worldprior-model", args.candidate, "--worldprior-no-cache")
        live, live_output, _ = pytest(suite, *common, "--worldprior-baseline", args.accepted)
        stored, stored_output, _ = pytest(suite, *common, "--worldprior-baseline", "stored")
    loaded_old = f"loading {args.accepted}" in stored_output
    print(f"candidate {args.candidate} against the live {args.accepted}: {live:.1f} s ({summary(live_output)})")
    print(f"candidate {args.candidate} against its stored baselines: {stored:.1f} s ({summary(stored_output)})")
    print(f"ratio live / stored: {live / stored:.2f}x")
    print(f"accepted model loaded in the stored run: {'YES' if loaded_old else 'no'}")
    if loaded_old:
        sys.exit("the stored run loaded the accepted model")


if __name__ == "__main__":
    main()
