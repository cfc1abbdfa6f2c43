"""Entropy: exact next-token entropy and its temperature curve from logits, and sampled estimates."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import optimize, special
from scipy import stats as scipy_stats

from .. import stats
from ..backends.base import Backend, Prompt
from ..results_cache import cached_measurement
from ..stats.checks import check_int, check_temperature
from ..stats.degenerate import known_paths_interval
from ..stats.reported_logprobs import ROUNDING, ZERO_MASS_BELOW, reported_logprobs, top_mass
from .paths import reduce_along


@cached_measurement
def next_token_entropy(model: Backend, prompts: list[Prompt], temperature: float = 1.0) -> np.ndarray:
    """Exact H(softmax(logits / T)) of the next token after each prompt, in nats."""
    check_temperature(temperature)
    return np.atleast_1d(stats.entropy_from_logprobs(model.next_token_logprobs(prompts), temperature))


@cached_measurement
def entropy_curve(model: Backend, prompt: Prompt, temperatures) -> np.ndarray:
    """H(T) at each temperature, all from one forward pass."""
    for t in temperatures:
        check_temperature(t)
    return np.asarray(stats.entropy_curve(model.next_token_logprobs([prompt])[0], list(temperatures)))


def matching_temperature(logprobs: np.ndarray, target_nats: float, t_max: float = 10.0) -> float | None:
    """The temperature at which H(softmax(logprobs / T)) reaches `target_nats`, or None if not by t_max.

    H(T) never decreases with T, so the root is unique and bracketed by [1e-3, t_max]."""
    def gap(t: float) -> float:
        return float(stats.entropy_from_logprobs(logprobs, t)) - target_nats

    low = 1e-3
    if gap(low) >= 0:
        return low
    if gap(t_max) < 0:
        return None
    return float(optimize.brentq(gap, low, t_max, xtol=1e-6))


@dataclass(frozen=True)
class SampledEntropy:
    """An entropy estimated from samples, with a confidence interval."""

    estimate: float
    interval: tuple[float, float]
    n: int
    method: str
    temperature: float
    seed: int
    mean_length: float = 1.0
    standard_error: float | None = None  # of the estimate, where it is a mean of independent values
    # sequence_entropy when every path had the same entropy: the mass of the drawn paths, known exactly
    # from the logits, and those paths (KnownPath); None otherwise
    known_mass: float | None = None
    known_paths: tuple | None = None


@cached_measurement
def sampled_next_token_entropy(
    model: Backend, prompt: Prompt, n: int = 2048, *, temperature: float = 1.0, seed: int = 0, alpha: float = 1e-3
) -> SampledEntropy:
    """Next-token entropy at temperature T from n sampled tokens.

    With per-token sampling log-probabilities the estimate is mean(-log p_T(y)), unbiased, with a t
    interval. A text-only backend gives none: then Miller-Madow over the sampled tokens' counts, with
    a bootstrap interval (biased low for large supports, see docs/science.md, "Making stochastic tests trustworthy")."""
    check_temperature(temperature)
    samples = model.sample(prompt, n, max_new_tokens=1, temperature=temperature, seed=seed)
    if all(s.sampling_logprobs for s in samples):
        surprisal = np.array([-s.sampling_logprobs[0] for s in samples])
        low, high = stats.t_interval(surprisal, alpha)
        error = float(scipy_stats.sem(surprisal)) if n > 1 else None
        return SampledEntropy(float(surprisal.mean()), (low, high), n, "mean-surprisal-t", temperature, seed, 1.0, error)
    _, labels = np.unique([s.text for s in samples], return_inverse=True)
    estimate = stats.miller_madow_entropy(list(Counter(labels.tolist()).values()))
    interval = stats.bootstrap_interval(labels, _miller_madow_of_labels, alpha, seed, method="percentile")
    return SampledEntropy(float(estimate), interval, n, "miller-madow-bootstrap", temperature, seed)


def surprisal_draws(model: Backend, prompt: Prompt, *, temperature: float = 1.0, seed: int = 0) -> Callable[[int], np.ndarray]:
    """A `draw(k)` for the sequential rules: k fresh next-token surprisals -log p_T(y), whose mean is H(T).

    Each call samples anew (its seed derives from `seed` and the call number), so repeated looks never
    reuse a sample. Raises NotImplementedError for a backend without `gives_sampling_logprobs`, and
    RuntimeError for one that declares it and returns a sample without them."""
    check_temperature(temperature)
    if not model.gives_sampling_logprobs:
        raise NotImplementedError(f"{type(model).__name__} returns no sampling log-probabilities (gives_sampling_logprobs)")
    calls = itertools.count()

    def draw(k: int) -> np.ndarray:
        look_seed = int(np.random.SeedSequence([seed, next(calls)]).generate_state(1)[0])
        samples = model.sample(prompt, k, max_new_tokens=1, temperature=temperature, seed=look_seed)
        if not all(s.sampling_logprobs for s in samples):
            raise RuntimeError(f"{type(model).__name__} declares gives_sampling_logprobs but returned a sample without them")
        return np.array([-s.sampling_logprobs[0] for s in samples])

    return draw


@cached_measurement
def sequence_entropy(
    model: Backend,
    prompt: Prompt,
    n: int = 32,
    *,
    max_new_tokens: int = 16,
    temperature: float = 1.0,
    seed: int = 0,
    alpha: float = 1e-3,
) -> SampledEntropy:
    """Entropy of whole continuations by the chain rule: mean over sampled paths of sum_t H_T(p(. | y<t)).

    Unbiased like mean(-log p(y)) but with much lower variance; the output length is reported beside it.
    Each distinct path is teacher-forced once (a path drawn twice has the same rows).

    When every path has the same entropy v (a collapsed model) there is no spread for a t interval
    (method "chain-rule-all-equal", standard_error None). Two bounds hold then, and the interval is where
    they overlap: stats.degenerate's all_equal_mean_interval (the value v has probability at least
    m = (alpha/2)^(1/n); the rest lies in [0, max_new_tokens log V]), at level 1 - alpha, and
    stats.degenerate's known_paths_interval from the drawn paths' exact probabilities, certain (no
    level to spend), which decides where the drawn path holds most of the mass however few the draws.
    Should they not overlap (the first missed, probability at most alpha), the certain one. The drawn
    paths are kept in `known_paths` (and their exactly known mass in `known_mass`) so that a check can
    add more paths to them (`sequence_paths`)."""
    check_temperature(temperature)
    samples = model.sample(prompt, n, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    paths = _distinct_paths(model, prompt, samples, temperature)
    value = {path.tokens: float(np.sum(path.entropies)) for path in paths}
    per_path = np.array([value[tuple(s.token_ids)] for s in samples])
    lengths = float(np.mean([len(s.token_ids) for s in samples]))
    if np.ptp(per_path) == 0:  # every path the same entropy (a collapsed model): the exact bounds decide
        most = float(np.log(len(model.token_texts())))  # no step holds more than log V
        interval = stats.all_equal_mean_interval(float(per_path[0]), n, alpha, 0.0, max_new_tokens * most)
        low, high, known = known_paths_interval(paths, max_new_tokens, most)
        interval = overlap(interval, (low, high))
        return SampledEntropy(float(per_path[0]), interval, n, "chain-rule-all-equal", temperature, seed, lengths, None,
                              known, paths)
    low, high = stats.t_interval(per_path, alpha)
    standard_error = float(scipy_stats.sem(per_path))
    return SampledEntropy(float(per_path.mean()), (low, high), n, "chain-rule-t", temperature, seed, lengths, standard_error)


class KnownPath(NamedTuple):
    """One distinct sampled continuation as the logits see it (a plain tuple, so results stay picklable
    and storable): per step, the entropy H_T of the next-token distribution and the log-probability of the
    token taken under it (nats), and whether the text ended there (an end-of-sequence token)."""

    tokens: tuple[int, ...]
    entropies: tuple[float, ...]
    logprobs: tuple[float, ...]
    ended: bool
    count: int  # how many of the draws were this path


@cached_measurement
def sequence_paths(model: Backend, prompt: Prompt, n: int, *, max_new_tokens: int = 16, temperature: float = 1.0,
                   seed: int = 0) -> tuple[KnownPath, ...]:
    """n sampled continuations, as their distinct paths with per-step entropies and log-probabilities
    from teacher forcing (KnownPath): what stats.degenerate.known_paths_interval bounds the continuation
    entropy with. A check draws these to add paths to a collapsed sample (assertions.entropy)."""
    check_temperature(temperature)
    samples = model.sample(prompt, n, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    return _distinct_paths(model, prompt, samples, temperature)


def _distinct_paths(model: Backend, prompt: Prompt, samples, temperature: float) -> tuple[KnownPath, ...]:
    """The distinct paths among `samples`, in order of first appearance, each teacher-forced once.

    H_T per row as before (stats.entropy_from_logprobs, one row at a time). The drawn token's
    log-probability is read from its row: at T = 1 the row is already log p (continuation_logprobs),
    so it costs nothing; at another T it is one log-softmax of the row / T."""
    counts = Counter(tuple(s.token_ids) for s in samples)
    ended = {tuple(s.token_ids) for s in samples if s.finish_reason == "eos"}
    tokens = list(counts)
    order = iter(tokens)

    def steps(rows: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
        path = next(order)  # reduce_along calls this on the paths in their order
        entropies = tuple(float(stats.entropy_from_logprobs(row, temperature)) for row in rows)
        if temperature == 1:
            logprobs = tuple(float(row[token]) for row, token in zip(rows, path))
        else:
            logprobs = tuple(float(special.log_softmax(row / temperature)[token]) for row, token in zip(rows, path))
        return entropies, logprobs

    # Each path's values as soon as its rows are made: only a few paths' distributions are held at once.
    found = reduce_along(tokens, steps, (model, [prompt] * len(tokens)))
    return tuple(KnownPath(path, entropies, logprobs, path in ended, counts[path])
                 for path, (entropies, logprobs) in zip(tokens, found))


def overlap(first: tuple[float, float], second: tuple[float, float]) -> tuple[float, float]:
    """Where two intervals for one quantity overlap; `second` alone where they do not (it is the certain
    one: the first, a confidence interval, then missed)."""
    low, high = max(first[0], second[0]), min(first[1], second[1])
    return (float(low), float(high)) if low <= high else (float(second[0]), float(second[1]))


def _miller_madow_of_labels(labels: np.ndarray, axis: int = -1) -> np.ndarray:
    labels = np.moveaxis(np.asarray(labels), axis, -1)
    flat = labels.reshape(-1, labels.shape[-1])
    values = [stats.miller_madow_entropy(np.unique(row, return_counts=True)[1]) for row in flat]
    return np.asarray(values).reshape(labels.shape[:-1])



@dataclass(frozen=True)
class BoundedEntropy:
    """Next-token entropy known only through the top-k log-probabilities: certain bounds, not a sample.
    low <= H <= high, in nats."""

    low: float
    high: float  # inf when the vocabulary size is unknown
    top_k: int  # the entries used: those given, less those read as mass 0
    tail_mass: float  # the probability outside them, 1 - their sum, as reported (0 to 1)

    @property
    def estimate(self) -> float:
        """The middle of [low, high] in nats; `low`, the end that is known, when `high` is inf."""
        return (self.low + self.high) / 2 if np.isfinite(self.high) else self.low


def entropy_bounds(top_logprobs, vocab_size: int | None = None) -> BoundedEntropy:
    """Certain bounds on H(p), in nats, from p's k largest log-probabilities.

    `top_logprobs`: shape (k,), natural-log probabilities of k distinct tokens, any order, read as a
    server reports them (stats.reported_logprobs): above 0 by at most ROUNDING (1e-5) read as 0; -inf or
    below -708.4 (a stand-in such as vLLM's -9999) read as mass 0 and left out, as if not given.
    `vocab_size`: V, how many tokens p is over; None when unknown.

    The top k contribute exactly. The other tokens hold the rest, r = 1 - sum(top), each at most the
    smallest top probability m. Their entropy is smallest when they are as few as possible: floor(r / m)
    tokens at m and one with the remainder (-x log x is concave, so that extreme point is the minimum).
    It is largest when r is spread evenly over the V - k others: r log((V - k) / r); with V unknown,
    there is no upper bound. Reported values are rounded, so r is taken anywhere within ROUNDING of
    1 - sum(top): the interval has width 0 only where the k tokens are the whole vocabulary. A single
    entry at 0 (p = 1 by the report) gives [0, inf], or [0, 2.2e-4] with V = 49152.

    Raises ValueError, naming the entry or the value, for: a list that is empty or not one-dimensional;
    an entry that is not a number, is NaN, or is above 0 beyond rounding (a probability above 1); every
    entry at mass 0; a mass above 1 + ROUNDING (not the top of one distribution: a server that lists
    tokens its sampler cut beside probabilities renormalised over those it kept); a V below k, or too
    small for the V - k others, each at most m, to hold r."""
    given = reported_logprobs(top_logprobs, "top_logprobs")
    logprobs = given[np.isfinite(given)]
    if logprobs.size == 0:
        raise ValueError(f"every entry of top_logprobs has mass 0 (-inf, or below {ZERO_MASS_BELOW:.1f}): "
                         f"{top_logprobs!r}; there is no distribution to bound")
    p = np.exp(logprobs)
    known = float(-(p * logprobs).sum())
    tail = 1.0 - top_mass(logprobs, "top_logprobs")
    log_m = float(logprobs.min())
    m = float(np.exp(log_m))
    low_tail, high_tail = max(0.0, tail - ROUNDING), min(1.0, tail + ROUNDING)
    high = np.inf
    if vocab_size is not None:
        others = check_int(vocab_size, "vocab_size", 1) - p.size
        if others < 0:
            raise ValueError(f"vocab_size {vocab_size} is smaller than the {p.size} tokens given with mass above 0")
        room = others * m  # the most the other tokens can hold
        if low_tail > room:
            raise ValueError(f"the {others} other tokens of vocab_size {vocab_size}, each at most the smallest "
                             f"top probability {m:.6g}, cannot hold the rest of the mass, {tail:.6g}: these are not the "
                             f"top {p.size} of a distribution over {vocab_size} tokens (check vocab_size)")
        high_tail = min(high_tail, room)
        spread = min(high_tail, max(low_tail, others / np.e))  # r log(n / r) is largest at r = n / e
        high = known + (float(spread * np.log(others / spread)) if spread > 0 else 0.0)

    def fewest(r: float) -> float:  # floor(r / m) tokens at m and one with the rest
        full, rest = divmod(r, m)
        return full * m * -log_m + (float(-rest * np.log(rest)) if rest > 0 else 0.0)

    # smallest at an end of [low_tail, high_tail] or where r / m is whole (concave in between)
    whole = float(np.ceil(low_tail / m)) * m
    low = known + min(fewest(r) for r in (low_tail, high_tail, whole) if r <= high_tail)
    return BoundedEntropy(float(low), float(max(low, high)), p.size, tail)
