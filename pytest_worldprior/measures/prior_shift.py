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
    prompt (the prompt's next token included), teacher-forced through both models."""
    if not prompts:
        raise ValueError("prior_shift needs at least one probe prompt")
    vocab = check_same_tokenizer(model, baseline)
    paths = [list(model.sample(p, 1, max_new_tokens=continuation_tokens, seed=seed)[0].token_ids) for p in prompts]
    ours = model.continuation_logprobs(list(prompts), paths)
    theirs = baseline.continuation_logprobs(list(prompts), paths)
    kl, js, shifted = [], [], []
    for p, q in zip(ours, theirs):
        p, q = _renormalised(p[:, :vocab]), _renormalised(q[:, :vocab])
        kl.append(np.atleast_1d(stats.kl_from_logprobs(p, q)))
        js.append(np.atleast_1d(stats.js_from_logprobs(p, q)))
        top = p.argmax(axis=1)
        rank = (q > q[np.arange(len(q)), top][:, None]).sum(axis=1)  # 0 = baseline's favourite too
        shifted.append(rank >= SHIFTED_RANK)
    return PriorShift(np.concatenate(kl), np.concatenate(js), np.concatenate(shifted), len(prompts))


def _renormalised(logprobs: np.ndarray) -> np.ndarray:
    """Renormalise rows cut to the tokenizer's vocabulary (the output layer's padding columns dropped)."""
    return log_softmax(logprobs, axis=1)


def reference_paths(model: Backend, prompts: Sequence[Prompt], *, continuation_tokens: int = 16, seed: int = 0,
                    k: int = 32) -> list[dict]:
    """What a stored baseline keeps for prior_shift: the model's own seeded continuation of each prompt
    (the same paths prior_shift teacher-forces) and its top-k next-token distribution at each position."""
    vocab = len(model.token_texts())
    paths = [list(model.sample(p, 1, max_new_tokens=continuation_tokens, seed=seed)[0].token_ids) for p in prompts]
    rows = model.continuation_logprobs(list(prompts), paths)
    return [{"path": tuple(path), "distributions": tuple(TopK.of(row, k) for row in _renormalised(d[:, :vocab]))}
            for path, d in zip(paths, rows)]


def prior_shift_to_stored(model: Backend, prompts: Sequence[Prompt], reference: Sequence[dict]) -> PriorShift:
    """prior_shift against a stored baseline: the candidate is teacher-forced along the paths the stored
    model wrote (a live comparison uses the candidate's own paths), and compared with the stored top-k.
    KL is the estimate of topk.kl_to_stored (the stored tail shaped like the candidate's, which is
    also its lowest possible value); JS uses the same completed distribution; a candidate top token
    outside the stored top-k counts as shifted."""
    vocab = len(model.token_texts())
    ours = model.continuation_logprobs(list(prompts), [list(r["path"]) for r in reference])
    kl, js, shifted = [], [], []
    for p_rows, stored in zip(ours, reference):
        for p, topk in zip(_renormalised(p_rows[:, :vocab]), stored["distributions"]):
            kl.append(kl_to_stored(p, topk).estimate)
            q = _completed(p, topk)
            js.append(float(stats.js_from_logprobs(p, q)))
            top = int(p.argmax())
            shifted.append(top not in topk.ids[:SHIFTED_RANK])
    return PriorShift(np.array(kl), np.array(js), np.array(shifted), len(prompts))


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
