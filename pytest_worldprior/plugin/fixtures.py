"""The session fixtures: the model under test, the baseline, the seed, and stored values."""

from __future__ import annotations

import pytest

from .state import as_usage_error, model, registry_key, session_key


@pytest.fixture(scope="session")
def worldprior_seed(request: pytest.FixtureRequest) -> int:
    """The session's seed (--worldprior-seed), or the test's `worldprior` marker seed. Assertions called
    without `seed=` inside a test take it already; this fixture is for a test's own sampling."""
    return getattr(request, "param", request.config.stash[registry_key].settings.seed)


@pytest.fixture(scope="session")
def worldprior_baseline_seed(pytestconfig: pytest.Config) -> int:
    """The seed for the baseline's side of sampled checks (--worldprior-baseline-seed; default: the session's
    seed, so both sides share random numbers; another seed makes them independent)."""
    settings = pytestconfig.stash[registry_key].settings
    return settings.seed if settings.baseline_seed is None else settings.baseline_seed


@pytest.fixture(scope="session")
def worldprior_model(request: pytest.FixtureRequest):
    """The model under test (--worldprior-model), loaded once per session; a test's `worldprior` marker
    model; with --worldprior-lineage, each checkpoint in turn (the tests are parametrized over them)."""
    models = request.config.stash[registry_key]
    with as_usage_error():
        return models.get(getattr(request, "param", models.settings.model))


@pytest.fixture(scope="session")
def worldprior_baseline(request: pytest.FixtureRequest):
    """The model to compare against (--worldprior-baseline, or a test's `worldprior` marker baseline),
    loaded once per session; `stored`: the stored baselines answer for it and no model is loaded."""
    with as_usage_error():
        return model(request.config, getattr(request, "param", request.config.stash[registry_key].settings.baseline))


@pytest.fixture
def worldprior_stored(pytestconfig: pytest.Config):
    """Compare any number this test measured with its stored baseline, in one line:
    `worldprior_stored.compare("distinct-2", value, interval=(low, high), limit="-10%")`."""
    from .baselines import StoredValues

    return StoredValues(pytestconfig.stash[session_key].baselines)
