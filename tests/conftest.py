import os

import pytest

from pytest_worldprior import load_model


@pytest.fixture(scope="session")
def toy_base():
    return load_model("toy-base")


@pytest.fixture(scope="session")
def toy_collapsed():
    return load_model("toy-collapsed")


@pytest.fixture
def cache_env():
    """The cache folder this checkout's runs share (set by the top-level conftest)."""
    return os.environ["WORLDPRIOR_CACHE_DIR"]
