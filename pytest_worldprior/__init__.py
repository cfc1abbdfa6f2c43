"""pytest-worldprior: behavioural regression tests for language models.

The public API is small: load a model, ask it for exact log-probabilities, scores and seeded samples.
"""

from .backends import Backend, Generation, ModelInfo, load_model
from .errors import ChatTemplateError, ModelLoadError, NonFiniteLogitsError, WorldpriorError

__all__ = [
    "Backend",
    "ChatTemplateError",
    "Generation",
    "ModelInfo",
    "ModelLoadError",
    "NonFiniteLogitsError",
    "WorldpriorError",
    "load_model",
]
