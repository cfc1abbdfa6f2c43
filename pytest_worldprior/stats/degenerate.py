"""Degenerate evidence: every sampled draw was the same. One rule for every sampled check.

A t, Welch or bootstrap interval has no spread to work with when all n draws are equal: it shrinks to
a point ("certain") or grows without bound ("nothing known"), and the worst model, one that always
says the same thing, escapes either way. The draws do say something exact: if a value v has
probability m, n independent draws all equal v with probability m^n. So with confidence 1 - alpha/2

    m >= (alpha / 2) ** (1 / n)

(the exact Clopper-Pearson bound for n successes in n trials, Clopper and Pearson 1934, Biometrika
26:404; the "rule of three" of Hanley and Lippman-Hand 1983, JAMA 249:1743, is its 95 % approximation
1 - 3/n). The rest, at most 1 - m, can lie anywhere the quantity can: a mean lies between
m v + (1 - m) low and m v + (1 - m) high; an entropy whose draws were all of surprisal s lies between
m s and the most the remaining mass can add over the vocabulary. These bounds are intervals like any
other: the check decides on them (FAIL when the bound clears the limit), at the same alpha.
"""

from __future__ import annotations

import math

from .checks import check_alpha, check_int, check_number


def all_equal_mass(n: int, alpha: float) -> float:
    """Lower confidence bound (level 1 - alpha/2, one-sided) on the probability of the value that all
    n independent draws gave: (alpha/2)^(1/n), a probability in (0, 1). Equals
    scipy.stats.binomtest(n, n).proportion_ci(1 - alpha, method="exact").low (tested).

    Raises ValueError unless n is an integer >= 1 and alpha is in (0, 1)."""
    n = check_int(n, "n", 1)
    return (check_alpha(alpha) / 2) ** (1 / n)


def all_equal_mean_interval(value: float, n: int, alpha: float, low: float, high: float) -> tuple[float, float]:
    """Interval (level 1 - alpha) for the mean of a quantity bounded in [low, high] (either side may be
    infinite) after n draws all equal to `value`: m value + (1 - m) low to m value + (1 - m) high,
    m = all_equal_mass(n, alpha). Units of the values.

    Raises ValueError for n or alpha as all_equal_mass, a non-finite value, or low > value or
    value > high."""
    value = check_number(value, "value")
    if not low <= value <= high:
        raise ValueError(f"value {value} must lie in [low, high] = [{low}, {high}]")
    mass = all_equal_mass(n, alpha)
    return (mass * value + (1 - mass) * low if math.isfinite(low) else low,
            mass * value + (1 - mass) * high if math.isfinite(high) else high)


def all_equal_entropy_interval(surprisal: float, n: int, alpha: float, vocab_size: int | None) -> tuple[float, float]:
    """Interval (level 1 - alpha, nats) for an entropy H = E[-log p(y)] after n draws all of surprisal
    `surprisal` (nats): at least m s, and at most the largest (1 - r) s + r log(V / r) over the mass r
    <= 1 - m left to the other tokens (the rest spread evenly over the whole vocabulary of V tokens),
    and never above log V; m = all_equal_mass(n, alpha). Without a vocabulary size the upper bound is infinite.

    Raises ValueError for n or alpha as all_equal_mass, a negative or non-finite surprisal, or a
    vocab_size that is not an integer >= 1."""
    surprisal = check_number(surprisal, "surprisal") + 0.0  # -log 1 arrives as -0.0
    if surprisal < 0:
        raise ValueError(f"a surprisal is -log p >= 0 nats, got {surprisal}")
    mass = all_equal_mass(n, alpha)
    if vocab_size is None:
        return mass * surprisal, math.inf
    vocab = check_int(vocab_size, "vocab_size", 1)
    # (1 - r) s + r log(V / r) is concave in r with its top at r = V e^(-s-1): the largest value on
    # [0, 1 - m] is there or at the end.
    rest = min(1 - mass, vocab * math.exp(-surprisal - 1))
    upper = (1 - rest) * surprisal + (rest * math.log(vocab / rest) if rest > 0 else 0.0)
    return mass * surprisal, min(max(upper, surprisal), math.log(vocab))  # no entropy exceeds log V
