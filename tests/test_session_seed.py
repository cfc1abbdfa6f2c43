"""Inside a test, an assertion called without seed= takes the session's seed (--worldprior-seed, or the
test's marker); an explicit seed= wins; outside pytest the seed is 0. The model is a function whose
answer names the seed it was given, so the sampled result shows which seed was used (no model is loaded)."""

from pytest_worldprior import assert_mode_share_within, session
from pytest_worldprior.backends.callable import CallableBackend


def says_its_seed(prompt, n, temperature, seed):
    return [f" seed {seed} here"] * n


SESSION = """
import pytest
from pytest_worldprior import assert_mode_share_within
from pytest_worldprior.backends.callable import CallableBackend

MODEL = CallableBackend(lambda prompt, n, temperature, seed: [f" seed {seed} here"] * n, name="says-its-seed")
BASELINE = CallableBackend(lambda prompt, n, temperature, seed: [f" seed {seed} there"] * n, name="base")

def test_default():
    verdict = assert_mode_share_within(MODEL, "Hi", max_top_share=1.0, n=4)
    print("DEFAULT", verdict.seed, verdict.details["mode"])

def test_explicit_wins():
    print("EXPLICIT", assert_mode_share_within(MODEL, "Hi", max_top_share=1.0, n=4, seed=3).details["mode"])

@pytest.mark.worldprior(seed=5)
def test_marked():
    print("MARKED", assert_mode_share_within(MODEL, "Hi", max_top_share=1.0, n=4).details["mode"])

def test_baseline_side():
    verdict = assert_mode_share_within(MODEL, "Hi", baseline=BASELINE, max_top_share_increase=1.0, n=4)
    print("BASELINE", verdict.details["mode"], "|", verdict.details["baseline"]["mode"])
    print("REPRODUCE", verdict.details["reproduce"].split("assert_mode_share_within(")[1])
"""


def test_the_session_seed_is_the_default_inside_a_test(pytester):
    """--worldprior-seed 7 changes what an assertion called without seed= samples (0 is the default: see
    test_outside_pytest_the_seed_is_0 and tests/test_plugin.py)."""
    pytester.makepyfile(SESSION)
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", "--worldprior-no-cache", "--worldprior-seed", "7",
                                "--worldprior-baseline-seed", "9")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*DEFAULT 7 seed 7 here", "*EXPLICIT seed 3 here", "*MARKED seed 5 here",
                                 "*BASELINE seed 7 here | seed 9 there",
                                 "REPRODUCE *seed=7, baseline_seed=9, alpha=0.001)*"])


def test_outside_pytest_the_seed_is_0():
    model = CallableBackend(says_its_seed, name="says-its-seed")
    with session.running(session.WorldpriorSession()):  # what plain Python has: the default session
        verdict = assert_mode_share_within(model, "Hi", max_top_share=1.0, n=4)
    assert verdict.seed == 0 and verdict.details["mode"] == "seed 0 here"
