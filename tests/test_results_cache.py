"""The results cache: an unchanged measurement is read back, any change to model, prompt, settings, seed or
code recomputes it, a damaged entry is recomputed, and the plugin's switch and summary work."""

import pickle

import numpy as np
import pytest

from pytest_worldprior import measures, results_cache, session
from pytest_worldprior.results_cache import ResultsCache

STORY = "Once upon a time, there was a"


@pytest.fixture
def cache(tmp_path):
    cache = ResultsCache(tmp_path / "results")
    run = session.current()
    previous, run.cache = run.cache, cache
    yield cache
    run.cache = previous


def entries(cache):
    return sorted(cache.folder.rglob("*.pkl"))


def test_an_unchanged_measurement_is_read_back(cache, toy_base):
    first = measures.choice_distribution(toy_base, "Pick a number:", ["1", "2", "3"])
    again = measures.choice_distribution(toy_base, "Pick a number:", ["1", "2", "3"])
    assert (cache.stats.computed, cache.stats.read) == (1, 1)
    assert again.choices == first.choices and np.array_equal(again.probabilities, first.probabilities)
    assert len(entries(cache)) == 1 and not list(cache.folder.rglob(".*tmp*"))


def test_the_same_result_as_without_the_cache(cache, toy_base):
    measures.sequence_entropy(toy_base, STORY, n=8, max_new_tokens=4, seed=3)
    cached = measures.sequence_entropy(toy_base, STORY, n=8, max_new_tokens=4, seed=3)
    with session.running(session.WorldpriorSession()):  # no cache
        fresh = measures.sequence_entropy(toy_base, STORY, n=8, max_new_tokens=4, seed=3)
    assert cache.stats.read == 1
    assert pickle.dumps(cached) == pickle.dumps(fresh)


