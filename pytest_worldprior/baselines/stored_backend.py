"""A stored baseline standing in for the baseline model (`--worldprior-baseline stored`): the measurements
the accepted model made when its baselines were recorded, served back without loading it.

Decorated measures (next_token_entropy, choice_distribution, sequence_entropy, sampled_mode_share,
run_attractor, prior_shift, ...) asked of this object are answered from the current test's entry in its
module's baseline file (see baselines/session.py). Everything else a model does (logits, sampling) it cannot
do, and says so."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from ..backends.base import Backend, ModelInfo
from ..errors import WorldpriorError


class StoredBaselineError(WorldpriorError, AssertionError):
    """A stored baseline cannot answer: no entry, a measurement not recorded, or a model call."""


class StoredBaseline(Backend):
    """Stands in for a logit model (`gives_logits`, as the model it recorded), but answers only the
    decorated measures; every model method raises StoredBaselineError. Its `vocabulary_sha256` is the
    recorded model's, so tokenizer checks compare it like a live model's."""

    gives_logits = True

    def __init__(self, session) -> None:
        self._session = session

    def info(self) -> ModelInfo:
        """The fingerprint of the model recorded for the current test (reference "stored")."""
        recorded = self._session.stored_model()
        if recorded is None:
            return ModelInfo("stored baseline", "stored", "stored", "", "", "", "", 0, False)
        fields = {k: v for k, v in recorded.items() if k in ModelInfo.__dataclass_fields__}
        return ModelInfo(**(fields | {"reference": "stored", "name": f"{recorded['name']} (stored)"}))

    def vocabulary_sha256(self) -> str | None:
        """Of the model recorded for the current test (see Backend.vocabulary_sha256)."""
        return (self._session.stored_model() or {}).get("vocabulary_sha256")

    def _cannot(self, what: str) -> NoReturn:
        raise StoredBaselineError(
            f"a stored baseline cannot {what}: it holds only the measurements recorded with "
            "--worldprior-update-baselines. Compare through the assertions and measures that take a baseline, "
            "or pass a live model as --worldprior-baseline."
        )

    @property
    def vocab_size(self) -> int | None:
        """Of the model recorded for the current test (None if none is recorded)."""
        return (self._session.stored_model() or {}).get("vocab_size")

    def next_token_logprobs(self, contexts: Sequence) -> NoReturn:
        self._cannot("give next-token log-probabilities")

    def continuation_logprobs(self, contexts: Sequence, continuations: Sequence) -> NoReturn:
        self._cannot("give distributions along a path")

    def score(self, contexts: Sequence, continuations: Sequence) -> NoReturn:
        self._cannot("score continuations")

    def top_logprobs(self, context, k: int | None = None) -> NoReturn:
        self._cannot("give top next-token log-probabilities")

    def encode(self, context) -> NoReturn:
        self._cannot("tokenize (encode)")

    def continuation_ids(self, context, context_ids, continuation) -> NoReturn:
        self._cannot("tokenize (continuation_ids)")

    def decode(self, token_ids) -> NoReturn:
        self._cannot("decode tokens")

    def token_texts(self) -> NoReturn:
        self._cannot("list its vocabulary (token_texts)")

    def sample(self, context, n: int, **settings) -> NoReturn:
        self._cannot("sample")

    def render(self, prompt) -> NoReturn:
        self._cannot("render a prompt")
