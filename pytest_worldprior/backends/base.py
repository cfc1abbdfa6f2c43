"""The backend contract: how any model is asked. Batched: lists in, lists out.

A *prompt* is plain text or a chat (a list of {"role", "content"} messages, rendered with the model's
chat template). A *context* is a prompt or a list of token ids (for example a prompt followed by a
sampled continuation and an injection).
"""

from __future__ import annotations

import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

import numpy as np

from ..stats.checks import check_temperature

Message = Mapping[str, str]
Prompt = str | Sequence[Message]
Context = Prompt | Sequence[int]
Continuation = str | Sequence[int]

# The default continuation_logprobs asks for at most this many prefixes at once: the batch a backend
# sees stays bounded (256 rows of a 262k vocabulary in float64 are 0.5 GB).
PREFIXES_PER_CALL = 256


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
    """A language model as pytest-worldprior sees it: the one contract every caller relies on.

    Every backend gives `info`, `render` and `sample`. What else it gives is declared by three
    capabilities, so that a caller asks the flag, never `hasattr`:

    - `gives_logits`: full next-token distributions. Then `next_token_logprobs`, `encode`,
      `continuation_ids`, `decode`, `token_texts` and `vocab_size` work, and `score`,
      `continuation_logprobs` and `top_logprobs` have working defaults built on them (override them
      for speed). Exact measures need this.
    - `gives_top_logprobs`: the k most likely next tokens (`top_logprobs`, k up to `max_top_logprobs`),
      as a model server gives them; entropy then has certain bounds rather than a sampled interval.
    - `scores_prompts`: `score` works without full distributions (a server that echoes prompt
      log-probabilities).

    A method whose capability is missing raises NotImplementedError naming the backend and what it
    lacks (`_lacks`). Contexts are a prompt (text or chat) or a list of token ids; batched methods take
    and return lists.

    Writing a backend: implement `info`, `render` and `sample` (a text-only backend is then complete);
    for a logit backend also set `gives_logits = True` and implement the five methods of that section
    (a class that declares it without them is refused when it is defined). Every capability is False
    unless a backend declares it.
    """

    eos_ids: frozenset[int] = frozenset()  # token ids that end a text, where the backend knows them
    gives_logits: bool = False
    gives_top_logprobs: bool = False
    scores_prompts: bool = False
    gives_sampling_logprobs: bool = False  # each Generation's sampling_logprobs are filled in

    _LOGIT_METHODS = ("next_token_logprobs", "encode", "continuation_ids", "decode", "token_texts")

    def __init_subclass__(cls, **kwargs) -> None:
        """A class that declares `gives_logits = True` must implement what that promises."""
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("gives_logits") is True:
            missing = [name for name in Backend._LOGIT_METHODS if getattr(cls, name) is getattr(Backend, name)]
            if missing:
                raise TypeError(f"{cls.__name__} declares gives_logits = True but does not implement "
                                f"{', '.join(missing)}; implement them, or leave gives_logits False (text only)")

    # ---- every backend ---------------------------------------------------------------------------

    @abstractmethod
    def info(self) -> ModelInfo:
        """The model's fingerprint: reference, hashes of weights and tokenizer, dtype, device, versions.

        The results cache keys measurements by this fingerprint (less `name` and `reference`): two
        models that differ must differ here (a hash of the weights, or a version in the name)."""

    @abstractmethod
    def render(self, prompt: Prompt) -> str:
        """The text the model sees for a prompt (chat prompts go through the chat template)."""

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

    def sample_many(self, contexts: Sequence[Context], counts: Sequence[int], *, max_new_tokens: int = 64,
                    temperature: float = 1.0, top_p: float = 1.0, seed: int = 0,
                    stop: Sequence[str] | None = None) -> list[list[Generation]]:
        """`counts[j]` seeded samples of each `contexts[j]`: context j is sampled as `sample` does with the seed
        `seed_per_context(seed, len(contexts))[j]` (the first context with `seed` itself, the others with seeds
        derived from (seed, j)), so the draws of different contexts are independent even for a model that
        ignores its context. The default calls `sample` per context; a backend that can draw rows of different
        contexts in one batch overrides it for speed. Raises ValueError when contexts and counts differ in number."""
        contexts, counts = as_batch(contexts, "contexts"), list(counts)
        if len(contexts) != len(counts):
            raise ValueError(f"got {len(contexts)} contexts but {len(counts)} counts; give one count per context")
        return [self.sample(context, count, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
                            seed=own, stop=stop) if count else []
                for context, count, own in zip(contexts, counts, seed_per_context(seed, len(contexts)))]

    def close(self) -> None:
        """Release memory held by the model. The backend must not be used afterwards."""

    # ---- gives_logits ------------------------------------------------------------------------------

    def next_token_logprobs(self, contexts: Sequence[Context]) -> np.ndarray:
        """Log-probabilities of the next token after each context: array [batch, vocab], float64, nats."""
        self._lacks("gives_logits", "next-token log-probabilities")

    def encode(self, context: Context) -> list[int]:
        """Token ids of a context as the model reads it (a list of ids is returned as it is)."""
        self._lacks("gives_logits", "a tokenizer (encode)")

    def continuation_ids(self, context: Context, context_ids: list[int], continuation: Continuation) -> list[int]:
        """Token ids of `continuation` as the model would read it after `context` (whose ids are
        `context_ids`); token ids are taken as they are."""
        self._lacks("gives_logits", "a tokenizer (continuation_ids)")

    def decode(self, token_ids: Sequence[int]) -> str:
        """The text of token ids, special tokens left out."""
        self._lacks("gives_logits", "a tokenizer (decode)")

    def token_texts(self) -> list[str]:
        """The decoded text of each token id on its own, in id order (closed-set scoring reads each
        token's first character); tells whether two models share a tokenizer."""
        self._lacks("gives_logits", "its vocabulary (token_texts)")

    @property
    def vocab_size(self) -> int | None:
        """The width of the next-token distribution (its last axis); None where the backend does not
        know it (a server)."""
        return len(self.token_texts()) if self.gives_logits else None

    def vocabulary_sha256(self) -> str | None:
        """sha256 of the token texts in id order (None without a vocabulary): equal exactly when
        token-level comparisons between two models are defined."""
        try:
            texts = self.token_texts()
        except NotImplementedError:
            return None
        return hashlib.sha256("\0".join(texts).encode("utf-8", "surrogatepass")).hexdigest()

    def continuation_logprobs(self, contexts: Sequence[Context], continuations: Sequence[Continuation]) -> list[np.ndarray]:
        """Full next-token log-probabilities [len(continuation), vocab] before each continuation token.

        The default asks `next_token_logprobs` once, for every prefix of every path together; backends
        that run the model override it with one forward pass per path."""
        if not self.gives_logits:
            self._lacks("gives_logits", "full distributions along a path")
        return self._path_logprobs(self._paths(contexts, continuations))

    def score(self, contexts: Sequence[Context], continuations: Sequence[Continuation]) -> list[float]:
        """Exact log-probability (nats) of each continuation given its context (teacher forcing)."""
        if not self.gives_logits:  # a backend that scores_prompts without logits overrides score
            self._lacks("scores_prompts", "scores of continuations (it gives neither full distributions nor prompt "
                                          "log-probabilities)")
        paths = self._paths(contexts, continuations)
        return [math.fsum(float(row[token]) for row, token in zip(rows, path))
                for (_, path), rows in zip(paths, self._path_logprobs(paths))]

    def _paths(self, contexts: Sequence[Context], continuations: Sequence[Continuation]) -> list[tuple[list[int], list[int]]]:
        """(context ids, continuation ids) of each pair."""
        contexts, continuations = as_batch(contexts, "contexts"), as_batch(continuations, "continuations")
        if len(contexts) != len(continuations):
            raise ValueError(f"got {len(contexts)} contexts but {len(continuations)} continuations")
        paths = []
        for context, continuation in zip(contexts, continuations):
            ids = list(self.encode(context))
            paths.append((ids, list(self.continuation_ids(context, ids, continuation))))
        return paths

    def _path_logprobs(self, paths: list[tuple[list[int], list[int]]]) -> list[np.ndarray]:
        """The rows before each token of each path: every prefix of every path, in batched
        `next_token_logprobs` calls of at most PREFIXES_PER_CALL contexts (rows are float64 [vocab] each)."""
        prefixes = [ids + path[:i] for ids, path in paths for i in range(len(path))]
        chunks = [self.next_token_logprobs(prefixes[i : i + PREFIXES_PER_CALL])
                  for i in range(0, len(prefixes), PREFIXES_PER_CALL)]
        rows = np.concatenate(chunks) if chunks else np.empty((0, self.vocab_size or 0))
        out, start = [], 0
        for _, path in paths:
            out.append(rows[start : start + len(path)])
            start += len(path)
        return out

    # ---- gives_top_logprobs (and gives_logits) -------------------------------------------------------

    @property
    def max_top_logprobs(self) -> int:
        """The largest k `top_logprobs` gives: 0 for none; a logit backend gives its whole vocabulary."""
        return (self.vocab_size or 0) if self.gives_logits else 0

    def top_logprobs(self, context: Context, k: int | None = None) -> list[tuple[str, float]]:
        """The k most likely next tokens after one context as (token text, log-probability in nats),
        most likely first; k None: as many as the backend gives (`max_top_logprobs`)."""
        if not self.gives_logits:
            self._lacks("gives_top_logprobs", "top next-token log-probabilities")
        if k is not None and k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        row = self.next_token_logprobs([context])[0]
        top = np.argsort(-row, kind="stable")[: (k or row.size)]
        texts = self.token_texts()
        return [(texts[t] if t < len(texts) else str(int(t)), float(row[t])) for t in top]

    # ---- helpers -----------------------------------------------------------------------------------

    def _lacks(self, capability: str, what: str) -> NoReturn:
        """Raise the NotImplementedError of a missing capability, naming the backend and what it lacks."""
        raise NotImplementedError(
            f"{type(self).__name__} ({self._name()}) does not give {what}: it lacks the {capability!r} capability. "
            "Use a check that works from sampled text (method='sampled'), or a backend that gives it.")

    def _name(self) -> str:
        try:
            return self.info().reference
        except Exception:  # naming must not fail where the backend is already failing
            return "unnamed backend"


def seed_per_context(seed: int, contexts: int) -> list[int]:
    """The seed `sample_many` samples each of `contexts` contexts with: `seed` for the first (one context is
    sampled as `sample` would), for context j > 0 a seed derived from (seed, j) by numpy's SeedSequence."""
    return [seed] + [int(np.random.SeedSequence([seed, j]).generate_state(1)[0]) for j in range(1, contexts)]


def check_sampling_settings(n: int, max_new_tokens: int, temperature: float, top_p: float) -> None:
    """Reject settings that have no meaning, with a message that says what to use instead."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    check_temperature(temperature)
    if not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1], got {top_p!r}")


def as_batch(values, what: str) -> list:
    """Batched methods take lists; a bare string is almost always a mistake, so say so."""
    if isinstance(values, str):
        raise TypeError(f"{what} must be a list (batched); wrap a single {what[:-1]} as [{values[:30]!r}]")
    return list(values)
