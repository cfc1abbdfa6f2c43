"""Statistics for behavioural checks: verdicts, intervals, entropies, divergences, sequential tests.

Pure numpy/scipy. All entropies and divergences are in nats. Every check returns PASS, FAIL or
INCONCLUSIVE (see SCIENCE.md, "Making stochastic tests trustworthy"): FAIL only when a confidence
interval clearly excludes the allowed range; exact values are compared directly.
"""

from __future__ import annotations

import enum
import inspect
import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from scipy import special, stats

PROB_TOL = 1e-6  # how far a probability vector may sum from 1
_RNG_KW = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"  # scipy<1.15


class Outcome(enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class Verdict:
    """The result of one check. `threshold` is a float or (lower, upper) with None for an open side;
    `interval` is None and `n` 0/None for exact computations."""

    outcome: Outcome
    estimate: float
    interval: tuple[float, float] | None
    threshold: float | tuple[float | None, float | None]
    n: int | None
    method: str
    alpha: float
    seed: int | None = None
    label: str = "value"
    details: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAIL

    @property
    def inconclusive(self) -> bool:
        return self.outcome is Outcome.INCONCLUSIVE

    def as_dict(self) -> dict:
        """A JSON-serialisable dict (numpy scalars and arrays become floats and lists)."""
        return _jsonable(asdict(self))

    def describe(self) -> str:
        """One line, e.g. 'FAIL: mode share 0.92 [0.85, 0.96] > max 0.50 (n=64, wilson, ...)'."""
        text = f"{self.outcome.value}: {self.label} {_fmt(self.estimate)}"
        if self.interval is not None:
            text += f" [{_fmt(self.interval[0])}, {_fmt(self.interval[1])}]"
        text += " " + _describe_threshold(self.threshold, self.outcome)
        exact = self.interval is None
        extra = ([] if exact and not self.n else [f"n={self.n}"]) + [self.method]
        extra += [] if exact else [f"alpha={self.alpha:g}"]
        if self.seed is not None:
            extra.append(f"seed={self.seed}")
        return f"{text} ({', '.join(extra)})"


def _fmt(x: float | None) -> str:
    return "-" if x is None else (f"{x:.2f}" if 0.01 <= abs(x) < 1000 or x == 0 else f"{x:.3g}")


def _describe_threshold(threshold, outcome: Outcome) -> str:
    if not isinstance(threshold, tuple):
        return f"vs threshold {_fmt(threshold)}"
    lo, hi = threshold
    ok, bad = outcome is Outcome.PASS, outcome is Outcome.FAIL
    if lo is not None and hi is not None:
        word = "in" if ok else "outside" if bad else "vs"
        return f"{word} [{_fmt(lo)}, {_fmt(hi)}]"
    if hi is not None:
        return f"{'<=' if ok else '>' if bad else 'vs'} max {_fmt(hi)}"
    return f"{'>=' if ok else '<' if bad else 'vs'} min {_fmt(lo)}"


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in x]
    if isinstance(x, enum.Enum):
        return x.value
    if isinstance(x, np.generic):
        return x.item()
    return x


def _check_alpha(alpha: float, name: str = "alpha") -> float:
    if not isinstance(alpha, (int, float, np.number)) or not 0 < float(alpha) < 1:
        raise ValueError(f"{name} must be a number in (0, 1), got {alpha!r}")
    return float(alpha)


def _check_int(x: Any, name: str, minimum: int) -> int:
    try:
        value = None if isinstance(x, (str, bool)) else int(x) if float(x).is_integer() else None
    except (TypeError, ValueError, OverflowError):
        value = None
    if value is None or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {x!r}")
    return value


def _check_number(x: Any, name: str) -> float | None:
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if math.isnan(value):
        raise ValueError(f"{name} is NaN")
    return value


def _array(x: Any, name: str, *, nonneg: bool = False, allow_neg_inf: bool = False) -> np.ndarray:
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


