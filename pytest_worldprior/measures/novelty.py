"""Distinct answers among k samples (NoveltyBench's distinct@k) and the chi-square divergence from uniform.

distinct@k (Zhang et al. 2025, "NoveltyBench: Evaluating Language Models for Humanlike Diversity",
arXiv 2504.05228) is the number of equivalence classes among k generations: 1 for a model that always
says the same thing, k when no two of the k agree. NoveltyBench reports it at k = 10 (`DISTINCT_K`).
Three ways to get it here:
- `expected_distinct`: exact, from a closed-set answer distribution p: E[distinct@k] = sum_i 1 - (1 - p_i)^k
  (answer i is among k independent draws unless all k miss it);
- `distinct_at_k`: NoveltyBench's own count, the classes among the first k texts (one draw of it);
- `estimated_distinct`: E[distinct@k] from the class counts of n >= k samples, unbiased (each class is
  missed by a k-subset of the n with the hypergeometric probability C(n - c, k) / C(n, k), as the pass@k
  estimator of Chen et al. 2021, arXiv 2107.03374, counts misses), with a jackknife interval.

The chi-square divergence from uniform, k * sum_i (p_i - 1/k)^2, is how far an answer distribution over k
allowed answers is from the uniform one that a fair "pick at random" would give: 0 when uniform, k - 1
when one answer takes everything: Pearson's divergence, as the field reports it for random picks after
West and Potts (2025, "Base Models Beat Aligned Models at Randomness and Creativity", arXiv 2505.00047),
who show aligned models' random numbers far from uniform where their base models' are close.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from .diversity import normalise_answer

DISTINCT_K = 10  # NoveltyBench's k: distinct answers among 10 generations


def _distribution(probabilities) -> np.ndarray:
    """p as a 1-d float array renormalised to sum 1; ValueError for an empty, negative, non-finite or all-zero p."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
        raise ValueError(f"need a non-empty list of finite, non-negative probabilities with a positive sum, "
                         f"got {np.asarray(probabilities).tolist()!r}")
    return p / p.sum()


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a whole number of samples >= 1, got {k!r}")


def expected_distinct(probabilities, k: int = DISTINCT_K) -> float:
    """Exact E[distinct@k]: the expected number of distinct answers among k independent draws from p.

    `probabilities`: one per answer class, shape (m,), renormalised here (a closed set's in-set mass need
    not be 1). Returns sum_i 1 - (1 - p_i)^k, a number of classes between 1 and min(k, m): 1 for a one-hot
    p, m (1 - (1 - 1/m)^k) for a uniform one. Raises ValueError for an empty, negative, non-finite or
    all-zero p, or k < 1. Source: NoveltyBench's distinct@k (Zhang et al. 2025, arXiv 2504.05228)."""
    _check_k(k)
    p = _distribution(probabilities)
    return float(np.sum(1.0 - (1.0 - p) ** k))


def distinct_at_k(texts: Sequence[str], k: int = DISTINCT_K, key: Callable[[str], str] = normalise_answer) -> int:
    """NoveltyBench's distinct@k (Zhang et al. 2025, arXiv 2504.05228): the number of distinct classes
    (`key` of each text; NoveltyBench's classes come from a trained equivalence classifier) among the first
    k texts. An integer between 1 and k. Raises ValueError for k < 1 or fewer than k texts."""
    _check_k(k)
    if len(texts) < k:
        raise ValueError(f"distinct@{k} needs at least {k} texts, got {len(texts)}")
    return len({key(t) for t in list(texts)[:k]})


@dataclass(frozen=True)
class DistinctEstimate:
    """E[distinct@k] estimated from n samples: the estimate (classes), its interval, k and n."""

    estimate: float
    interval: tuple[float, float]
    k: int
    n: int


def _unbiased(counts: np.ndarray, n: int, k: int) -> np.ndarray:
    """Per class: the probability that a random k-subset of the n samples holds at least one of it."""
    return 1.0 - scipy_stats.hypergeom.pmf(0, n, counts, k)


def estimated_distinct(counts, k: int = DISTINCT_K, alpha: float = 1e-3) -> DistinctEstimate:
    """E[distinct@k] from the class counts of n >= k samples: sum_i 1 - C(n - c_i, k) / C(n, k), the mean of
    distinct@k over every k-subset of the samples (a U-statistic, so unbiased for the model's E[distinct@k]).

    `counts`: the number of samples in each class, shape (classes,), whole numbers >= 0 (zeros ignored).
    The interval is estimate +- z * the jackknife standard error (leave one sample out), level 1 - alpha,
    clipped to [1, k]; a single class gives [1, 1]. Raises ValueError for k < 1, counts that are not whole
    non-negative numbers, or fewer than k + 1 samples (the jackknife leaves one out).
    Source: NoveltyBench's distinct@k (Zhang et al. 2025, arXiv 2504.05228); the subset estimator as
    pass@k's (Chen et al. 2021, arXiv 2107.03374)."""
    _check_k(k)
    c = np.asarray(counts)
    if c.ndim != 1 or c.size == 0 or not np.all(np.isfinite(c)) or np.any(c < 0) or np.any(c != np.round(c)):
        raise ValueError(f"counts must be whole numbers >= 0, one per class, got {np.asarray(counts).tolist()!r}")
    c = c[c > 0].astype(np.int64)
    n = int(c.sum())
    if n < k + 1:
        raise ValueError(f"estimating distinct@{k} needs at least {k + 1} samples, got {n}")
    estimate = float(_unbiased(c, n, k).sum())
    # Leaving out one sample of class i: n - 1 samples, class i one fewer; every sample of class i gives the same.
    others = _unbiased(np.minimum(c, n - 1), n - 1, k)  # a class of all n samples has no others: clipped, then taken off
    left_out = others.sum() - others + _unbiased(c - 1, n - 1, k)
    mean = float((c * left_out).sum() / n)
    error = float(np.sqrt((n - 1) / n * (c * (left_out - mean) ** 2).sum()))
    z = float(scipy_stats.norm.ppf(1 - alpha / 2))
    low, high = max(1.0, estimate - z * error), min(float(k), estimate + z * error)
    return DistinctEstimate(estimate, (min(low, estimate), max(high, estimate)), k, n)


def chi_square_from_uniform(probabilities) -> float:
    """Chi-square divergence of an answer distribution from uniform over its k answers:
    chi^2(p || u) = sum_i (p_i - 1/k)^2 / (1/k) = k * sum_i (p_i - 1/k)^2.

    `probabilities`: one per allowed answer, shape (k,), k >= 2, renormalised here. Dimensionless, between
    0 (uniform) and k - 1 (one answer takes all); n draws from p give a Pearson statistic of about n times
    this. Raises ValueError for fewer than 2 answers or an empty, negative, non-finite or all-zero p.
    Source: Pearson's chi-square divergence, from uniform as for random picks in West and Potts 2025
    ("Base Models Beat Aligned Models at Randomness and Creativity", arXiv 2505.00047)."""
    p = _distribution(probabilities)
    if p.size < 2:
        raise ValueError(f"a divergence from uniform needs at least 2 answers, got {p.size}")
    k = p.size
    return float(k * np.sum((p - 1.0 / k) ** 2))
