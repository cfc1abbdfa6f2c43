"""Error control over a whole run: p-values from the checks' intervals and Benjamini-Hochberg.

Each sampled check controls its own false-FAIL rate at alpha/2 (a FAIL needs the two-sided 1 - alpha
interval wholly beyond the limit). A suite run holds about fifty of them, so the chance that some
check of a healthy model FAILs is larger. `--worldprior-fdr Q` judges the run's sampled checks together
instead: Benjamini and Hochberg's step-up rule (1995, JRSS B 57:289, through
scipy.stats.false_discovery_control) keeps the expected share of false FAILs among the FAILs at Q.

The rule needs one p-value per check, for the hypothesis "the quantity is within its limits". The
checks give intervals, not p-values; `p_value` reads one off the interval: the normal approximation on
the side of the interval that faces the limit, z = (distance from the estimate to the limit) / (that
half-width / z_(a/2)), p = Phi(-z). It equals a/2 exactly when the interval's end touches the limit, so
a check FAILs on its own exactly when p < a/2, and it is monotone in the distance; for symmetric t and
Welch intervals it is the test's own p-value up to t against normal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from .checks import check_alpha, check_bounds, check_number


def p_value(estimate: float, interval: tuple[float, float], lower: float | None, upper: float | None,
            alpha: float) -> float:
    """One-sided p-value (in [0, 1]) of "the quantity lies within [lower, upper]" from a two-sided
    1 - alpha interval (low, high) around `estimate` (see the module's docstring). Outside the limits
    but not significant, the p-value is above alpha/2; an estimate within the limits gives p >= 0.5.
    With both limits, the nearer violation counts (the smaller p-value). An infinite half-width facing
    the limit gives 1; a zero half-width gives 0 beyond the limit and 1 within it.

    Raises ValueError for a NaN estimate or interval end, bounds as stats.decide, or alpha not in (0, 1)."""
    estimate = check_number(estimate, "estimate")
    low, high = (check_number(v, "interval") for v in interval)
    lo, hi = check_bounds(lower, upper)
    z_alpha = stats.norm.ppf(1 - check_alpha(alpha) / 2)
    candidates = []
    if hi is not None:  # violation: the quantity is above `upper`; the lower half-width faces it
        candidates.append(_one_side(estimate - hi, estimate - low, z_alpha))
    if lo is not None:  # violation: the quantity is below `lower`; the upper half-width faces it
        candidates.append(_one_side(lo - estimate, high - estimate, z_alpha))
    return min(candidates)


def _one_side(distance: float, half_width: float, z_alpha: float) -> float:
    """p of a violation `distance` past the limit (negative: within it), seen with that half-width."""
    if not math.isfinite(half_width):
        return 1.0
    if half_width <= 0:
        return 0.0 if distance > 0 else 1.0
    return float(stats.norm.sf(distance / (half_width / z_alpha)))


def benjamini_hochberg(p_values: Sequence[float], q: float) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg adjusted p-values (scipy.stats.false_discovery_control, method "bh") and which
    hypotheses are rejected at false discovery rate q (adjusted <= q): two arrays of len(p_values).

    Raises ValueError unless q is in (0, 1) and every p-value is in [0, 1]."""
    q = check_alpha(q)
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p, np.zeros(0, dtype=bool)
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError(f"p-values must lie in [0, 1], got {p.tolist()}")
    adjusted = stats.false_discovery_control(p, method="bh")
    return adjusted, adjusted <= q


def judged_together(verdict: dict) -> bool:
    """Whether --worldprior-fdr judges this verdict (Verdict.as_dict()) with the run's others: it was
    decided from samples (an interval; not the certain bounds of a server's top-k log-probabilities)
    and it can FAIL (not an INCONCLUSIVE-by-design verdict such as a framing the model rarely answers)."""
    details = verdict.get("details") or {}
    return verdict.get("interval") is not None and verdict.get("method") != "top-k bound" and not details.get("rarely_answers")


def verdict_p_value(verdict: dict) -> float:
    """p_value of a recorded verdict (Verdict.as_dict()), at the level its interval was taken (a
    sequential check's per-look alpha)."""
    threshold = verdict["threshold"]
    lower, upper = threshold if isinstance(threshold, (list, tuple)) else (None, threshold)
    level = (verdict.get("details") or {}).get("alpha_per_look", verdict["alpha"])
    return p_value(verdict["estimate"], verdict["interval"], lower, upper, level)
