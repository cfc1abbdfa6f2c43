"""Errors a user can act on. Each message says what is wrong and how to fix it.

The plugin turns `ModelLoadError` into a `pytest.UsageError` before any test runs.
"""


class WorldpriorError(Exception):
    """Base class of every error pytest-worldprior raises on purpose."""


class ModelLoadError(WorldpriorError):
    """A model reference cannot be resolved or loaded (bad path, unknown name, corrupt file...)."""


class ChatTemplateError(WorldpriorError, ValueError):
    """A chat prompt was given to a model that has no chat template."""


class NonFiniteLogitsError(WorldpriorError, FloatingPointError):
    """The model produced NaN or infinite logits; no measurement made from them can be trusted."""


class TokenizerMismatchError(WorldpriorError, ValueError):
    """Token-level comparisons (KL, JS, shifted positions) need both models to share one vocabulary."""
