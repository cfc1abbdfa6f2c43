"""Two-sided confidence intervals at level 1 - alpha, each returned as a (low, high) pair of floats.

One proportion (Wilson), a difference of two proportions (Newcombe), a mean (Student t), a
difference of two means (Welch), any statistic (bootstrap, BCa by default).
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from .checks import check_alpha, check_array, check_int

_RNG_KW = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"  # scipy<1.15


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927, JASA 22:209), no continuity
    correction: `successes` out of `n` at level 1 - alpha, returned as (low, high) within [0, 1].

    Closed form with z = Phi^-1(1 - alpha/2), kept by hand rather than calling scipy: it equals
    scipy.stats.binomtest(successes, n).proportion_ci(1 - alpha, method="wilson") (checked in the
    tests) but is ~100x faster, which matters inside sequential loops.

    Raises ValueError unless n is an integer >= 1, successes an integer in [0, n] and alpha in (0, 1)."""
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
    """Interval for p_a - p_b from two independent binomial samples (successes_a of n_a, successes_b
    of n_b), returned as (low, high) within [-1, 1].

    Newcombe's hybrid score method (Newcombe 1998, Stat Med 17:873, method 10), which combines the
    two Wilson intervals and, unlike the Wald interval, keeps its coverage for proportions near 0 or
    1 and for small n. Raises ValueError as wilson_interval does, for either sample."""
    low_a, high_a = wilson_interval(successes_a, n_a, alpha)
    low_b, high_b = wilson_interval(successes_b, n_b, alpha)
    p_a, p_b = successes_a / n_a, successes_b / n_b
    low = p_a - p_b - math.hypot(p_a - low_a, high_b - p_b)
    high = p_a - p_b + math.hypot(high_a - p_a, p_b - low_b)
    return max(-1.0, low), min(1.0, high)


def t_interval(values: Any, alpha: float = 0.05, *, axis: int | None = None):
    """Student-t interval of the mean at level 1 - alpha: scipy.stats.ttest_1samp(values, 0)
    .confidence_interval(1 - alpha), in the units of the values.

    axis None: `values` (any shape) is flattened and the result is a (low, high) pair of floats.
    axis k: one interval per position along the other axes, as a (low, high) pair of arrays of that
    shape (the influence curve's interval per step, for example). Where there are fewer than 2 values,
    or all are equal, the spread is unknown and the interval is (mean, mean): callers that decide on it
    must say so.

    Raises ValueError if values is empty or holds NaN or inf, or alpha is not in (0, 1)."""
    values = check_array(values, "values")
    level = 1 - check_alpha(alpha)
    if axis is None:
        values = values.ravel()
        axis = 0
    mean = values.mean(axis=axis)
    flat = values.shape[axis] < 2 or np.ptp(values, axis=axis) == 0
    if values.shape[axis] < 2 or np.all(flat):
        low = high = mean
    else:
        with warnings.catch_warnings():  # nearly equal values: the interval is still the right one
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
            warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
            ci = stats.ttest_1samp(values, 0.0, axis=axis).confidence_interval(level)
        low, high = np.where(flat, mean, ci.low), np.where(flat, mean, ci.high)
    if np.ndim(mean) == 0:
        return float(low), float(high)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def welch_difference_interval(mean_a: float, se_a: float, n_a: int, mean_b: float, se_b: float, n_b: int,
                              alpha: float = 0.05) -> tuple[float, float]:
    """Interval for mean_a - mean_b from two independent samples with unequal variances, given each
    sample's mean, standard error of the mean and size (scalars), as (low, high).

    Welch's method (Welch 1947, Biometrika 34:28): standard errors combined in quadrature, Student-t
    quantile with the Welch-Satterthwaite degrees of freedom. If both standard errors are 0 the
    interval is the difference alone. Raises ValueError unless n_a and n_b are integers >= 2 and
    (when a standard error is non-zero) alpha is in (0, 1)."""
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
    """Bootstrap interval of statistic(*samples) at level 1 - alpha via scipy.stats.bootstrap, as
    (low, high) in the units of the statistic.

    `samples` is one 1-D array, or a tuple/list of 1-D arrays for statistics of several samples
    (paired=True resamples them together, e.g. per-prompt results of two models). `statistic`
    returns a scalar; if it takes an `axis` keyword scipy calls it on batches of resamples along
    that axis (much faster), otherwise once per resample. `method` is scipy's: "BCa" (bias-corrected
    and accelerated, Efron 1987, JASA 82:171), "percentile" or "basic"; `seed` seeds a numpy
    Generator so the interval is reproducible. When the method gives a non-finite interval (BCa on
    degenerate data, e.g. all values equal) the percentile interval is used, and failing that the
    zero-width interval at statistic(*samples).

    Raises ValueError if a sample is not 1-D with at least 2 finite values, if paired samples differ
    in length, if n_resamples is not an integer >= 1 or alpha is not in (0, 1); scipy's own
    ValueError for an unknown method."""
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
