"""A model's measurements kept, standing where a baseline model would: `Recorded` is not a model.

A check that compares a candidate with its baseline asks the baseline's side of each measurement of
whatever it was given. Given a `Recorded` (the stored baseline, `--worldprior-baseline stored`), the
measurement is not made: the session's stored-baseline comparison (baselines/session.py) answers it from
the stored entry, and nothing runs. The assertions read only its fingerprint, as they read a model's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no imports at run time: the package loads this module with itself (see backends/__init__.py)
    from .base import ModelInfo


class Recorded(ABC):
    """The fingerprint of the model whose measurements are stored, and nothing that runs.

    The capability flags are the ones a check reads to choose its method: `gives_logits` is True, since
    the stored measurements are the ones the recorded model made from its logits (a check chooses the same
    exact method on both sides); nothing is sampled or scored here. Subclasses give `info()` (reference
    "stored"), `vocabulary_sha256()` and `vocab_size` of the recorded model."""

    gives_logits = True
    gives_top_logprobs = False
    scores_prompts = False
    gives_sampling_logprobs = False
    eos_ids: frozenset[int] = frozenset()

    @abstractmethod
    def info(self) -> ModelInfo: ...

    @abstractmethod
    def vocabulary_sha256(self) -> str | None: ...

    @property
    @abstractmethod
    def vocab_size(self) -> int | None: ...
