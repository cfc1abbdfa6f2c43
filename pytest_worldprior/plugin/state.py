"""What the plugin keeps per session (stash keys), the stored-baseline stand-in's name, and turning our
own errors into pytest usage errors."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from ..errors import WorldpriorError

if TYPE_CHECKING:
    from ..session import WorldpriorSession
    from .baselines import StoredBaselines
    from .registry import ModelRegistry

MARKER_KEYS = ("model", "baseline", "seed", "fail_on")
STORED = "stored"  # --worldprior-baseline stored: the stored baselines stand in for the baseline model
registry_key = pytest.StashKey["ModelRegistry"]()
baselines_key = pytest.StashKey["StoredBaselines"]()
session_key = pytest.StashKey["WorldpriorSession"]()  # this run's state (session.py)


def registry(config: pytest.Config) -> ModelRegistry:
    return config.stash[registry_key]


def model(config: pytest.Config, reference: str):
    """The loaded model for `reference`; `stored` is the stored-baseline stand-in (nothing is loaded)."""
    if reference == STORED:
        from ..baselines.stored import StoredBaseline

        return StoredBaseline(config.stash[session_key].baselines)
    return config.stash[registry_key].get(reference)


@contextmanager
def as_usage_error(prefix: str = "pytest-worldprior: "):
    """Turn our own errors into a pytest.UsageError, so pytest prints the message and stops (exit code 4)."""
    try:
        yield
    except WorldpriorError as exc:
        raise pytest.UsageError(prefix + str(exc)) from None