def _probs(p: Any, name: str) -> np.ndarray:
    a = _array(p, name, nonneg=True)
    total = a.sum(axis=-1)
    if np.any(np.abs(total - 1) > PROB_TOL):
        raise ValueError(f"{name} must sum to 1 (tolerance {PROB_TOL:g}) along the last axis, got {total}")
    return a


def _bounds(lower: Any, upper: Any) -> tuple[float | None, float | None]:
    lo, hi = _check_number(lower, "lower"), _check_number(upper, "upper")
    if lo is None and hi is None:
        raise ValueError("give lower, upper or both")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"lower ({lo}) must be <= upper ({hi})")
    return lo, hi


def decide(estimate: float, interval: tuple[float, float] | None, *, lower: float | None = None,
           upper: float | None = None, tol: float = 0.0) -> Outcome:
    """Is the value within [lower, upper]? PASS when the whole interval is inside, FAIL when the
    whole interval is outside (it clearly excludes the allowed range), INCONCLUSIVE otherwise.
    With interval None the estimate is exact and is compared directly, with slack `tol`."""
    est = _check_number(estimate, "estimate")
    lo, hi = _bounds(lower, upper)
    lo = -math.inf if lo is None else lo
    hi = math.inf if hi is None else hi
    if interval is None:
        tol = float(_check_number(tol, "tol"))
        return Outcome.PASS if lo - tol <= est <= hi + tol else Outcome.FAIL
    a, b = (_check_number(v, "interval") for v in interval)
    if a > b:
        raise ValueError(f"interval must be (low, high) with low <= high, got {interval!r}")
    if lo <= a and b <= hi:
        return Outcome.PASS
    if b < lo or a > hi:
        return Outcome.FAIL
    return Outcome.INCONCLUSIVE


