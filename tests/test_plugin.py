"""The plugin as a user meets it: options, ini keys, fixtures, the marker, the header (pytester)."""

import pytest

USES_FIXTURES = """
def test_models(worldprior_model, worldprior_baseline, worldprior_seed):
    print("MODEL", worldprior_model.info().reference, "BASELINE", worldprior_baseline.info().reference, "SEED", worldprior_seed)
"""


def test_options_are_listed_in_help(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*worldprior*", "*--worldprior-model=*", "*--worldprior-baseline=*", "*--worldprior-seed=*",
                                 "*--worldprior-device=*", "*--worldprior-cache-dir=*", "*worldprior_model*"])


def test_fixtures_follow_the_command_line(pytester):
    pytester.makepyfile(USES_FIXTURES)
    result = pytester.runpytest("-s", "--worldprior-model", "toy-collapsed", "--worldprior-baseline", "toy-base", "--worldprior-seed", "42")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "worldprior: model toy-collapsed, baseline toy-base, seed 42, device cpu, dtype float32, cache *",
        "worldprior: loading toy-collapsed ...",
        "worldprior: toy-collapsed loaded in *s: weights sha256 ????????????, tokenizer ????????????, float32 on cpu",
        "worldprior: loading toy-base ...",
        "worldprior: toy-base loaded in *s: weights sha256 *",
        "*MODEL toy-collapsed BASELINE toy-base SEED 42",
    ])


def test_ini_keys_and_command_line_precedence(pytester):
    pytester.makeini("[pytest]\nworldprior_model = toy-collapsed\nworldprior_baseline = toy-base\nworldprior_seed = 7\n")
    pytester.makepyfile(USES_FIXTURES)
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODEL toy-collapsed BASELINE toy-base SEED 7"])
    result = pytester.runpytest("-s", "--worldprior-seed", "9", "--worldprior-model", "toy-base")
    result.stdout.fnmatch_lines(["*MODEL toy-base BASELINE toy-base SEED 9"])


def test_marker_overrides_model_and_seed_for_one_test(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.worldprior(model="toy-collapsed", seed=3)
        def test_marked(worldprior_model, worldprior_seed):
            assert worldprior_model.info().reference == "toy-collapsed"
            assert worldprior_seed == 3

        def test_unmarked(worldprior_model, worldprior_seed):
            assert worldprior_model.info().reference == "toy-base"
            assert worldprior_seed == 0

        @pytest.mark.worldprior(model="toy-base")
        def test_same_object_when_same_model(worldprior_model, request):
            assert worldprior_model is request.getfixturevalue("worldprior_model")
    """)
    result = pytester.runpytest("--worldprior-model", "toy-base")
    result.assert_outcomes(passed=3)


def test_fixtures_that_depend_on_the_model_see_the_marker(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.fixture(scope="session")
        def model_name(worldprior_model):  # a user's fixture built on the model under test
            return worldprior_model.info().reference

        @pytest.fixture
        def seeded(worldprior_seed, worldprior_baseline):
            return worldprior_seed, worldprior_baseline.info().reference

        @pytest.mark.worldprior(model="toy-collapsed", baseline="toy-collapsed", seed=3)
        def test_marked(model_name, seeded, request):
            assert model_name == "toy-collapsed" and seeded == (3, "toy-collapsed")
            assert request.getfixturevalue("worldprior_model").info().reference == "toy-collapsed"

        def test_unmarked(model_name, seeded, request):
            assert model_name == "toy-base" and seeded == (0, "toy-base")
            assert request.getfixturevalue("worldprior_model").info().reference == "toy-base"
    """)
    result = pytester.runpytest("-v", "--worldprior-model", "toy-base", "--worldprior-baseline", "toy-base")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*::test_marked[[]toy-collapsed-toy-collapsed-seed=3[]] PASSED*"])


