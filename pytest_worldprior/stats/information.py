"""Information measures in nats: entropies and KL/JS divergences, from probabilities, from
log-probabilities or logits, and from observed counts."""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

from .checks import check_array, check_counts, check_logits, check_number, check_probs


def _scalar(x: np.ndarray) -> np.ndarray | float:
    return float(x) if np.ndim(x) == 0 else x


def entropy(p: Any) -> np.ndarray | float:
    """Shannon entropy (nats) of probability vectors along the last axis, with 0 log 0 = 0."""
    return _scalar(stats.entropy(check_probs(p, "p"), axis=-1))


def _entropy_log(logp: np.ndarray) -> np.ndarray:
    """Entropy of normalised log-probabilities (last axis), -inf entries contributing 0."""
    p = np.exp(logp)
    with np.errstate(invalid="ignore"):
        return -np.where(p > 0, p * logp, 0.0).sum(axis=-1)


def entropy_from_logprobs(logprobs: Any, temperature: float = 1.0) -> np.ndarray | float:
    """H(softmax(logprobs / T)) in nats over the last axis; logits or log-probabilities both work
    (normalised with log_softmax, stable via logsumexp); -inf marks impossible tokens."""
    t = check_number(temperature, "temperature")
    if not 0 < t < math.inf:
        raise ValueError(f"temperature must be positive and finite, got {temperature!r}")
    z = check_logits(logprobs, "logprobs")
    return _scalar(_entropy_log(special.log_softmax(z / t, axis=-1)))


def entropy_curve(logprobs: Any, temperatures: Sequence[float]) -> np.ndarray:
    """H(T) for each temperature from one logits vector; shape (*leading, len(temperatures))."""
    temps = np.atleast_1d(check_array(temperatures, "temperatures"))
    if temps.ndim != 1 or (temps <= 0).any():
        raise ValueError("temperatures must be a 1-D sequence of positive numbers")
    z = check_logits(logprobs, "logprobs")
    return np.stack([np.asarray(entropy_from_logprobs(z, t)) for t in temps], axis=-1)


def plugin_entropy(counts: Any) -> float:
    """Plug-in (maximum-likelihood) entropy of observed category counts; biased low."""
    return float(stats.entropy(check_counts(counts)))


def miller_madow_entropy(counts: Any) -> float:
    """Miller-Madow entropy: H_plugin + (K_observed - 1) / (2n)."""
    c = check_counts(counts)
    return plugin_entropy(c) + (np.count_nonzero(c) - 1) / (2 * c.sum())


def _pair(p: Any, q: Any, convert: Callable[[Any, str], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    a, b = convert(p, "p"), convert(q, "q")
    if a.shape != b.shape:
        raise ValueError(f"p and q must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def kl_divergence(p: Any, q: Any) -> np.ndarray | float:
    """KL(p || q) in nats along the last axis (sum of scipy.special.rel_entr); inf where q = 0 < p."""
    a, b = _pair(p, q, check_probs)
    return _scalar(stats.entropy(a, b, axis=-1))


def js_divergence(p: Any, q: Any) -> np.ndarray | float:
    """Jensen-Shannon divergence in nats (symmetric, in [0, log 2])."""
    a, b = _pair(p, q, check_probs)
    with np.errstate(invalid="ignore"):  # sqrt of a rounding-error negative divergence is NaN
        distance_ = distance.jensenshannon(a, b, axis=-1)
    js = np.where(np.isnan(distance_), 0.0, np.square(distance_))
    return _scalar(np.clip(js, 0.0, math.log(2)))


def _kl_log(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    p = np.exp(lp)
    with np.errstate(invalid="ignore"):
        return np.where(p > 0, p * (lp - lq), 0.0).sum(axis=-1)


def _log_pair(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = _pair(p, q, check_logits)
    return special.log_softmax(a, axis=-1), special.log_softmax(b, axis=-1)


def kl_from_logprobs(logp: Any, logq: Any) -> np.ndarray | float:
    """KL(p || q) from log-probabilities or logits (each renormalised with log_softmax)."""
    return _scalar(np.maximum(_kl_log(*_log_pair(logp, logq)), 0.0))


def js_from_logprobs(logp: Any, logq: Any) -> np.ndarray | float:
    """JS(p, q) from log-probabilities or logits (each renormalised with log_softmax)."""
    lp, lq = _log_pair(logp, logq)
    lm = np.logaddexp(lp, lq) - math.log(2)
    return _scalar(np.clip((_kl_log(lp, lm) + _kl_log(lq, lm)) / 2, 0.0, math.log(2)))
