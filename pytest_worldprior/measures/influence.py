"""The influence curve: per step after an injected line J, how far the model's next-token distribution
stays from the one it would have without J, KL( p(. | P C J y<t) || p(. | P C y<t) ) in nats, averaged
over continuations y of P + C + J. White-box backends only (it needs both full distributions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import stats
from ..backends.base import Backend
from .paths import reduce_along

if TYPE_CHECKING:
    from .injection import Injection

# Beyond this many continuations the expectation over paths is estimated from samples instead.
MAX_ENUMERATED_PATHS = 4096


@dataclass(frozen=True)
class InfluenceCurve:
    """Per-step KL( p(. | P C J y<t) || p(. | P C y<t) ), averaged over continuations y of P + C + J.

    A continuation that has ended (end of text) contributes 0 from then on: the injection has nothing
    left to influence."""

    kl: np.ndarray  # [steps] mean KL at each step, nats
    interval: tuple[np.ndarray, np.ndarray] | None  # per-step interval when sampled; None when exact
    method: str  # "enumerated" (exact expectation) or "sampled"
    n: int  # continuations used (enumerated or sampled)
    tolerance: float
    path_totals: np.ndarray | None = None  # sampled: each continuation's summed KL; None when exact
    alpha: float = 1e-3

    @property
    def total(self) -> float:
        """The injection's total influence: the sum of the curve, nats."""
        return float(self.kl.sum())

    @property
    def total_interval(self) -> tuple[float, float] | None:
        """t interval of the total over the sampled continuations; None when exact."""
        return stats.t_interval(self.path_totals, self.alpha) if self.path_totals is not None else None

    @property
    def recovery_step(self) -> int | None:
        """First step t after which the curve stays under the tolerance (1-based); None if it never does."""
        above = np.flatnonzero(self.kl >= self.tolerance)
        step = int(above[-1]) + 2 if above.size else 1
        return step if step <= len(self.kl) else None


def influence_curve(
    model: Backend, injection: Injection, *, steps: int = 8, n: int = 128, seed: int = 0,
    tolerance: float = 0.05, alpha: float = 1e-3, enumerate_paths: bool | None = None,
    paths: Sequence[Sequence[int]] | None = None,
) -> InfluenceCurve:
    """The injection's influence step by step. Exact where the continuations can be enumerated
    (vocabulary^(steps-1) paths at most MAX_ENUMERATED_PATHS, or `enumerate_paths=True`): the expectation
    over every path weighted by its probability after P + C + J. Otherwise n sampled paths, with intervals;
    `paths` gives them already sampled (continuations of P + C + J, cut to `steps` tokens here)."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    vocab = len(model.token_texts())
    if enumerate_paths is None:
        enumerate_paths = vocab ** (steps - 1) <= MAX_ENUMERATED_PATHS
    if enumerate_paths:
        return _enumerated_curve(model, injection, steps, vocab, tolerance)
    if paths is None:
        paths = [s.token_ids for s in model.sample(list(injection.injected_ids), n, max_new_tokens=steps, seed=seed)]
    paths = [list(p[:steps]) for p in paths]
    n = len(paths)
    table = np.zeros((n, steps))  # paths that ended early add 0 after their end
    for row, values in enumerate(_kl_along(model, injection, paths)):
        table[row, : len(values)] = values
    mean = table.mean(axis=0)
    interval = stats.t_interval(table, alpha, axis=0) if n > 1 else (mean, mean)
    return InfluenceCurve(mean, interval, "sampled", n, tolerance, table.sum(axis=1), alpha)



def _kl_along(model: Backend, injection: Injection, paths: list[list[int]]) -> list[np.ndarray]:
    """KL(with injection || without) before each token of each path, both teacher-forced along the same path.
    A few paths at a time (measures.paths), a row at a time within a path: only the per-step KL is kept, not
    the two [tokens, vocabulary] float64 tables of each path (64 MiB for 16 tokens of a 262,144-token vocabulary)."""
    def kl_per_step(with_j: np.ndarray, without: np.ndarray) -> np.ndarray:
        return np.array([stats.kl_from_logprobs(a, b) for a, b in zip(with_j, without)], dtype=float)

    return reduce_along(paths, kl_per_step, (model, [list(injection.injected_ids)] * len(paths)),
                        (model, [list(injection.clean_ids)] * len(paths)))


def _enumerated_curve(model: Backend, injection: Injection, steps: int, vocab: int, tolerance: float) -> InfluenceCurve:
    """E over all paths y<t of KL_t, weighted by p(y<t | P C J): exact, for tiny vocabularies or short curves.
    A path that has ended (end-of-text token) is not extended: it adds 0 to later steps."""
    curve, paths, weights = [], [[]], np.array([1.0])
    for step in range(steps):
        with_j = model.next_token_logprobs([list(injection.injected_ids) + p for p in paths])[:, :vocab]
        without = model.next_token_logprobs([list(injection.clean_ids) + p for p in paths])[:, :vocab]
        kl = np.atleast_1d(stats.kl_from_logprobs(with_j, without))
        curve.append(float(np.dot(weights, kl)))
        if step + 1 < steps:
            probs = np.exp(with_j - np.logaddexp.reduce(with_j, axis=1, keepdims=True))
            going_on = [t for t in range(vocab) if t not in model.eos_ids]
            paths = [p + [t] for p in paths for t in going_on]
            weights = (weights[:, None] * probs[:, going_on]).ravel()
    return InfluenceCurve(np.array(curve), None, "enumerated", len(paths), tolerance)


def pooled_influence(model: Backend, injections: Sequence[Injection], paths: Sequence[Sequence[Sequence[int]]], *,
                     steps: int, weights: Sequence[float], tolerance: float = 0.05, alpha: float = 1e-3) -> InfluenceCurve:
    """One curve over several prefixes: `injections[j]` (P + C_j + J) with its sampled `paths[j]` (cut to
    `steps` tokens), all paths' KL rows together (prefixes with more paths weigh more); where the curve is
    enumerated (see `influence_curve`), each prefix's exact curve weighted by `weights[j]`. Raises
    ValueError when no prefix has a path to sample along and the curve is not enumerated."""
    vocab = len(model.token_texts())
    if vocab ** (steps - 1) <= MAX_ENUMERATED_PATHS:
        curves = [_enumerated_curve(model, injection, steps, vocab, tolerance) for injection in injections]
        kl = np.average([c.kl for c in curves], axis=0, weights=np.asarray(weights, dtype=float))
        return InfluenceCurve(kl, None, "enumerated", sum(c.n for c in curves), tolerance)
    rows = []
    for injection, own in zip(injections, paths):
        own = [list(p[:steps]) for p in own]
        for values in _kl_along(model, injection, own):
            row = np.zeros(steps)  # paths that ended early add 0 after their end
            row[: len(values)] = values
            rows.append(row)
    if not rows:
        raise ValueError("no sampled path to measure the influence along: give at least one")
    table = np.array(rows)
    mean = table.mean(axis=0)
    interval = stats.t_interval(table, alpha, axis=0) if len(rows) > 1 else (mean, mean)
    return InfluenceCurve(mean, interval, "sampled", len(rows), tolerance, table.sum(axis=1), alpha)
