"""The stored baseline (`--worldprior-baseline stored`): what the accepted model measured when its
baselines were recorded, given to the checks in place of the baseline model, without loading it.

It is a `Recorded`, not a model: decorated measures (next_token_entropy, choice_distribution,
sequence_entropy, sampled_mode_share, run_attractor, prior_shift, ...) asked of it are answered from the
current test's entry in its module's baseline file (baselines/session.py looks the measurement up by its
name and arguments). It has no model methods; asking one raises StoredBaselineError, which says how to compare."""

from __future__ import annotations

from typing import NoReturn

from ..backends.base import Backend, ModelInfo
from ..backends.recorded import Recorded
from ..errors import WorldpriorError


class StoredBaselineError(WorldpriorError, AssertionError):
    """A stored baseline cannot answer: no entry, a measurement not recorded, or a model's method asked of it."""


class StoredBaseline(Recorded):
    """The current test's stored entry, through the session's stored-baseline comparison. Its fingerprint
    (`info`, `vocabulary_sha256`, `vocab_size`) is the recorded model's, so tokenizer checks compare it like
    a live model's."""

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

    @property
    def vocab_size(self) -> int | None:
        """Of the model recorded for the current test (None if none is recorded)."""
        return (self._session.stored_model() or {}).get("vocab_size")

    def __getattr__(self, name: str) -> NoReturn:
        # Only for names the class lacks: a model's method (sample, score, ...) asked of the stored side.
        if not name.startswith("_") and hasattr(Backend, name):
            raise StoredBaselineError(
                f"a stored baseline cannot {name}(): it is not a model, only the measurements recorded with "
                "--worldprior-update-baselines. Compare through the assertions and measures that take a baseline, "
                "or pass a live model as --worldprior-baseline.")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
