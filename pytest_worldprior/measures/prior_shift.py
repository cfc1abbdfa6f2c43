"""Prior shift: how far a model's next-token distributions moved from a baseline's (same tokenizer)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax, logsumexp

from .. import stats
from ..backends.base import Backend, Prompt
from ..errors import TokenizerMismatchError
from ..results_cache import cached_measurement
from .paths import reduce_along
from .topk import TopK, kl_to_stored

SHIFTED_RANK = 3  # URIAL: a position is "shifted" when the model's top token is not in the baseline's top 3


@dataclass(frozen=True)
class PriorShift:
    kl: np.ndarray  # KL(model || baseline) per position, nats
    js: np.ndarray  # JS per position, nats
    shifted: np.ndarray  # bool per position
    prompts: int

    @property
    def mean_kl(self) -> float:
        return float(self.kl.mean())

    @property
    def mean_js(self) -> float:
        return float(self.js.mean())

    @property
    def shifted_share(self) -> float:
        return float(self.shifted.mean())


def check_same_tokenizer(model: Backend, baseline: Backend) -> int:
    """The shared vocabulary size; a TokenizerMismatchError if the two vocabularies differ. Compares
    `vocabulary_sha256()` of both sides, so a stored baseline (the fingerprint of the model it recorded)
    is checked like a live one."""
    ours, theirs = model.vocabulary_sha256(), baseline.vocabulary_sha256()
    if ours is None or ours != theirs:
        raise TokenizerMismatchError(
            f"{model.info().reference} and {baseline.info().name} have different tokenizers (vocabulary sha256 "
            f"{(ours or 'unknown')[:12]} vs {(theirs or 'unknown')[:12]}; distributions over {_size(model)} vs "
            f"{_size(baseline)} tokens), so token-level measures (KL, JS, shifted positions) are undefined. Compare closed-set distributions or "
            "samples instead, or compare with a baseline (or record one) that shares this tokenizer."
        )
    return len(model.token_texts())


def _size(model: Backend) -> str:
    size = model.vocab_size
    return "?" if size is None else str(size)


@cached_measurement
def prior_shift(
    model: Backend, baseline: Backend, prompts: Sequence[Prompt], *, continuation_tokens: int = 16, seed: int = 0
) -> PriorShift:
    """Compare next-token distributions at every position of the model's own seeded continuation of each
    prompt (the prompt's next token included), teacher-forced through both models. Each path is reduced
    to its per-position KL, JS and shift as soon as both models' rows for it are made."""
    if not prompts:
        raise ValueError("prior_shift needs at least one probe prompt")
    vocab = check_same_tokenizer(model, baseline)
    paths = [list(model.sample(p, 1, max_new_tokens=continuation_tokens, seed=seed)[0].token_ids) for p in prompts]

    def shift(p_rows: np.ndarray, q_rows: np.ndarray) -> list[tuple[float, float, bool]]:
        per_position = []
        for p, q in zip(p_rows[:, :vocab], q_rows[:, :vocab]):  # a row at a time: no copy of the whole path
            p, q = _renormalised(p), _renormalised(q)
            rank = int((q > q[p.argmax()]).sum())  # 0 = baseline's favourite too
            per_position.append((float(stats.kl_from_logprobs(p, q)), float(stats.js_from_logprobs(p, q)),
                                 rank >= SHIFTED_RANK))
        return per_position

    return _of_positions(reduce_along(paths, shift, (model, list(prompts)), (baseline, list(prompts))), len(prompts))


def _renormalised(logprobs: np.ndarray) -> np.ndarray:
    """Renormalise rows cut to the tokenizer's vocabulary (the output layer's padding columns dropped)."""
    return log_softmax(logprobs, axis=-1)


def _of_positions(per_path: list[list[tuple[float, float, bool]]], prompts: int) -> PriorShift:
    """A PriorShift from each path's (KL, JS, shifted) per position."""
    rows = [row for path in per_path for row in path]
    kl, js, shifted = (np.array(column) for column in zip(*rows)) if rows else (np.array([]),) * 3
    return PriorShift(kl, js, shifted, prompts)


def reference_paths(model: Backend, prompts: Sequence[Prompt], *, continuation_tokens: int = 16, seed: int = 0,
                    k: int = 32) -> list[dict]:
    """What a stored baseline keeps for prior_shift: the model's own seeded continuation of each prompt
    (the same paths prior_shift teacher-forces) and its top-k next-token distribution at each position."""
    vocab = len(model.token_texts())
    paths = [list(model.sample(p, 1, max_new_tokens=continuation_tokens, seed=seed)[0].token_ids) for p in prompts]
    kept = reduce_along(paths, lambda d: tuple(TopK.of(_renormalised(row), k) for row in d[:, :vocab]), (model, list(prompts)))
    return [{"path": tuple(path), "distributions": distributions} for path, distributions in zip(paths, kept)]


def prior_shift_to_stored(model: Backend, prompts: Sequence[Prompt], reference: Sequence[dict]) -> PriorShift:
    """prior_shift against a stored baseline: the candidate is teacher-forced along the paths the stored
    model wrote (a live comparison uses the candidate's own paths), and compared with the stored top-k.
    KL is the estimate of topk.kl_to_stored (the stored tail shaped like the candidate's, which is
    also its lowest possible value); JS uses the same completed distribution; a candidate top token
    outside the stored top-k counts as shifted."""
    vocab = len(model.token_texts())
    stored = iter(reference)  # reduce_along reduces the paths in order

    def against_stored(p_rows: np.ndarray) -> list[tuple[float, float, bool]]:
        per_position = []
        for p, topk in zip(p_rows[:, :vocab], next(stored)["distributions"]):
            p = _renormalised(p)
            js = float(stats.js_from_logprobs(p, _completed(p, topk)))
            per_position.append((kl_to_stored(p, topk).estimate, js, int(p.argmax()) not in topk.ids[:SHIFTED_RANK]))
        return per_position

    paths = [list(r["path"]) for r in reference]
    return _of_positions(reduce_along(paths, against_stored, (model, list(prompts))), len(prompts))


def _completed(p: np.ndarray, topk) -> np.ndarray:
    """The stored distribution with its tail mass spread like the candidate's over the same tokens."""
    q = np.full(p.size, -np.inf)
    ids = np.asarray(topk.ids, dtype=np.int64)
    q[ids] = topk.logprobs
    if topk.tail_logmass > -np.inf:
        tail = np.ones(p.size, dtype=bool)
        tail[ids] = False
        q[tail] = p[tail] - logsumexp(p[tail]) + topk.tail_logmass
    return q
