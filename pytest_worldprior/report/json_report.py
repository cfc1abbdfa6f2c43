"""The session report as JSON (--worldprior-report), validated by report.schema.json."""

from __future__ import annotations

import json
import platform
from collections import Counter
from collections.abc import Iterable, Mapping
from importlib.metadata import version
from pathlib import Path

from ..files import atomic_write_text
from ..jsonsafe import jsonable
from . import lineage
from .terminal import framing_contrasts, ordered

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
SCHEMA_VERSION = 1


def document(records: Iterable[dict], models: Mapping[str, dict], settings: Mapping[str, object]) -> dict:
    """The machine-readable report (validates against report.schema.json). Nothing in it depends on
    time or on how the tests were spread over workers."""
    records = ordered(records)
    outcomes = Counter(r["verdict"]["outcome"] for r in records)
    return {
        "schema_version": SCHEMA_VERSION,
        "versions": {"pytest-worldprior": version("pytest-worldprior"), "python": platform.python_version(),
                     **{name: version(name) for name in ("pytest", "torch", "transformers", "numpy", "scipy")}},
        "settings": {key: settings[key] for key in ("model", "baseline", "seed", "device", "dtype")}
        | ({"lineage": list(settings["lineage"])} if settings.get("lineage") else {})
        | ({"baseline_seed": settings["baseline_seed"]} if settings.get("baseline_seed") is not None else {})
        | ({"fdr": settings["fdr"]} if settings.get("fdr") is not None else {})
        | ({"limits": jsonable(dict(settings["limits"]))} if settings.get("limits") else {}),
        "models": {reference: dict(models[reference]) for reference in sorted(models)},
        "summary": {"checks": len(records), **{o: outcomes.get(o, 0) for o in ("PASS", "FAIL", "INCONCLUSIVE")}},
        "framing_contrasts": jsonable(framing_contrasts(records), finite=True),
        "verdicts": jsonable(records, finite=True),  # JSON has no infinity: an unbounded end is null
    } | ({"lineage": jsonable({"checkpoints": list(settings["lineage"]),
                               "rows": lineage.rows(records, settings["lineage"])}, finite=True)}
         if settings.get("lineage") else {})


def write_json(path: str | Path, report: dict) -> None:
    """Written atomically: a reader (or a CI step) never sees half a report."""
    atomic_write_text(Path(path), json.dumps(report, indent=2, sort_keys=True, allow_nan=False) + "\n")
