"""Behaviour baselines: what an accepted model did, kept as readable JSON beside the tests, so that a
candidate can be compared with it without loading the old model.

This module reads and writes the files: one JSON file per test module, validated against
`baseline.schema.json` on reading (a damaged file is an error that names the file and the problem, and is
never touched) and written atomically with sorted keys and one line per list of numbers, so that a diff in
a pull request shows only what changed.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ..errors import WorldpriorError
from ..files import atomic_write_text

SCHEMA_PATH = Path(__file__).with_name("baseline.schema.json")
SCHEMA_VERSION = 1


class BaselineFileError(WorldpriorError, ValueError):
    """A baseline file that cannot be used as it is."""


def read_file(path: Path) -> dict:
    """A baseline file's content, validated. Any problem raises BaselineFileError naming the file, what
    is wrong and how to go on; the file itself is only ever read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _damaged(path, f"it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # An unterminated string runs to the end of the file: cut off there, like an error at the very end.
        cut_off = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        problem = "it ends too early (truncated?)" if cut_off else "it is not valid JSON"
        raise _damaged(path, f"{problem}: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "".join(f"[{p!r}]" for p in first.absolute_path) or "the top level"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise _damaged(path, f"it does not match the baseline schema at {where}: {first.message}{more}") from None
    return document


def write_file(path: Path, document: dict) -> None:
    """Validate, then write atomically (temporary file and rename): readers and a crash see the old file
    or the whole new one. Sorted keys, two-space indents and lists of numbers on one line keep diffs
    small and reviewable."""
    errors = list(_validator().iter_errors(document))
    if errors:
        raise ValueError(f"refusing to write an invalid baseline to {path}: {errors[0].message}")
    from .codec import dumps

    atomic_write_text(Path(path), dumps(document))


def _damaged(path: Path, problem: str) -> BaselineFileError:
    return BaselineFileError(
        f"baseline file {path}: {problem}. The file was left as it is; restore it from version control, "
        "or record it again with --worldprior-update-baselines."
    )


@cache
def _validator():
    import jsonschema  # imported when a baseline is first read or written: most sessions never need it

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)
