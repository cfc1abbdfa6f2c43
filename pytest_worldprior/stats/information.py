"""Information measures, all in nats (natural logarithms): entropies and KL/JS divergences of
probability vectors, of log-probabilities or logits, and entropy estimates from observed counts.

Vector arguments are distributions along the last axis, shape (..., K); a function of one such
argument returns a float for a 1-D input and an array of shape (...) otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import special, stats

from .checks import check_array, check_counts, check_logits, check_probs, check_temperature


def _scalar(x: np.ndarray) -> np.ndarray | float:
    return float(x) if np.ndim(x) == 0 else x


def entropy(p: Any) -> np.ndarray | float:
    """Shannon entropy H(p) = -sum p log p in nats, with 0 log 0 = 0, via scipy.stats.entropy.

    p: shape (..., K), probability vectors along the last axis (scipy renormalises them, so rows that
    sum to 1 only within PROB_TOL get the entropy of the normalised row). Returns a float for 1-D p,
    else an array of shape p.shape[:-1]. Raises ValueError if p is empty or holds NaN, inf or
    negative values, or a row does not sum to 1 within PROB_TOL."""
    return _scalar(stats.entropy(check_probs(p, "p"), axis=-1))


def _entropy_log(logp: np.ndarray) -> np.ndarray:
    """Entropy of normalised log-probabilities (last axis), -inf entries contributing 0."""
    p = np.exp(logp)
    with np.errstate(invalid="ignore"):
        return -np.where(p > 0, p * logp, 0.0).sum(axis=-1)


def entropy_from_logprobs(logprobs: Any, temperature: float = 1.0) -> np.ndarray | float:
    """H(softmax(logprobs / T)) in nats over the last axis, from logits or log-probabilities (both
    work: they are normalised with scipy.special.log_softmax, which is stable via logsumexp); -inf
    marks an impossible token.

    logprobs: shape (..., V); temperature: a positive finite scalar. Returns a float for 1-D input,
    else an array of shape (...). Raises ValueError if logprobs is empty, holds NaN or +inf, or has
    a row that is -inf throughout, or if temperature is not a positive finite number."""
    t = check_temperature(temperature)
    z = check_logits(logprobs, "logprobs")
    return _scalar(_entropy_log(special.log_softmax(z / t, axis=-1)))


def entropy_curve(logprobs: Any, temperatures: Sequence[float]) -> np.ndarray:
    """Entropy in nats of softmax(logprobs / T) for each T in `temperatures` (see
    entropy_from_logprobs). logprobs: shape (..., V); temperatures: 1-D, positive. Returns an array
    of shape (..., len(temperatures)). Raises ValueError for bad logprobs (as entropy_from_logprobs)
    or if temperatures is empty, not 1-D, non-finite or not all positive."""
    temps = np.atleast_1d(check_array(temperatures, "temperatures"))
    if temps.ndim != 1:
        raise ValueError("temperatures must be a 1-D sequence of positive numbers")
    temps = np.array([check_temperature(float(t), "each of temperatures") for t in temps])
    z = check_logits(logprobs, "logprobs")
    return np.stack([np.asarray(entropy_from_logprobs(z, t)) for t in temps], axis=-1)


def plugin_entropy(counts: Any) -> float:
    """Plug-in (maximum-likelihood) entropy in nats of the empirical distribution of observed
    category counts, via scipy.stats.entropy(counts); biased low for small samples.

    counts: shape (K,), non-negative, positive total. Returns a float. Raises ValueError if counts
    is empty, not 1-D, holds NaN, inf or negative values, or sums to 0."""
    return float(stats.entropy(check_counts(counts)))


def miller_madow_entropy(counts: Any) -> float:
    """Miller-Madow bias-corrected entropy in nats (Miller 1955, "Note on the bias of information
    estimates"): H_plugin + (K_observed - 1) / (2n), with K_observed the number of non-zero counts
    and n their total. counts: shape (K,). Returns a float. Raises ValueError as plugin_entropy."""
    c = check_counts(counts)
    return plugin_entropy(c) + (np.count_nonzero(c) - 1) / (2 * c.sum())


def _pair(p: Any, q: Any, convert: Callable[[Any, str], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    a, b = convert(p, "p"), convert(q, "q")
    if a.shape != b.shape:
        raise ValueError(f"p and q must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def kl_divergence(p: Any, q: Any) -> np.ndarray | float:
    """Kullback-Leibler divergence KL(p || q) = sum p log(p / q) in nats along the last axis, via
    scipy.stats.entropy(p, q); inf where some q = 0 < p.

    p, q: the same shape (..., K), probability vectors along the last axis (renormalised by scipy).
    Returns a float for 1-D input, else an array of shape (...). Raises ValueError if the shapes
    differ or either is not valid probability vectors (as entropy)."""
    a, b = _pair(p, q, check_probs)
    return _scalar(stats.entropy(a, b, axis=-1))


def _kl_log(lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    p = np.exp(lp)
    with np.errstate(invalid="ignore"):
        return np.where(p > 0, p * (lp - lq), 0.0).sum(axis=-1)


def _log_pair(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = _pair(p, q, check_logits)
    return special.log_softmax(a, axis=-1), special.log_softmax(b, axis=-1)


def kl_from_logprobs(logp: Any, logq: Any) -> np.ndarray | float:
    """KL(p || q) in nats from log-probabilities or logits (each renormalised with
    scipy.special.log_softmax); -inf marks an impossible token, and KL is inf where q has -inf
    but p does not. logp, logq: the same shape (..., V). Returns a float for 1-D input, else an
    array of shape (...), never below 0. Raises ValueError if the shapes differ or either input is
    empty, holds NaN or +inf, or has a row that is -inf throughout."""
    return _scalar(np.maximum(_kl_log(*_log_pair(logp, logq)), 0.0))


def js_from_logprobs(logp: Any, logq: Any) -> np.ndarray | float:
    """Jensen-Shannon divergence in nats from log-probabilities or logits (each renormalised with
    scipy.special.log_softmax), computed in log space; in [0, log 2]. logp, logq: the same shape
    (..., V). Returns a float for 1-D input, else an array of shape (...). Raises ValueError as
    kl_from_logprobs."""
    lp, lq = _log_pair(logp, logq)
    lm = np.logaddexp(lp, lq) - math.log(2)
    return _scalar(np.clip((_kl_log(lp, lm) + _kl_log(lq, lm)) / 2, 0.0, math.log(2)))
