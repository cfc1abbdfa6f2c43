"""Prior shift: how far a model's next-token distributions moved from a baseline's (same tokenizer)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from .. import stats
from ..backends.base import Backend, Prompt
from ..errors import WorldpriorError
from ..results_cache import cached_measurement

SHIFTED_RANK = 3  # URIAL: a position is "shifted" when the model's top token is not in the baseline's top 3


class TokenizerMismatchError(WorldpriorError, ValueError):
    """Token-level comparisons need both models to share one vocabulary."""


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
    """The shared vocabulary size; a TokenizerMismatchError if the two tokenizers differ."""
    mine, theirs = model.token_texts(), baseline.token_texts()
    if mine != theirs:
        raise TokenizerMismatchError(
            f"{model.info().reference} and {baseline.info().reference} have different tokenizers "
            f"({len(mine)} vs {len(theirs)} tokens), so token-level measures (KL, JS, shifted positions) are "
            "undefined. Compare closed-set distributions or samples instead."
        )
    return len(mine)


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
    """Drop padding rows of the output layer (beyond the tokenizer's vocabulary) and renormalise."""
    return logprobs - logsumexp(logprobs, axis=1, keepdims=True)
