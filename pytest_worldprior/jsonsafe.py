"""Turning results into values that `json.dumps` accepts: one helper for the whole package."""

from __future__ import annotations

import enum
from typing import Any

import numpy as np


def jsonable(x: Any) -> Any:
    """`x` with every container and scalar made JSON-serialisable, recursively.

    dict -> dict with str keys; list, tuple and numpy array (any shape) -> nested lists; enum member
    -> its value; numpy scalar -> the Python int, float, bool or str it holds. Anything else is
    returned unchanged, so non-finite floats stay nan/inf (json.dumps writes them as NaN/Infinity)
    and objects json cannot encode still fail there. Raises TypeError for a 0-d numpy array (it
    cannot be iterated); use its `.item()` or wrap it with np.atleast_1d first.
    """
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in x]
    if isinstance(x, enum.Enum):
        return x.value
    if isinstance(x, np.generic):
        return x.item()
    return x
