import os

import pytest

# pytester's in-process runs drop the modules first imported inside them; torch and numpy cannot be
# imported a second time in one process, so import them (and the loaders) here, before any such run.
import pytest_worldprior.backends.hf.loading  # noqa: F401  (imports torch)
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
    from pytest_worldprior import session

    run = session.current()
    previous, run.cache = run.cache, None
    yield
    run.cache = previous


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server with the bundled SmolLM2 .gguf, on 127.0.0.1 at a free
    port, for the whole session; its key is in the environment variable it names (key_env)."""
    import importlib.util
    from pathlib import Path

    from llama_server import LlamaServer

    from pytest_worldprior.backends.references import bundled_gguf_path

    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python's server is not installed: scripts/test.sh installs it "
                    "(CMAKE_ARGS=-DGGML_NATIVE=OFF pip install 'llama-cpp-python[server]')", pytrace=False)
    server = LlamaServer(bundled_gguf_path("smollm2-135m-instruct", Path(os.environ["WORLDPRIOR_CACHE_DIR"])), tmp_path_factory.mktemp("llama") / "server.log")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(server.key_env, server.key)
        try:
            server.wait_until_ready()
            yield server
        finally:
            server.stop()