def test_models_load_only_when_a_test_needs_them(pytester):
    pytester.makepyfile("def test_plain():\n    assert True\n")
    # The defaults are the heavy real models: a run that does not use them must not load them.
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "weights sha256" not in result.stdout.str()


def test_collect_only_loads_nothing(pytester):
    pytester.makepyfile(USES_FIXTURES)
    result = pytester.runpytest("--collect-only", "--worldprior-model", "toy-base", "--worldprior-baseline", "toy-base")
    assert result.ret == 0
    assert "weights sha256" not in result.stdout.str()


def test_models_are_loaded_before_the_first_test(pytester):
    pytester.makepyfile("""
        import pytest
        from pytest_worldprior.plugin.state import registry_key

        def test_already_loaded(request):
            loaded = request.config.stash[registry_key].loaded()
            assert set(loaded) == {"toy-base", "toy-collapsed"}

        def test_uses(worldprior_model, worldprior_baseline):
            pass
    """)
    result = pytester.runpytest("--worldprior-model", "toy-base", "--worldprior-baseline", "toy-collapsed")
    result.assert_outcomes(passed=2)


def test_cache_dir_option_is_used(pytester, tmp_path):
    pytester.makepyfile("""
        def test_cache(worldprior_model, pytestconfig):
            from pytest_worldprior.plugin.state import registry_key
            print("CACHE", pytestconfig.stash[registry_key].settings.cache_dir)
    """)
    cache = tmp_path / "my-cache"
    result = pytester.runpytest("-s", "--worldprior-model", "toy-base", "--worldprior-cache-dir", str(cache))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*CACHE {cache}"])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_works_under_xdist_with_the_cores_shared(pytester):
    threads = "\ndef test_threads(worldprior_model):\n    import os, torch\n    assert torch.get_num_threads() == max(1, os.cpu_count() // 2)\n"
    pytester.makepyfile(test_a=USES_FIXTURES + threads, test_b=USES_FIXTURES.replace("test_models", "test_models_b"))
    result = pytester.runpytest_subprocess("-n", "2", "--worldprior-model", "toy-base", "--worldprior-baseline", "toy-collapsed")
    result.assert_outcomes(passed=3)


INCONCLUSIVE_TEST = """
from pytest_worldprior import assert_entropy_within
from pytest_worldprior.measures import next_token_entropy

def test_on_the_edge(worldprior_model):
    exact = float(next_token_entropy(worldprior_model, ["Q: Are bugs real?\\nA:"])[0])
    assert_entropy_within(worldprior_model, "Q: Are bugs real?\\nA:", min_nats=exact, method="sampled", n=32)

def test_clear(worldprior_model):
    assert_entropy_within(worldprior_model, "Q: Are bugs real?\\nA:", min_nats=1.0)
"""


def test_inconclusive_is_xfail_by_default_and_fail_on_request(pytester):
    pytester.makepyfile(INCONCLUSIVE_TEST)
    result = pytester.runpytest("-rx", "--worldprior-model", "toy-base")
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*XFAIL*test_on_the_edge*INCONCLUSIVE: next-token entropy*"])
    result = pytester.runpytest("--worldprior-model", "toy-base", "--worldprior-inconclusive", "fail")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*INCONCLUSIVE treated as failure*"])


def test_verdicts_become_junit_properties(pytester):
    pytester.makepyfile(INCONCLUSIVE_TEST)
    result = pytester.runpytest("--worldprior-model", "toy-base", "--junitxml", "report.xml", "-k", "clear")
    result.assert_outcomes(passed=1)
    xml = (pytester.path / "report.xml").read_text()
    assert '<property name="worldprior.1.entropy.outcome" value="PASS"' in xml
    assert 'name="worldprior.1.entropy.estimate"' in xml and 'name="worldprior.1.entropy.method" value="exact"' in xml


def test_bad_inconclusive_policy(pytester):
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("--worldprior-inconclusive", "maybe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--worldprior-inconclusive / worldprior_inconclusive must be xfail, fail or warn, got 'maybe'" in result.stderr.str()
