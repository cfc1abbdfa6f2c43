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

Where the logits are there, a drawn value's probability need not be bounded from the count: it is known.
known_paths_interval bounds the continuation entropy E[sum_t H_t] (nats) certainly from the distinct drawn
paths, their exact probabilities and values, and the most the unseen rest can add; it spends no alpha.
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


def known_paths_interval(paths, max_new_tokens: int, most_per_token: float) -> tuple[float, float, float]:
    """Certain bounds, in nats, on E[sum_t H_t(Y)] (the entropy of whole continuations by the chain rule)
    from distinct drawn paths whose probabilities the logits give exactly: no sampling error, no alpha.

    `paths`: each (tokens, entropies, logprobs, ended, ...): the token ids; H_t of the distribution
    before each token (nats, >= 0); the log-probability of each token under that same distribution (nats,
    <= 0; the sampled, tempered one); whether the path ended by itself (its last token ends the text).
    A path of `max_new_tokens` (L) tokens is complete either way. `most_per_token`: the most any one
    step can add, log V for a V-token vocabulary.

    Why it holds. Lay the paths out as a prefix tree. A prefix u of d tokens has probability P(u), the
    product of its tokens' probabilities, and its steps add F(u) = sum of their H, both known. Every
    continuation is of one of three kinds, and their masses sum to 1:
    - a drawn path that is complete: mass P(u), value F(u) exactly (the "known mass");
    - one that leaves the tree at a prefix u whose next-token distribution is known (some path goes on
      from u), by a token no drawn path takes there: mass P(u) (1 - sum of the drawn tokens' probabilities
      there); its value is F(u) + H(u) (u's own step, the same distribution) plus what its at most
      L - d - 1 further steps add, each in [0, log V];
    - one that extends a drawn path which stopped before L without ending (no distribution after it):
      mass P(u), value F(u) plus [0, (L - d) log V].
    The expectation is the mass-weighted sum, so it lies between the sums of each kind's least and most.
    With one path x of probability p and value v this is at least p v and at most the brief's
    p v + (1 - p) L log V, and tighter: mass that leaves at a late step has few steps left to fill.

    Returns (low, high, known mass). Probabilities are as exact as the logits (float rounding); a
    remainder below 0 from rounding counts as 0. Raises ValueError for a path whose three sequences differ
    in length or that is longer than max_new_tokens."""
    length = check_int(max_new_tokens, "max_new_tokens", 0)
    most = check_number(most_per_token, "most_per_token")
    rows: dict[tuple, tuple[float, dict]] = {}  # prefix -> (H of its next-token distribution, {token: log p})
    complete: set[tuple] = set()
    for tokens, entropies, logprobs, ended, *_ in paths:
        tokens = tuple(int(t) for t in tokens)
        if not len(tokens) == len(entropies) == len(logprobs) <= length:
            raise ValueError(f"a path needs one entropy and one log-probability per token, at most {length} tokens: "
                             f"got {len(tokens)} tokens, {len(entropies)} entropies, {len(logprobs)} log-probabilities")
        for d, token in enumerate(tokens):
            rows.setdefault(tokens[:d], (float(entropies[d]), {}))[1].setdefault(token, float(logprobs[d]))
        if ended or len(tokens) == length:
            complete.add(tokens)
    low = high = known = 0.0
    stack = [((), 0.0, 0.0)]  # prefix, log P(prefix), F(prefix)
    while stack:
        prefix, log_mass, total = stack.pop()
        mass, depth = math.exp(log_mass), len(prefix)
        if prefix in rows:
            entropy, drawn = rows[prefix]
            left = mass * max(0.0, 1.0 - math.fsum(math.exp(lp) for lp in drawn.values()))
            # (a prefix that is also a complete path, which a consistent backend never gives, may stop here: F(u))
            low += left * (total if prefix in complete else total + entropy)
            high += left * (total + entropy + (length - depth - 1) * most)
            stack += [(prefix + (token,), log_mass + lp, total + entropy) for token, lp in drawn.items()]
        elif prefix in complete:
            low, high, known = low + mass * total, high + mass * total, known + mass
        else:  # stopped early without ending (or nothing drawn): the rest of its L steps unknown
            low, high = low + mass * total, high + mass * (total + (length - depth) * most)
    return low, high, known
