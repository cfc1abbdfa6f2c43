"""python -m pytest_worldprior.tuning: rebuild the lineage adapters (docs/lineage.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..backends.references import ADAPTERS_DIR
from ..errors import ModelLoadError
from ..files import resolve_cache_dir
from .recipe import FULL, SMOKE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_worldprior.tuning",
        description="Tune the bundled gemma3-270m into gemma3-270m-sft and gemma3-270m-dpo (LoRA; peft and trl).")
    parser.add_argument("--out", type=Path, default=ADAPTERS_DIR,
                        help=f"folder for the two adapter folders (default: the package's own, {ADAPTERS_DIR})")
    parser.add_argument("--smoke", action="store_true",
                        help="a few steps on tiny batches, to check that the recipe runs (needs --out elsewhere)")
    parser.add_argument("--cache-dir", default=None, help="where the dequantised base model is cached "
                        "(default: as --worldprior-cache-dir)")
    args = parser.parse_args(argv)
    if args.smoke and args.out.resolve() == ADAPTERS_DIR.resolve():
        parser.error("--smoke would overwrite the committed adapters with untrained ones: give --out DIR as well")
    from .train import train_lineage

    try:
        manifests = train_lineage(SMOKE if args.smoke else FULL, args.out, resolve_cache_dir(args.cache_dir))
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, manifest in manifests.items():
        print(f"{name}: {args.out / name}  steps={manifest.steps}  final loss={manifest.final_loss:.4f}  "
              f"{manifest.train_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
