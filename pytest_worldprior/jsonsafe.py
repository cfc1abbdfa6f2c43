"""Turning results into values that `json.dumps` accepts: one helper for the whole package."""

from __future__ import annotations

import enum
import math
import sys
from typing import Any


def jsonable(x: Any, *, finite: bool = False) -> Any:
    """`x` with every container and scalar made JSON-serialisable, recursively.

    dict -> dict with str keys; list, tuple and numpy array (any shape) -> nested lists; enum member
    -> its value; numpy scalar -> the Python int, float, bool or str it holds. With `finite`, a float
    that JSON cannot hold (inf, -inf, nan) becomes None (an unbounded interval end, nothing measured);
    without, it stays as it is. Anything else is returned unchanged, so objects json cannot encode
    still fail there. Raises TypeError for a 0-d numpy array (it
    cannot be iterated); use its `.item()` or wrap it with np.atleast_1d first.
    """
    np = sys.modules.get("numpy")  # without numpy loaded there are no numpy values to convert
    if isinstance(x, dict):
        return {str(k): jsonable(v, finite=finite) for k, v in x.items()}
    if isinstance(x, (list, tuple)) or (np is not None and isinstance(x, np.ndarray)):
        return [jsonable(v, finite=finite) for v in x]
    if isinstance(x, enum.Enum):
        return x.value
    if np is not None and isinstance(x, np.generic):
        x = x.item()
    if finite and isinstance(x, float) and not math.isfinite(x):
        return None
    return x
