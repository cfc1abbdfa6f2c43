"""The suite's fixtures: `limits`, the constants of thresholds.py with a team's changes applied (the ini
key `worldprior_limits`, then --worldprior-limits), and `need_logits`, which skips a check that needs
logits from a model that gives text only.

A name that is not a limit, or a value of another kind than its default, stops the run before any test
with a usage error that says how to fix it. The report header names every limit that was changed.
"""

import pytest

from pytest_worldprior.plugin.suite import suite_limits

from . import thresholds


def pytest_configure(config: pytest.Config) -> None:
    suite_limits(config, thresholds)  # a bad worldprior_limits item: a usage error now, not one error per test


def pytest_report_header(config: pytest.Config) -> list[str]:
    limits = suite_limits(config, thresholds)
    changed = [f"{name} = {_shown(value)} (default {_shown(getattr(thresholds, name))})"
               for name, value in vars(limits).items() if value != getattr(thresholds, name)]
    return [f"worldprior: suite limits changed: {'; '.join(changed)}"] if changed else []


def _shown(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)


@pytest.fixture(scope="session")
def limits(pytestconfig: pytest.Config):
    """The suite's limits by name (limits.MAX_ENTROPY_DROP_NATS): thresholds.py's values, with what the
    ini key worldprior_limits (and --worldprior-limits) changes."""
    return suite_limits(pytestconfig, thresholds)


def _need_logits(check: str, *models) -> None:
    """Skip the test unless every model gives logits. The exact checks need them, and a model behind a
    server (or a function) gives text only: `pytest suites/` against a server runs everything else
    (docs/servers.md lists what runs)."""
    text_only = [model.info().reference for model in models if not model.gives_logits]
    if text_only:
        pytest.skip(f"{check} needs logits, and {', '.join(text_only)} gives text only")


@pytest.fixture(scope="session")
def need_logits():
    """need_logits(check, *models): skip the test, naming `check`, unless every model gives logits."""
    return _need_logits
