"""Sequential checks: sample in batches and stop as soon as the confidence interval decides.

The error rate is controlled over all looks by Bonferroni: with L possible looks each interval is
taken at level 1 - alpha / L, so a wrong PASS or FAIL has probability at most alpha overall.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import check_alpha, check_array, check_bounds, check_int
from .degenerate import all_equal_mean_interval
from .intervals import bootstrap_interval, t_interval
from .verdicts import Outcome, Verdict, decide


def _schedule(alpha, batch, max_n, min_n) -> tuple[float, list[int]]:
    """Look sizes and the per-look alpha (Bonferroni over the maximum number of looks).

    Looks happen at n = min_n, min_n + batch, ... and finally at max_n; if every look's interval
    covers the truth with probability >= 1 - alpha/L, a wrong decision has probability <= alpha."""
    alpha = check_alpha(alpha)
    batch, min_n = check_int(batch, "batch", 1), check_int(min_n, "min_n", 1)
    max_n = check_int(max_n, "max_n", min_n)
    looks = list(range(min_n, max_n, batch)) + [max_n]
    return alpha / len(looks), looks


def sequential_mean(draw_values: Callable[[int], Any], *, lower: float | None = None,
                    upper: float | None = None, alpha: float = 1e-3, batch: int = 16,
                    max_n: int = 256, min_n: int = 16, seed: int | None = 0, interval: str = "t",
                    n_resamples: int = 9999, label: str = "mean",
                    all_equal_interval: Callable[[float, int, float], tuple[float, float]] | None = None) -> Verdict:
    """Sample in batches until the interval of the mean of a real-valued per-sample quantity (in its own
    units; at the per-look alpha, see _schedule) is wholly inside [lower, upper] (PASS) or wholly outside
    (FAIL); INCONCLUSIVE at max_n otherwise. draw_values(k) returns k finite floats (any shape with k
    elements); looks are at n = min_n, min_n + batch, ... and max_n.

    interval "t" (t_interval, i.e. scipy.stats.ttest_1samp's interval) or "bootstrap" (BCa with
    `seed` and `n_resamples`). If all values so far are equal the spread is unknown, and the interval
    is the exact bound of stats.degenerate instead: `all_equal_interval(value, n, alpha_per_look)`,
    by default all_equal_mean_interval over (-inf, inf), which decides nothing; give the quantity's
    range (or an entropy's bound) to let a collapsed sample decide (details["degenerate"] True).
    Bootstrap tails at the small per-look alpha need many resamples; "t" is the safer default.
    Returns a Verdict with method "sequential-t" or "sequential-bootstrap" ("sequential-all-equal" when
    the exact bound decided) and details looks,
    max_looks, alpha_per_look, spending, std, degenerate. Raises ValueError for an unknown
    interval, bad bounds (as decide), alpha not in (0, 1), batch or min_n not an integer >= 1, max_n
    not an integer >= min_n, or a draw that does not give k
    finite values; exceptions from draw_values propagate."""
    if interval not in ("t", "bootstrap"):
        raise ValueError(f'interval must be "t" or "bootstrap", got {interval!r}')
    lo, hi = check_bounds(lower, upper)
    a_look, looks = _schedule(alpha, batch, max_n, min_n)
    values = np.empty(0)
    for look, target in enumerate(looks, 1):
        k = target - values.size
        new = check_array(draw_values(k), "draw_values(k)").ravel()
        if new.size != k:
            raise ValueError(f"draw_values(k) must return {k} values, got {new.size}")
        values = np.concatenate([values, new])
        mean = float(values.mean())
        degenerate = np.ptp(values) == 0
        if degenerate:  # no spread: the exact bound on the mass of the one value seen (stats.degenerate)
            ci = (all_equal_interval or _unbounded)(float(values[0]), int(values.size), a_look)
        elif interval == "t":
            ci = t_interval(values, a_look)
        else:
            ci = bootstrap_interval(values, np.mean, a_look, seed, n_resamples=n_resamples)
        outcome = decide(mean, ci, lower=lo, upper=hi)
        if outcome is not Outcome.INCONCLUSIVE:
            break
    details = {"looks": look, "max_looks": len(looks), "alpha_per_look": a_look,
               "spending": "bonferroni", "std": float(values.std(ddof=1)) if values.size > 1 else 0.0,
               "degenerate": bool(degenerate)}
    method = "sequential-all-equal" if degenerate else f"sequential-{interval}"
    return Verdict(outcome, mean, ci, (lo, hi), int(values.size), method, alpha,
                   seed, label, details)


def _unbounded(value: float, n: int, alpha: float) -> tuple[float, float]:
    return all_equal_mean_interval(value, n, alpha, -math.inf, math.inf)
