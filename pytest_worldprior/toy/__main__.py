"""python -m pytest_worldprior.toy: retrain the shipped seed-0 toy pair (toy/weights/) with train.py's recipe, or
(--check) retrain it elsewhere and say whether this machine reproduces the shipped files bit for bit."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ..errors import ModelLoadError
from .shipped import SHIPPED_DIR, SHIPPED_SEED, differences, read_manifest, write_shipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_worldprior.toy",
        description="Train the toy base/collapsed pair (seed 0) and write it with its manifest of sha256.")
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR,
                        help=f"folder for base/, collapsed/ and the manifest (default: the package's own, {SHIPPED_DIR})")
    parser.add_argument("--check", action="store_true",
                        help="train into a temporary folder and compare with the shipped files; change nothing")
    args = parser.parse_args(argv)
    if args.check:
        try:
            shipped = read_manifest(SHIPPED_DIR)
        except ModelLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        with tempfile.TemporaryDirectory(prefix="toy-check-") as tmp:
            problems = differences(write_shipped(Path(tmp), SHIPPED_SEED)["files"], shipped["files"])
        for problem in problems:
            print(f"differs: {problem}")
        if not problems:
            print(f"identical: training here reproduces every file of {SHIPPED_DIR}")
        return 1 if problems else 0
    manifest = write_shipped(args.out, SHIPPED_SEED)
    for name, sha256 in manifest["files"].items():
        print(f"{sha256}  {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
