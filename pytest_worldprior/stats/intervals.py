"""Confidence intervals: one proportion (Wilson), a difference of proportions (Newcombe), a mean
(Student t), a difference of means (Welch), any statistic (bootstrap)."""

from __future__ import annotations

import inspect
import math
import warnings
from typing import Any, Callable

import numpy as np
from scipy import stats

from .checks import check_alpha, check_array, check_int

_RNG_KW = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"  # scipy<1.15


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Two-sided Wilson score interval (no continuity correction) at level 1 - alpha.

    Closed form, z = Phi^-1(1 - alpha/2); it equals
    scipy.stats.binomtest(successes, n).proportion_ci(1 - alpha, method="wilson") (checked in the
    tests) but is ~100x faster, which matters inside sequential loops."""
    n = check_int(n, "n", 1)
    k = check_int(successes, "successes", 0)
    if k > n:
        raise ValueError(f"successes must be in [0, n], got {successes} with n={n}")
    z = stats.norm.ppf(1 - check_alpha(alpha) / 2)
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


def newcombe_difference_interval(successes_a: int, n_a: int, successes_b: int, n_b: int,
                                 alpha: float = 0.05) -> tuple[float, float]:
    """Interval for p_a - p_b from two independent samples: Newcombe's hybrid score method (his method
    10), which combines the two Wilson intervals and, unlike the Wald interval, keeps its coverage for
    proportions near 0 or 1 and for small n."""
    low_a, high_a = wilson_interval(successes_a, n_a, alpha)
    low_b, high_b = wilson_interval(successes_b, n_b, alpha)
    p_a, p_b = successes_a / n_a, successes_b / n_b
    low = p_a - p_b - math.hypot(p_a - low_a, high_b - p_b)
    high = p_a - p_b + math.hypot(high_a - p_a, p_b - low_b)
    return max(-1.0, low), min(1.0, high)


def t_interval(values: Any, alpha: float = 0.05) -> tuple[float, float]:
    """Student-t interval of the mean at level 1 - alpha. With fewer than 2 values, or all equal, the
    spread is unknown and the interval is the mean alone (callers that decide on it must say so)."""
    values = check_array(values, "values").ravel()
    mean = float(values.mean())
    if values.size < 2 or np.ptp(values) == 0:
        return mean, mean
    level = 1 - check_alpha(alpha)
    with warnings.catch_warnings():  # nearly equal values: the interval is still the right one
        warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
        ci = stats.ttest_1samp(values, 0.0).confidence_interval(level)
    return float(ci.low), float(ci.high)


def welch_difference_interval(mean_a: float, se_a: float, n_a: int, mean_b: float, se_b: float, n_b: int,
                              alpha: float = 0.05) -> tuple[float, float]:
    """Interval for mean_a - mean_b from two independent samples with unequal variances (Welch): standard
    errors combined in quadrature, Student-t with the Welch-Satterthwaite degrees of freedom."""
    n_a, n_b = check_int(n_a, "n_a", 2), check_int(n_b, "n_b", 2)
    variance = se_a**2 + se_b**2
    difference = mean_a - mean_b
    if variance == 0:
        return difference, difference
    df = variance**2 / (se_a**4 / (n_a - 1) + se_b**4 / (n_b - 1))
    half = float(stats.t.ppf(1 - check_alpha(alpha) / 2, df) * math.sqrt(variance))
    return difference - half, difference + half


def bootstrap_interval(samples: Any, statistic: Callable = np.mean, alpha: float = 0.05,
                       seed: int | None = 0, paired: bool = False, n_resamples: int = 9999,
                       method: str = "BCa") -> tuple[float, float]:
    """Bootstrap CI of statistic(*samples) via scipy.stats.bootstrap (BCa by default).

    `samples` is one 1-D array, or a tuple/list of 1-D arrays for statistics of several samples
    (paired=True resamples them together, e.g. per-prompt results of two models). When BCa is
    undefined (degenerate data, e.g. all values equal) the percentile interval is used, which for
    constant data is the zero-width interval at the value."""
    many = isinstance(samples, (tuple, list)) and len(samples) > 0 and all(np.ndim(s) == 1 for s in samples)
    names = [f"samples[{i}]" for i in range(len(samples))] if many else ["samples"]
    data = tuple(check_array(s, nm) for s, nm in zip(samples if many else [samples], names))
    for d, nm in zip(data, names):
        if d.ndim != 1 or d.size < 2:
            raise ValueError(f"{nm} must be 1-D with at least 2 values, got shape {d.shape}")
    if paired and len({d.size for d in data}) > 1:
        raise ValueError("samples must all have the same length when paired=True")
    kwargs = {"n_resamples": check_int(n_resamples, "n_resamples", 1), "paired": paired,
              "confidence_level": 1 - check_alpha(alpha), _RNG_KW: np.random.default_rng(seed)}
    for m in dict.fromkeys([method, "percentile"]):  # BCa needs spread; fall back to percentile
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DegenerateDataWarning, divide-by-zero in BCa
            ci = stats.bootstrap(data, statistic, method=m, **kwargs).confidence_interval
        if np.isfinite(ci.low) and np.isfinite(ci.high):
            return float(ci.low), float(ci.high)
    value = float(statistic(*data))
    return value, value
