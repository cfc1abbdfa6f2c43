"""A next-token distribution kept as its top k tokens, and the KL divergence to it with certain bounds.

`TopK` holds the k most likely token ids with their log-probabilities, the log of the remaining mass and
the smallest log-probability in that remainder. `kl_to_stored` computes KL(candidate || stored) from it,
with an interval that is guaranteed to contain the KL against the stored model's full distribution
(log-sum inequality; Cover and Thomas, Elements of Information Theory, 2006, theorem 2.7.1).
Stored baselines keep distributions this way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ..errors import TokenizerMismatchError
from ..jsonsafe import jsonable


@dataclass(frozen=True)
class TopK:
    """A next-token distribution as stored: the k most likely token ids with their log-probabilities
    (most likely first), log of the mass of all other tokens, and the smallest log-probability among them."""

    ids: tuple[int, ...]
    logprobs: tuple[float, ...]
    tail_logmass: float  # -inf when k covers the whole vocabulary
    tail_min_logprob: float  # -inf likewise
    vocab_size: int

    @classmethod
    def of(cls, logprobs: np.ndarray, k: int) -> TopK:
        logprobs = np.asarray(logprobs, dtype=np.float64)
        if logprobs.ndim != 1 or not 1 <= k:
            raise ValueError(f"need one distribution (1-d log-probabilities) and k >= 1, got shape {logprobs.shape}, k={k}")
        k = min(k, logprobs.size)
        order = np.argsort(-logprobs, kind="stable")
        top, tail = order[:k], order[k:]
        tail_logmass = float(logsumexp(logprobs[tail])) if tail.size else -np.inf
        tail_min = float(logprobs[tail].min()) if tail.size else -np.inf
        return cls(tuple(int(i) for i in top), tuple(float(x) for x in logprobs[top]), tail_logmass, tail_min, logprobs.size)

    @classmethod
    def covering(cls, logprobs: np.ndarray, k: int, tail_mass: float = 0.01, max_factor: int = 8) -> TopK:
        """At least k tokens, and more (up to max_factor * k) until the rest holds at most `tail_mass`. The
        KL bound's width grows with the candidate's mass on the stored tail: for a candidate close to the
        stored model, a tail of 1 % keeps it to a few hundredths of a nat."""
        logprobs = np.asarray(logprobs, dtype=np.float64)
        covered = np.cumsum(np.exp(np.sort(logprobs)[::-1]))
        needed = int(np.searchsorted(covered, 1.0 - tail_mass)) + 1
        return cls.of(logprobs, min(max(k, needed), max_factor * k))

    def as_dict(self) -> dict[str, object]:
        """JSON-ready; an empty tail's -inf ends are written as null."""
        return jsonable({"ids": self.ids, "logprobs": self.logprobs, "tail_logmass": self.tail_logmass,
                         "tail_min_logprob": self.tail_min_logprob, "vocab_size": self.vocab_size}, finite=True)

    @classmethod
    def from_dict(cls, data: dict) -> TopK:
        return cls(tuple(data["ids"]), tuple(data["logprobs"]), _none_as_minus_inf(data["tail_logmass"]),
                   _none_as_minus_inf(data["tail_min_logprob"]), data["vocab_size"])


@dataclass(frozen=True)
class StoredKL:
    """KL(candidate || stored) in nats: an estimate and an interval certain to hold the KL against the
    stored model's full distribution (its width is the error the top-k storage allows)."""

    estimate: float
    low: float
    high: float

    @property
    def error_bound(self) -> float:
        return self.high - self.low


def kl_to_stored(candidate_logprobs: np.ndarray, stored: TopK) -> StoredKL:
    """KL(p || q) for the candidate's full next-token distribution p and a stored top-k q.

    The top-k tokens contribute exactly. Over the other tokens T, q is known only through its mass
    r = q(T) and its smallest value m. There sum p log(p/q) is at least p(T) log(p(T)/r) (log-sum
    inequality; equality when q is shaped like p on T, which is the estimate) and at most
    sum_T p log p - p(T) log m (every q there is at least m)."""
    p = np.asarray(candidate_logprobs, dtype=np.float64)
    if p.ndim != 1 or p.size != stored.vocab_size:
        raise TokenizerMismatchError(
            f"the stored distribution has {stored.vocab_size} tokens and the candidate's {p.size}: token-level "
            "comparison needs the same tokenizer (re-record the baseline with this model's tokenizer)"
        )
    ids = np.asarray(stored.ids, dtype=np.int64)
    head = float(np.sum(np.exp(p[ids]) * (p[ids] - np.asarray(stored.logprobs))))
    if stored.tail_logmass == -np.inf:
        return StoredKL(head, head, head)
    tail = np.ones(p.size, dtype=bool)
    tail[ids] = False
    tail_log = p[tail]
    tail_logmass = float(logsumexp(tail_log))
    tail_mass = float(np.exp(tail_logmass))
    low = head + tail_mass * (tail_logmass - stored.tail_logmass)
    high = head + float(np.sum(np.exp(tail_log) * tail_log)) - tail_mass * stored.tail_min_logprob
    return StoredKL(low, low, max(low, high))


def _none_as_minus_inf(x: float | None) -> float:
    return -np.inf if x is None else float(x)
