"""The backend contract: how any model is asked. Batched: lists in, lists out.

A *prompt* is plain text or a chat (a list of {"role", "content"} messages, rendered with the model's
chat template). A *context* is a prompt or a list of token ids (for example a prompt followed by a
sampled continuation and an injection).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

Message = Mapping[str, str]
Prompt = str | Sequence[Message]
Context = Prompt | Sequence[int]
Continuation = str | Sequence[int]


@dataclass(frozen=True)
class Generation:
    """One sampled continuation.

    `token_ids` include a final end-of-sequence token when the model chose to stop (`finish_reason`
    "eos"); `text` never shows it and is cut before a stop string ("stop"). `logprobs` are per token
    under the model itself (T=1, full vocabulary); `sampling_logprobs` under the distribution that was
    actually sampled from (temperature and top-p applied).
    """

    text: str
    token_ids: tuple[int, ...]
    logprobs: tuple[float, ...]
    sampling_logprobs: tuple[float, ...]
    finish_reason: str  # "eos" | "stop" | "length"
    seed: int
    index: int

    @property
    def logprob(self) -> float:
        """Log-probability of the whole token sequence under the model (T=1)."""
        return math.fsum(self.logprobs)


@dataclass(frozen=True)
class ModelInfo:
    """A fingerprint of a loaded model: enough to tell two runs apart and to replay one."""

    name: str
    reference: str
    backend: str
    weights_sha256: str
    tokenizer_sha256: str
    dtype: str
    device: str
    vocab_size: int
    has_chat_template: bool
    versions: Mapping[str, str] = field(default_factory=dict)

    @property
    def short_hash(self) -> str:
        return self.weights_sha256[:12]

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "versions": dict(self.versions)}


class Backend(ABC):
    """A language model as pytest-worldprior sees it."""

    eos_ids: frozenset[int] = frozenset()  # token ids that end a text, where the backend knows them
    gives_logits: bool = True  # False: next_token_logprobs raises, exact measures do not apply (servers, functions)

    @abstractmethod
    def info(self) -> ModelInfo: ...

    @abstractmethod
    def next_token_logprobs(self, contexts: Sequence[Context]) -> np.ndarray:
        """Log-probabilities of the next token after each context: array [batch, vocab], float64."""

    def top_logprobs(self, contexts: Sequence[Context], k: int) -> list[list[tuple[int, float]]]:
        """The k most likely next tokens and their log-probabilities, most likely first."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        full = self.next_token_logprobs(contexts)
        top = np.argsort(-full, axis=1, kind="stable")[:, :k]
        return [[(int(t), float(row[t])) for t in ids] for row, ids in zip(full, top)]

    @abstractmethod
    def score(self, contexts: Sequence[Context], continuations: Sequence[Continuation]) -> list[float]:
        """Exact log-probability of each continuation given its context (teacher forcing)."""

    def continuation_logprobs(self, contexts: Sequence[Context], continuations: Sequence[Continuation]) -> list[np.ndarray]:
        """Full next-token log-probabilities [len(continuation), vocab] before each continuation token.

        White-box backends only: one forward pass gives every distribution along a path."""
        raise NotImplementedError(f"{type(self).__name__} does not expose full distributions along a path")

    def token_texts(self) -> list[str]:
        """The text of every token id (white-box backends): tells whether two models share a tokenizer."""
        raise NotImplementedError(f"{type(self).__name__} does not expose its vocabulary")

    @abstractmethod
    def sample(
        self,
        context: Context,
        n: int,
        *,
        max_new_tokens: int = 64,
        temperature: float = 1.0,
        top_p: float = 1.0,
        seed: int = 0,
        stop: Sequence[str] | None = None,
    ) -> list[Generation]:
        """n seeded samples. Sample i depends only on (context, settings, seed, i)."""

    @abstractmethod
    def render(self, prompt: Prompt) -> str:
        """The text the model sees for a prompt (chat prompts go through the chat template)."""

    def close(self) -> None:
        """Release memory held by the model. The backend must not be used afterwards."""


def check_sampling_settings(n: int, max_new_tokens: int, temperature: float, top_p: float) -> None:
    """Reject settings that have no meaning, with a message that says what to use instead."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature > 0):
        raise ValueError(
            f"temperature must be a finite number above 0, got {temperature!r}; "
            "temperature 0 means greedy decoding, which is not sampling: use a small value such as 0.01"
        )
    if not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1], got {top_p!r}")


def as_batch(values, what: str) -> list:
    """Batched methods take lists; a bare string is almost always a mistake, so say so."""
    if isinstance(values, str):
        raise TypeError(f"{what} must be a list (batched); wrap a single {what[:-1]} as [{values[:30]!r}]")
    return list(values)
