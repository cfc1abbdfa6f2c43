"""pytest-worldprior: behavioural regression tests for language models.

The public API is small: load a model, ask it for exact log-probabilities, scores and seeded samples,
and assert on its behaviour (entropy, temperature, random choices, attractors, prior shift) with verdicts you can trust.
"""

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
from .errors import ChatTemplateError, ModelLoadError, NonFiniteLogitsError, WorldpriorError
from .stats import Verdict

__all__ = [
    "Backend",
    "ChatTemplateError",
    "Generation",
    "Inconclusive",
    "InconclusiveWarning",
    "ModelInfo",
    "ModelLoadError",
    "NonFiniteLogitsError",
    "Verdict",
    "WorldpriorError",
    "assert_distribution_close",
    "assert_entropy_within",
    "assert_mode_share_within",
    "assert_no_attractor",
    "assert_prior_shift_within",
    "assert_sequence_entropy_within",
    "assert_temperature_sensitive",
    "assert_uniform_choice",
    "load_model",
]
