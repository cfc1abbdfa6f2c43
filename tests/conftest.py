import os

import pytest

# pytester's in-process runs drop the modules first imported inside them; torch and numpy cannot be
# imported a second time in one process, so import them (and the loaders) here, before any such run.
import pytest_worldprior.backends.hf_loading  # noqa: F401  (imports torch)
import transformers  # noqa: F401

from pytest_worldprior import load_model


@pytest.fixture(scope="session")
def toy_base():
    return load_model("toy-base")


@pytest.fixture(scope="session", autouse=True)
def _model_stack_imported(toy_base):
    """Use a model once so torch and transformers import their lazy submodules in this process first
    (see the note on imports above); in-process pytester runs then find them already loaded."""
    toy_base.sample("Once", 1, max_new_tokens=2)


@pytest.fixture(scope="session")
def toy_collapsed():
    return load_model("toy-collapsed")


@pytest.fixture
def cache_env():
    """The cache folder this checkout's runs share (set by the top-level conftest)."""
    return os.environ["WORLDPRIOR_CACHE_DIR"]


@pytest.fixture(autouse=True)
def _no_results_cache():
    """These tests check the code that measures, so they measure: no result is read from the session's
    results cache (tests/test_results_cache.py turns on a cache of its own). pytester sessions inside a
    test configure the plugin afresh and use the cache unless told --worldprior-no-cache."""
    from pytest_worldprior import results_cache

    previous = results_cache.use(None)
    yield
    results_cache.use(previous)
