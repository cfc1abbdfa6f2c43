"""Goodness of fit of observed category counts to expected probabilities: Pearson chi-square, G-test."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from .checks import check_counts, check_probs


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
    if lambda_ == "pearson":
        res = stats.chisquare(c, expected)
    else:
        res = stats.power_divergence(c, expected, lambda_=lambda_)
    return float(res.statistic), float(res.pvalue)
