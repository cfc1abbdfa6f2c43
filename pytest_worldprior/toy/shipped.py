"""The seed-0 toy pair shipped inside the package (toy/weights/), so that `toy-base` and `toy-collapsed` are the
same weights on every machine: training gives slightly different floats from one machine (CPU, BLAS, library
versions) to the next, and with them different samples and different stopping points of sequential checks.

`worldprior-manifest.json` beside the two folders holds the sha256 of every shipped file and the recipe that
trained them; `shipped_pair` checks the files against it before they are used. `python -m pytest_worldprior.toy`
retrains the pair with the project's own recipe (train.py) and rewrites the folder and the manifest."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import ModelLoadError
from ..files import sha256_file
from . import train
from .train import ToyPair

SHIPPED_DIR = Path(__file__).resolve().parent / "weights"
SHIPPED_SEED = 0
MANIFEST_FILE = "worldprior-manifest.json"
MANIFEST_FORMAT = 1
_LIBRARIES = ("torch", "transformers", "tokenizers", "safetensors")
_REBUILD = "reinstall pytest-worldprior, or retrain the pair with python -m pytest_worldprior.toy"


def recipe() -> dict:
    """The hyper-parameters of train.py, as the manifest records them."""
    return {"vocab_size": train.VOCAB_SIZE, "max_len": train.MAX_LEN, "base_steps": train.BASE_STEPS,
            "base_lr": train.BASE_LR, "tune_steps": train.TUNE_STEPS, "tune_lr": train.TUNE_LR,
            "batch_size": train.BATCH_SIZE}


def toy_pair(cache_dir: str | os.PathLike, seed: int = SHIPPED_SEED) -> ToyPair:
    """The toy pair for `seed`: the shipped one for seed 0 (checked against its manifest), otherwise trained
    once into `cache_dir` (train.build_toy_pair)."""
    if seed == SHIPPED_SEED:
        return shipped_pair()
    return train.build_toy_pair(cache_dir, seed)


def shipped_pair(directory: Path | None = None) -> ToyPair:
    """The shipped pair's two folders, after checking every file against the manifest. Raises ModelLoadError
    when the manifest is missing or unreadable, or a file is missing, changed or not in the manifest."""
    directory = SHIPPED_DIR if directory is None else Path(directory)
    check_files(directory, read_manifest(directory))
    return ToyPair(directory / "base", directory / "collapsed")


def read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except FileNotFoundError:
        raise ModelLoadError(f"The toy pair's manifest {path} is missing: {_REBUILD}.") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{path} is not a toy-pair manifest ({type(exc).__name__}: {exc}): {_REBUILD}.") from None
    if not isinstance(files, dict) or not files:
        raise ModelLoadError(f"{path} lists no files: {_REBUILD}.")
    return manifest


def file_hashes(directory: Path) -> dict[str, str]:
    """sha256 of every file under `directory` except the manifest, keyed by its path relative to `directory`
    ('/'-separated)."""
    return {p.relative_to(directory).as_posix(): sha256_file(p)
            for p in sorted(directory.rglob("*")) if p.is_file() and p.name != MANIFEST_FILE}


def differences(found: dict[str, str], expected: dict[str, str]) -> list[str]:
    """How two {relative path: sha256} maps differ, one line per file; empty when they are equal."""
    problems = [f"{name} is missing" for name in sorted(set(expected) - set(found))]
    problems += [f"{name} is not in the manifest" for name in sorted(set(found) - set(expected))]
    problems += [f"{name} has sha256 {found[name][:12]}..., the manifest {expected[name][:12]}..."
                 for name in sorted(set(found) & set(expected)) if found[name] != expected[name]]
    return problems


def check_files(directory: Path, manifest: dict) -> None:
    """Raise ModelLoadError unless the files under `directory` are exactly the manifest's, with its hashes."""
    if problems := differences(file_hashes(directory), manifest["files"]):
        raise ModelLoadError(f"The toy pair in {directory} does not match its manifest ({'; '.join(problems)}): "
                             f"{_REBUILD}.")


def write_shipped(out: Path, seed: int = SHIPPED_SEED, **steps: int) -> dict:
    """Train the pair for `seed` with train.py's recipe and write it to `out` (base/, collapsed/ and the
    manifest, replacing what was there); return the manifest. `steps` (base_steps=, tune_steps=) shorten the
    run for tests; a shortened run is recorded as such in the manifest's recipe."""
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="toy-pair-") as tmp:
        train._build_into(Path(tmp), seed, **steps)
        out.mkdir(parents=True, exist_ok=True)
        (out / MANIFEST_FILE).unlink(missing_ok=True)  # no manifest while the folders change: loading refuses
        for name in ("base", "collapsed"):
            shutil.rmtree(out / name, ignore_errors=True)
            shutil.copytree(Path(tmp) / name, out / name)
    manifest = {
        "format": MANIFEST_FORMAT,
        "toy_kit_version": train.TOY_KIT_VERSION,
        "seed": seed,
        "recipe": {**recipe(), **steps},
        "libraries": _library_versions(),
        "files": file_hashes(out),
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def _library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("pytest-worldprior", *_LIBRARIES):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "absent"
    return versions