@pytest.mark.parametrize("change", ["model", "prompt", "setting", "seed", "code"])
def test_any_change_recomputes(cache, toy_base, toy_collapsed, monkeypatch, change):
    args = {"model": toy_base, "prompt": STORY, "n": 8, "seed": 0}

    def measure(model, prompt, n, seed):
        return measures.sampled_next_token_entropy(model, prompt, n, seed=seed)

    measure(**args)
    if change == "model":
        args["model"] = toy_collapsed
    elif change == "prompt":
        args["prompt"] = STORY + " little"
    elif change == "setting":
        args["n"] = 9
    elif change == "seed":
        args["seed"] = 1
    else:
        monkeypatch.setattr(results_cache, "code_hash", lambda: "edited")
    measure(**args)
    assert (cache.stats.computed, cache.stats.read) == (2, 0)
    assert len(entries(cache)) == 2


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "checksum of other bytes"])
def test_a_damaged_entry_is_recomputed_and_rewritten(cache, toy_base, damage):
    first = measures.next_token_entropy(toy_base, [STORY])
    (path,) = entries(cache)
    data = path.read_bytes()
    path.write_bytes({
        "truncated": data[: len(data) // 2],
        "garbage": b"\x00\xff not a cache entry",
        "empty": b"",
        "checksum of other bytes": data.split(b"\n", 1)[0] + b"\n" + pickle.dumps(np.array([9.9])),
    }[damage])
    again = measures.next_token_entropy(toy_base, [STORY])
    assert np.array_equal(again, first)
    assert (cache.stats.damaged, cache.stats.computed) == (1, 2)
    assert path.read_bytes() == data  # rewritten whole
    measures.next_token_entropy(toy_base, [STORY])
    assert cache.stats.read == 1


def test_an_argument_without_a_stable_key_is_not_cached(cache, toy_base):
    run = dict(n=4, steps=2, max_new_tokens=4, prefix_draws=1, key=lambda text: text[:5])
    measures.run_attractor(toy_base, STORY, ["You are a murderer."], **run)
    measures.run_attractor(toy_base, STORY, ["You are a murderer."], **run)
    # run_attractor and its clean side use the key: never cached (2 calls each). The prefixes' drafts inside
    # them do not: drawn once and read back three times, the one entry.
    assert (cache.stats.uncacheable, cache.stats.computed, cache.stats.read) == (4, 1, 3)
    assert len(entries(cache)) == 1


def test_an_error_is_not_cached(cache, toy_base):
    for _ in range(2):
        with pytest.raises(ValueError, match="temperature"):
            measures.next_token_entropy(toy_base, [STORY], temperature=0)
    assert entries(cache) == [] and cache.stats.computed == 0


def test_without_an_active_cache_measures_simply_run(toy_base, tmp_path):
    with session.running(session.WorldpriorSession()) as run:
        assert run.cache is None
        measures.next_token_entropy(toy_base, [STORY])


# --- the plugin -----------------------------------------------------------------------------------

TESTS = """
from pytest_worldprior import assert_entropy_within, assert_uniform_choice

def test_entropy(worldprior_model):
    assert_entropy_within(worldprior_model, "Once upon a time, there was a", min_nats=0.5)

def test_random_number(worldprior_model):
    assert_uniform_choice(worldprior_model, "Pick a number from 1 to 10:", [str(i) for i in range(1, 11)], max_top_share=1.0)
"""


def test_a_rerun_reads_every_measurement_and_no_cache_recomputes(pytester, tmp_path):
    pytester.makepyfile(test_cached=TESTS)
    args = ("--worldprior-model", "toy-base", "--worldprior-cache-dir", str(tmp_path / "cache"), "-p", "no:cacheprovider")
    results = str(tmp_path / "cache" / "results")
    pytester.runpytest(*args).stdout.fnmatch_lines([f"worldprior: results cache {results}: 0 measurements read, 2 computed*"])
    rerun = pytester.runpytest(*args)
    rerun.assert_outcomes(passed=2)
    rerun.stdout.fnmatch_lines([f"worldprior: results cache {results}: 2 measurements read, 0 computed*"])
    off = pytester.runpytest(*args, "--worldprior-no-cache")
    off.assert_outcomes(passed=2)
    off.stdout.fnmatch_lines(["worldprior: results cache off (--worldprior-no-cache)*"])


def test_the_ini_key_turns_the_cache_off(pytester, tmp_path):
    pytester.makepyfile(test_cached=TESTS)
    pytester.makeini("[pytest]\nworldprior_no_cache = true\n")
    result = pytester.runpytest("--worldprior-model", "toy-base", "--worldprior-cache-dir", str(tmp_path / "cache"))
    result.stdout.fnmatch_lines(["worldprior: results cache off*"])
    assert not (tmp_path / "cache" / "results").exists()


KEY_MODULE = '''
def first_words(text):
    return " ".join(text.split()[:{words}])
'''


def test_a_users_key_function_is_keyed_by_its_code(cache, toy_base, tmp_path, monkeypatch):
    """Editing a key= function (same module, same name) is a new key: a stale result is never served.
    Its key is the same in another process (constants such as a frozenset are written in a fixed order)."""
    import importlib
    import subprocess
    import sys

    monkeypatch.syspath_prepend(str(tmp_path))
    source = tmp_path / "my_keys.py"
    run = dict(n=4, steps=2, max_new_tokens=4, prefix_draws=1, position=2)
    results = []
    for words in (1, 1, 3):
        source.write_text(KEY_MODULE.format(words=words))
        sys.modules.pop("my_keys", None)
        importlib.invalidate_caches()
        key = importlib.import_module("my_keys").first_words
        results.append(measures.run_attractor(toy_base, STORY, ["You are a murderer."], key=key, **run))
    # Per key version: run_attractor and its clean side computed (2 x 2), the drafts once for both (1); the
    # second call with the unchanged key reads run_attractor back, and the drafts are read 3 times.
    assert (cache.stats.computed, cache.stats.read, cache.stats.uncacheable) == (5, 4, 0)
    assert len(entries(cache)) == 5
    source.write_text("def member(text):\n    return text in {'a', 'b', 'c', 'd'}\n")
    script = "import my_keys, json; from pytest_worldprior.results_cache import keyable; print(json.dumps(keyable(my_keys.member)))"
    keys = {subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True,
                           env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(3)}
    assert len(keys) == 1


def test_callables_whose_state_the_key_cannot_see_turn_the_cache_off():
    import functools

    from pytest_worldprior.results_cache import Unkeyable, keyable

    class Key:
        def __call__(self, text):
            return text

    for unkeyable in (Key(), lambda text: text):
        with pytest.raises(Unkeyable):
            keyable(unkeyable)
    assert keyable(functools.partial(measures.sentences)) != keyable(measures.sentences)
    assert keyable(str.lower) == {"callable": "builtins.str.lower"}
