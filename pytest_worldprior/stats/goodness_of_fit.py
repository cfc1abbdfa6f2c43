"""Goodness of fit of observed category counts to expected probabilities: Pearson's chi-square test from
scipy, with one degree of freedom fewer than the categories of non-zero expected probability."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from .checks import check_counts, check_probs


def chi_square_test(counts: Any, expected_probs: Any = None) -> tuple[float, float]:
    """Pearson chi-square goodness of fit of `counts` to `expected_probs` (default uniform), via
    scipy.stats.chisquare with expected counts scaled to the observed total.

    counts: shape (K,), K >= 2, non-negative, positive total; expected_probs: shape (K,), a
    probability vector. Returns (statistic, p-value) as floats. A category with expected probability
    0 is dropped if it was not observed; if it was, the result is (inf, 0.0). Raises ValueError if
    counts is not valid (as plugin_entropy) or has fewer than 2 categories, or expected_probs has
    another shape or is not a probability vector (sum 1 within PROB_TOL)."""
    c = check_counts(counts)
    if c.size < 2:
        raise ValueError("counts needs at least 2 categories")
    e = np.full(c.size, 1 / c.size) if expected_probs is None else check_probs(expected_probs, "expected_probs")
    if e.shape != c.shape:
        raise ValueError(f"expected_probs has shape {e.shape} but counts has shape {c.shape}")
    if (c[e == 0] > 0).any():
        return math.inf, 0.0
    c, e = c[e > 0], e[e > 0]
    expected = e / e.sum() * c.sum()
    res = stats.chisquare(c, expected)
    return float(res.statistic), float(res.pvalue)