def exact_verdict(value: float, *, lower: float | None = None, upper: float | None = None,
                  tol: float = 0.0, label: str = "value", details: dict | None = None) -> Verdict:
    """A Verdict for a value computed exactly (e.g. from logits): PASS or FAIL, no interval."""
    outcome = decide(value, None, lower=lower, upper=upper, tol=tol)
    return Verdict(outcome, float(value), None, _bounds(lower, upper), 0, "exact", 0.0, None, label,
                   dict(details or {}, tol=tol))


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Two-sided Wilson score interval (no continuity correction) at level 1 - alpha.

    Closed form, z = Phi^-1(1 - alpha/2); it equals
    scipy.stats.binomtest(successes, n).proportion_ci(1 - alpha, method="wilson") (checked in the
    tests) but is ~100x faster, which matters inside sequential loops."""
    n = _check_int(n, "n", 1)
    k = _check_int(successes, "successes", 0)
    if k > n:
        raise ValueError(f"successes must be in [0, n], got {successes} with n={n}")
    z = stats.norm.ppf(1 - _check_alpha(alpha) / 2)
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
    values = _array(values, "values").ravel()
    mean = float(values.mean())
    if values.size < 2 or np.ptp(values) == 0:
        return mean, mean
    half = float(stats.t.ppf(1 - _check_alpha(alpha) / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size))
    return mean - half, mean + half


def welch_difference_interval(mean_a: float, se_a: float, n_a: int, mean_b: float, se_b: float, n_b: int,
                              alpha: float = 0.05) -> tuple[float, float]:
    """Interval for mean_a - mean_b from two independent samples with unequal variances (Welch): standard
    errors combined in quadrature, Student-t with the Welch-Satterthwaite degrees of freedom."""
    n_a, n_b = _check_int(n_a, "n_a", 2), _check_int(n_b, "n_b", 2)
    variance = se_a**2 + se_b**2
    difference = mean_a - mean_b
    if variance == 0:
        return difference, difference
    df = variance**2 / (se_a**4 / (n_a - 1) + se_b**4 / (n_b - 1))
    half = float(stats.t.ppf(1 - _check_alpha(alpha) / 2, df) * math.sqrt(variance))
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
    data = tuple(_array(s, nm) for s, nm in zip(samples if many else [samples], names))
    for d, nm in zip(data, names):
        if d.ndim != 1 or d.size < 2:
            raise ValueError(f"{nm} must be 1-D with at least 2 values, got shape {d.shape}")
    if paired and len({d.size for d in data}) > 1:
        raise ValueError("samples must all have the same length when paired=True")
    kwargs = {"n_resamples": _check_int(n_resamples, "n_resamples", 1), "paired": paired,
              "confidence_level": 1 - _check_alpha(alpha), _RNG_KW: np.random.default_rng(seed)}
    for m in dict.fromkeys([method, "percentile"]):  # BCa needs spread; fall back to percentile
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DegenerateDataWarning, divide-by-zero in BCa
            ci = stats.bootstrap(data, statistic, method=m, **kwargs).confidence_interval
        if np.isfinite(ci.low) and np.isfinite(ci.high):
            return float(ci.low), float(ci.high)
    value = float(statistic(*data))
    return value, value


def entropy(p: Any) -> np.ndarray | float:
    """Shannon entropy (nats) of probability vectors along the last axis, with 0 log 0 = 0."""
    return _scalar(special.entr(_probs(p, "p")).sum(axis=-1))


def _scalar(x: np.ndarray) -> np.ndarray | float:
    return float(x) if np.ndim(x) == 0 else x


def _logits(logprobs: Any, name: str) -> np.ndarray:
    a = _array(logprobs, name, allow_neg_inf=True)
    if np.isneginf(a).all(axis=-1).any():
        raise ValueError(f"{name} has a row where every entry is -inf")
    return a


def _entropy_log(logp: np.ndarray) -> np.ndarray:
    """Entropy of normalised log-probabilities (last axis), -inf entries contributing 0."""
    p = np.exp(logp)
    with np.errstate(invalid="ignore"):
        return -np.where(p > 0, p * logp, 0.0).sum(axis=-1)


def entropy_from_logprobs(logprobs: Any, temperature: float = 1.0) -> np.ndarray | float:
    """H(softmax(logprobs / T)) in nats over the last axis; logits or log-probabilities both work
    (normalised with log_softmax, stable via logsumexp); -inf marks impossible tokens."""
    t = _check_number(temperature, "temperature")
    if not 0 < t < math.inf:
        raise ValueError(f"temperature must be positive and finite, got {temperature!r}")
    z = _logits(logprobs, "logprobs")
    return _scalar(_entropy_log(special.log_softmax(z / t, axis=-1)))


def entropy_curve(logprobs: Any, temperatures: Sequence[float]) -> np.ndarray:
    """H(T) for each temperature from one logits vector; shape (*leading, len(temperatures))."""
    temps = np.atleast_1d(_array(temperatures, "temperatures"))
    if temps.ndim != 1 or (temps <= 0).any():
        raise ValueError("temperatures must be a 1-D sequence of positive numbers")
    z = _logits(logprobs, "logprobs")
    return np.stack([np.asarray(entropy_from_logprobs(z, t)) for t in temps], axis=-1)


def _counts(counts: Any, name: str = "counts") -> np.ndarray:
    c = _array(counts, name, nonneg=True)
    if c.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {c.shape}")
    if c.sum() <= 0:
        raise ValueError(f"{name} must have a positive total")
    return c


def plugin_entropy(counts: Any) -> float:
    """Plug-in (maximum-likelihood) entropy of observed category counts; biased low."""
    c = _counts(counts)
    return float(special.entr(c / c.sum()).sum())


def miller_madow_entropy(counts: Any) -> float:
    """Miller-Madow entropy: H_plugin + (K_observed - 1) / (2n)."""
    c = _counts(counts)
    return plugin_entropy(c) + (np.count_nonzero(c) - 1) / (2 * c.sum())


def _pair(p: Any, q: Any, convert: Callable[[Any, str], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    a, b = convert(p, "p"), convert(q, "q")
    if a.shape != b.shape:
        raise ValueError(f"p and q must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def kl_divergence(p: Any, q: Any) -> np.ndarray | float:
    """KL(p || q) in nats along the last axis (sum of scipy.special.rel_entr); inf where q = 0 < p."""
    a, b = _pair(p, q, _probs)
    return _scalar(special.rel_entr(a, b).sum(axis=-1))


def js_divergence(p: Any, q: Any) -> np.ndarray | float:
    """Jensen-Shannon divergence in nats (symmetric, in [0, log 2])."""
    a, b = _pair(p, q, _probs)
    m = (a + b) / 2
    js = (special.rel_entr(a, m).sum(axis=-1) + special.rel_entr(b, m).sum(axis=-1)) / 2
    return _scalar(np.clip(js, 0.0, math.log(2)))


def _kl_log(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    p = np.exp(lp)
    with np.errstate(invalid="ignore"):
        return np.where(p > 0, p * (lp - lq), 0.0).sum(axis=-1)


def _log_pair(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = _pair(p, q, _logits)
    return special.log_softmax(a, axis=-1), special.log_softmax(b, axis=-1)


def kl_from_logprobs(logp: Any, logq: Any) -> np.ndarray | float:
    """KL(p || q) from log-probabilities or logits (each renormalised with log_softmax)."""
    return _scalar(np.maximum(_kl_log(*_log_pair(logp, logq)), 0.0))


def js_from_logprobs(logp: Any, logq: Any) -> np.ndarray | float:
    """JS(p, q) from log-probabilities or logits (each renormalised with log_softmax)."""
    lp, lq = _log_pair(logp, logq)
    lm = np.logaddexp(lp, lq) - math.log(2)
    return _scalar(np.clip((_kl_log(lp, lm) + _kl_log(lq, lm)) / 2, 0.0, math.log(2)))


def chi_square_test(counts: Any, expected_probs: Any = None) -> tuple[float, float]:
    """Pearson chi-square goodness of fit against expected_probs (default uniform): (stat, p)."""
    return _goodness_of_fit(counts, expected_probs, "pearson")


def g_test(counts: Any, expected_probs: Any = None) -> tuple[float, float]:
    """G-test (log-likelihood ratio) goodness of fit against expected_probs (default uniform)."""
    return _goodness_of_fit(counts, expected_probs, "log-likelihood")


def _goodness_of_fit(counts: Any, expected_probs: Any, lambda_: str) -> tuple[float, float]:
    """scipy.stats.power_divergence with expected counts scaled to the observed total.
    A category observed despite expected probability 0 gives (inf, 0.0); categories with
    expected 0 and observed 0 are dropped."""
    c = _counts(counts)
    if c.size < 2:
        raise ValueError("counts needs at least 2 categories")
    e = np.full(c.size, 1 / c.size) if expected_probs is None else _probs(expected_probs, "expected_probs")
    if e.shape != c.shape:
        raise ValueError(f"expected_probs has shape {e.shape} but counts has shape {c.shape}")
    if (c[e == 0] > 0).any():
        return math.inf, 0.0
    c, e = c[e > 0], e[e > 0]
    res = stats.power_divergence(c, e / e.sum() * c.sum(), lambda_=lambda_)
    return float(res.statistic), float(res.pvalue)


def _schedule(alpha, batch, max_n, min_n) -> tuple[float, list[int]]:
    """Look sizes and the per-look alpha (Bonferroni over the maximum number of looks).

    Looks happen at n = min_n, min_n + batch, ... and finally at max_n; if every look's interval
    covers the truth with probability >= 1 - alpha/L, a wrong decision has probability <= alpha."""
    alpha = _check_alpha(alpha)
    batch, min_n = _check_int(batch, "batch", 1), _check_int(min_n, "min_n", 1)
    max_n = _check_int(max_n, "max_n", min_n)
    looks = list(range(min_n, max_n, batch)) + [max_n]
    return alpha / len(looks), looks


def sequential_proportion(draw: Callable[[int], int], *, lower: float | None = None,
                          upper: float | None = None, alpha: float = 1e-3, batch: int = 16,
                          max_n: int = 256, min_n: int = 16, seed: int | None = None,
                          label: str = "proportion") -> Verdict:
    """Sample in batches until the Wilson interval (at the per-look alpha, see _schedule) is wholly
    inside [lower, upper] (PASS) or wholly outside (FAIL); INCONCLUSIVE at max_n otherwise.
    `draw(k)` returns the number of successes among k new samples; `seed` is only recorded."""
    lo, hi = _bounds(lower, upper)
    a_look, looks = _schedule(alpha, batch, max_n, min_n)
    successes = n = 0
    for look, target in enumerate(looks, 1):
        k = target - n
        got = draw(k)
        if _check_int(got, "draw(k)", 0) > k:
            raise ValueError(f"draw(k) must return an integer in [0, {k}], got {got!r}")
        successes, n = successes + int(got), target
        interval = wilson_interval(successes, n, a_look)
        outcome = decide(successes / n, interval, lower=lo, upper=hi)
        if outcome is not Outcome.INCONCLUSIVE:
            break
    details = {"successes": successes, "looks": look, "max_looks": len(looks),
               "alpha_per_look": a_look, "spending": "bonferroni"}
    return Verdict(outcome, successes / n, interval, (lo, hi), n, "sequential-wilson", alpha, seed,
                   label, details)


def sequential_mean(draw_values: Callable[[int], Any], *, lower: float | None = None,
                    upper: float | None = None, alpha: float = 1e-3, batch: int = 16,
                    max_n: int = 256, min_n: int = 16, seed: int | None = 0, interval: str = "t",
                    n_resamples: int = 9999, label: str = "mean") -> Verdict:
    """Like sequential_proportion for a real-valued per-sample quantity: draw_values(k) returns k
    floats; interval "t" (scipy.stats.ttest_1samp CI) or "bootstrap" (BCa, `seed`). If all values
    so far are equal the spread is unknown: no decision is made from them (INCONCLUSIVE at max_n).
    Bootstrap tails at the small per-look alpha need many resamples; "t" is the safer default."""
    if interval not in ("t", "bootstrap"):
        raise ValueError(f'interval must be "t" or "bootstrap", got {interval!r}')
    lo, hi = _bounds(lower, upper)
    a_look, looks = _schedule(alpha, batch, max_n, min_n)
    values = np.empty(0)
    for look, target in enumerate(looks, 1):
        k = target - values.size
        new = _array(draw_values(k), "draw_values(k)").ravel()
        if new.size != k:
            raise ValueError(f"draw_values(k) must return {k} values, got {new.size}")
        values = np.concatenate([values, new])
        mean = float(values.mean())
        degenerate = values.size < 2 or np.ptp(values) == 0
        if degenerate:  # the spread is unknown: an infinite interval, no decision
            ci, outcome = (-math.inf, math.inf), Outcome.INCONCLUSIVE
            continue
        if interval == "t":
            res = stats.ttest_1samp(values, 0.0).confidence_interval(1 - a_look)
            ci = (float(res.low), float(res.high))
        else:
            ci = bootstrap_interval(values, np.mean, a_look, seed, n_resamples=n_resamples)
        outcome = decide(mean, ci, lower=lo, upper=hi)
        if outcome is not Outcome.INCONCLUSIVE:
            break
    details = {"looks": look, "max_looks": len(looks), "alpha_per_look": a_look,
               "spending": "bonferroni", "std": float(values.std(ddof=1)) if values.size > 1 else 0.0,
               "degenerate": bool(degenerate)}
    return Verdict(outcome, mean, ci, (lo, hi), int(values.size), f"sequential-{interval}", alpha,
                   seed, label, details)
