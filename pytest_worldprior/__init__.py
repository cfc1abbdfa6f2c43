"""pytest-worldprior: behavioural regression tests for language models.

The public API is small: load a model, ask it for exact log-probabilities, scores and seeded samples,
and assert on its behaviour (entropy, temperature, random choices, attractors, prior shift) with verdicts
you can trust.

Names are imported on first use (PEP 562): pytest imports this package in every run where it is
installed, so `import pytest_worldprior` must not pull in numpy, scipy or transformers by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_names

# public name -> the module that defines it
_EXPORTS = {
    "assert_distribution_close": "assertions",
    "assert_entropy_within": "assertions",
    "assert_mode_share_within": "assertions",
    "assert_no_attractor": "assertions",
    "assert_prior_shift_within": "assertions",
    "assert_sequence_entropy_within": "assertions",
    "assert_temperature_sensitive": "assertions",
    "assert_uniform_choice": "assertions",
    "Inconclusive": "assertions",
    "InconclusiveWarning": "assertions",
    "check_same_tokenizer": "measures",
    "choice_distribution": "measures",
    "Backend": "backends",
    "Generation": "backends",
    "ModelInfo": "backends",
    "load_model": "backends",
    "ChatTemplateError": "errors",
    "ModelLoadError": "errors",
    "NonFiniteLogitsError": "errors",
    "TokenizerMismatchError": "errors",
    "WorldpriorError": "errors",
    "Verdict": "stats",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS)


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly  # noqa: F401
    from .assertions import (
        Inconclusive,
        InconclusiveWarning,
        assert_distribution_close,
        assert_entropy_within,
        assert_mode_share_within,
        assert_no_attractor,
        assert_prior_shift_within,
        assert_sequence_entropy_within,
        assert_temperature_sensitive,
        assert_uniform_choice,
    )
    from .backends import Backend, Generation, ModelInfo, load_model
    from .errors import ChatTemplateError, ModelLoadError, NonFiniteLogitsError, TokenizerMismatchError, WorldpriorError
    from .measures import check_same_tokenizer, choice_distribution
    from .stats import Verdict
