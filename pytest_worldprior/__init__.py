"""pytest-worldprior: behavioural regression tests for language models.

The public API is small: load a model, ask it for exact log-probabilities, scores and seeded samples,
and assert on its behaviour (entropy, temperature, random choices, prior shift) with verdicts you can trust.
"""

from .assertions import (
    Inconclusive,
    InconclusiveWarning,
    assert_distribution_close,
    assert_entropy_within,
    assert_prior_shift_within,
    assert_temperature_sensitive,
    assert_uniform_choice,
)
from .backends import Backend, Generation, ModelInfo, load_model
from .stats import Verdict
from .errors import ChatTemplateError, ModelLoadError, NonFiniteLogitsError, WorldpriorError

__all__ = [
    "Backend",
    "Inconclusive",
    "InconclusiveWarning",
    "Verdict",
    "assert_distribution_close",
    "assert_entropy_within",
    "assert_prior_shift_within",
    "assert_temperature_sensitive",
    "assert_uniform_choice",
    "ChatTemplateError",
    "Generation",
    "ModelInfo",
    "ModelLoadError",
    "NonFiniteLogitsError",
    "WorldpriorError",
    "load_model",
]
