"""Argument validation shared by the stats modules.

Each helper returns the checked value (as float, int or a float numpy array) and raises ValueError
with a message that names the offending argument, so that a bad call says which input was wrong.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

PROB_TOL = 1e-6  # how far a probability vector may sum from 1


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """`alpha` as a float; ValueError unless it is a real number strictly between 0 and 1."""
    if not isinstance(alpha, (int, float, np.number)) or not 0 < float(alpha) < 1:
        raise ValueError(f"{name} must be a number in (0, 1), got {alpha!r}")
    return float(alpha)


def check_int(x: Any, name: str, minimum: int) -> int:
    """`x` as an int; ValueError unless it is a whole number (not bool or str) >= minimum."""
    try:
        value = None if isinstance(x, (str, bool)) else int(x) if float(x).is_integer() else None
    except (TypeError, ValueError, OverflowError):
        value = None
    if value is None or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {x!r}")
    return value


def check_number(x: Any, name: str) -> float | None:
    """`x` as a float (None stays None); ValueError if it is not a number or is NaN (inf is allowed)."""
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if math.isnan(value):
        raise ValueError(f"{name} is NaN")
    return value


def check_array(x: Any, name: str, *, nonneg: bool = False, allow_neg_inf: bool = False) -> np.ndarray:
    """`x` as a float array of any shape; ValueError if it is empty or holds NaN, +inf, -inf (unless
    allow_neg_inf) or, with nonneg, negative values."""
    a = np.asarray(x, dtype=float)
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    if np.isnan(a).any():
        raise ValueError(f"{name} contains NaN")
    if np.isposinf(a).any() or (not allow_neg_inf and np.isneginf(a).any()):
        raise ValueError(f"{name} contains infinite values")
    if nonneg and (a < 0).any():
        raise ValueError(f"{name} contains negative values")
    return a


def check_probs(p: Any, name: str) -> np.ndarray:
    """Probability vectors along the last axis, shape (..., K): finite, >= 0, each summing to 1
    within PROB_TOL; ValueError otherwise. Returned as given, not renormalised."""
    a = check_array(p, name, nonneg=True)
    total = a.sum(axis=-1)
    if np.any(np.abs(total - 1) > PROB_TOL):
        raise ValueError(f"{name} must sum to 1 (tolerance {PROB_TOL:g}) along the last axis, got {total}")
    return a


def check_logits(logprobs: Any, name: str) -> np.ndarray:
    """Logits or log-probabilities, shape (..., V): finite or -inf (an impossible token); ValueError
    for NaN, +inf, or a row (last axis) that is -inf throughout."""
    a = check_array(logprobs, name, allow_neg_inf=True)
    if np.isneginf(a).all(axis=-1).any():
        raise ValueError(f"{name} has a row where every entry is -inf")
    return a


def check_counts(counts: Any, name: str = "counts") -> np.ndarray:
    """Category counts, shape (K,): finite, >= 0, positive total (need not be integers); ValueError
    otherwise."""
    a = check_array(counts, name, nonneg=True)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if a.sum() <= 0:
        raise ValueError(f"{name} must have a positive total")
    return a


def check_bounds(lower: Any, upper: Any) -> tuple[float | None, float | None]:
    """(lower, upper) as floats, None for an open side; ValueError if both are None, either is NaN
    or not a number, or lower > upper."""
    lo, hi = check_number(lower, "lower"), check_number(upper, "upper")
    if lo is None and hi is None:
        raise ValueError("give lower, upper or both")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"lower ({lo}) must be <= upper ({hi})")
    return lo, hi


def check_temperature(t: Any, name: str = "temperature") -> float:
    """A sampling temperature: a finite number above 0 (a bool is refused). Returns it as a float;
    raises ValueError naming the value otherwise (0 is greedy decoding, which is not sampling)."""
    ok = not isinstance(t, bool) and isinstance(t, (int, float, np.number)) and math.isfinite(t) and t > 0
    if not ok:
        hint = ("; temperature 0 means greedy decoding, which is not sampling: use a small value such as 0.01"
                if isinstance(t, (int, float)) and t == 0 else "")
        raise ValueError(f"{name} must be a finite number above 0, got {t!r}{hint}")
    return float(t)
