"""--worldprior-fdr: p-values read off the checks' intervals, Benjamini-Hochberg over the run's sampled
checks, and a session whose exit code follows it."""

import json
import math
from xml.etree import ElementTree

import numpy as np
import pytest
from scipy import stats as scipy_stats

from pytest_worldprior import stats
from pytest_worldprior.plugin import fdr

Z = scipy_stats.norm.ppf(1 - 0.001 / 2)


def test_p_value_agrees_with_the_interval_at_the_checks_own_alpha():
    # The interval's end touching the limit: p = alpha / 2, the check's own one-sided error.
    assert stats.p_value(0.6, (0.5, 0.7), None, 0.5, 0.001) == pytest.approx(0.0005)
    assert stats.p_value(0.4, (0.3, 0.5), 0.5, None, 0.001) == pytest.approx(0.0005)
    # Further past the limit: smaller; within it: at least one half.
    assert stats.p_value(0.8, (0.7, 0.9), None, 0.5, 0.001) == pytest.approx(scipy_stats.norm.sf(0.3 / (0.1 / Z)))
    assert stats.p_value(0.4, (0.3, 0.5), None, 0.5, 0.001) > 0.5
    # The side that faces the limit decides (a Wilson interval is not symmetric).
    assert stats.p_value(0.6, (0.55, 0.9), None, 0.5, 0.001) == pytest.approx(scipy_stats.norm.sf(0.1 / (0.05 / Z)))
    # Both limits: the nearer violation.
    assert stats.p_value(0.6, (0.5, 0.7), 0.0, 0.5, 0.001) == pytest.approx(0.0005)
    # Unbounded or zero half-widths.
    assert stats.p_value(2.0, (-math.inf, math.inf), None, 1.0, 0.001) == 1.0
    assert stats.p_value(2.0, (2.0, 2.0), None, 1.0, 0.001) == 0.0
    assert stats.p_value(0.5, (0.5, 0.5), None, 1.0, 0.001) == 1.0


def test_benjamini_hochberg_is_scipys():
    p = [0.0001, 0.004, 0.04, 0.2, 0.9]  # BH: p_(i) * m / i = 0.0005, 0.01, 0.067, ...
    adjusted, rejected = stats.benjamini_hochberg(p, 0.05)
    assert np.allclose(adjusted, scipy_stats.false_discovery_control(p))
    assert rejected.tolist() == [True, True, False, False, False]
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        stats.benjamini_hochberg([0.1, 1.5], 0.05)
    with pytest.raises(ValueError, match="alpha"):
        stats.benjamini_hochberg([0.1], 1.5)


def _record(test, estimate, interval, upper, outcome, deferred=False, method="wilson"):
    details = {"fdr_deferred": True} if deferred else {}
    return {"test": test, "verdict": {"outcome": outcome, "estimate": estimate, "interval": interval,
                                      "threshold": [None, upper], "alpha": 0.001, "method": method,
                                      "label": "share", "details": details}}


def test_apply_fails_what_the_run_carries_and_softens_what_it_does_not():
    records = [
        _record("clear", 0.9, [0.8, 0.95], 0.5, "PASS", deferred=True),  # far past the limit: FAIL
        _record("marginal", 0.56, [0.505, 0.62], 0.5, "PASS", deferred=True),  # p 0.00017 alone; x 30 / 2 > q
        *[_record(f"fine{i}", 0.3, [0.2, 0.4], 0.5, "PASS") for i in range(28)],
        _record("exact", 0.9, None, 0.5, "FAIL", method="exact"),  # not sampled: left alone
    ]
    result = fdr.apply(records, 0.001)  # a strict rate: 30 checks make one narrow miss no FAIL
    outcomes = {r["test"]: r["verdict"]["outcome"] for r in records}
    assert result.judged == 30 and result.failed == ("clear: share",)
    assert outcomes["clear"] == "FAIL" and outcomes["marginal"] == "INCONCLUSIVE" and outcomes["fine0"] == "PASS"
    assert outcomes["exact"] == "FAIL" and "fdr" not in records[-1]["verdict"]["details"]
    assert records[1]["verdict"]["details"]["fdr"]["failed_on_its_own"] is True
    assert "1 FAIL" in fdr.summary_lines(result)[0]


SAMPLED_TESTS = """
import random
from pytest_worldprior import assert_uniform_choice
from pytest_worldprior.backends.callable import CallableBackend

NUMBERS = [str(i) for i in range(1, 11)]

def always_seven(prompt, n, temperature, seed):
    return [" 7"] * n

def fair(prompt, n, temperature, seed):
    rng = random.Random(seed)
    return [" " + rng.choice(NUMBERS) for _ in range(n)]

def test_collapsed():
    assert_uniform_choice(CallableBackend(always_seven, name="seven"), "Pick:", NUMBERS, n=200, max_top_share=0.3)

def test_fair():
    assert_uniform_choice(CallableBackend(fair, name="fair"), "Pick:", NUMBERS, n=400, max_top_share=0.3)
"""


def test_a_session_under_fdr_defers_sampled_fails_to_the_end(pytester):
    pytester.makepyfile(test_sampled=SAMPLED_TESTS)
    alone = pytester.runpytest("-p", "no:cacheprovider", "--worldprior-no-cache")
    alone.assert_outcomes(passed=1, failed=1)
    together = pytester.runpytest("-p", "no:cacheprovider", "--worldprior-no-cache", "--worldprior-fdr", "0.05",
                                  "--worldprior-report", "report.json", "--junitxml", "junit.xml")
    # The FAIL is decided at the end, not inside the test; pytest's outcome, JUnit and the exit code then say it.
    together.assert_outcomes(passed=1, failed=1)
    assert together.ret == pytest.ExitCode.TESTS_FAILED
    together.stdout.fnmatch_lines(["worldprior: gate FAILED (exit code 1): 1 FAIL, 0 INCONCLUSIVE, 1 PASS of 2 checks",
                                   "FAILED test_sampled.py::test_collapsed - --worldprior-fdr: *"])
    together.stdout.fnmatch_lines(["*sampled checks judged together (--worldprior-fdr)*",
                                   "Benjamini-Hochberg at false discovery rate 0.05 over 2 sampled checks: 1 FAIL",
                                   "  FAIL test_sampled.py::test_collapsed: share of top answer '7'"])
    report = json.loads((pytester.path / "report.json").read_text())
    assert report["settings"]["fdr"] == 0.05 and report["summary"]["FAIL"] == 1
    collapsed = next(v for v in report["verdicts"] if v["test"].endswith("test_collapsed"))
    assert collapsed["verdict"]["details"]["fdr"]["rejected"] is True
    assert junit_outcomes(pytester.path / "junit.xml") == final_outcomes(report)
    suite = ElementTree.parse(pytester.path / "junit.xml").getroot().find("testsuite")
    assert (suite.get("failures"), suite.get("tests")) == ("1", "2")


def junit_outcomes(path) -> dict[str, tuple[str, list[str]]]:
    """test name -> (its JUnit result: failed, xfailed or passed; its worldprior outcome properties)."""
    cases = {}
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        result = ("failed" if case.find("failure") is not None else
                  "xfailed" if case.find("skipped") is not None else "passed")
        cases[case.get("name")] = (result, [p.get("value") for p in case.iter("property") if p.get("name").endswith(".outcome")])
    return cases


def final_outcomes(report: dict) -> dict[str, tuple[str, list[str]]]:
    """The same from the JSON report's final verdicts (INCONCLUSIVE: xfailed, the default policy)."""
    tests: dict[str, list[str]] = {}
    for verdict in report["verdicts"]:
        tests.setdefault(verdict["test"].split("::")[-1], []).append(verdict["verdict"]["outcome"])
    word = {"FAIL": "failed", "INCONCLUSIVE": "xfailed", "PASS": "passed"}
    return {name: (word[max(outcomes, key=["PASS", "INCONCLUSIVE", "FAIL"].index)], outcomes)
            for name, outcomes in tests.items()}


MARGINAL_TESTS = SAMPLED_TESTS + """
def leans_seven(prompt, n, temperature, seed):
    rng = random.Random(seed)
    return [" 7" if rng.random() < 0.42 else " " + rng.choice(NUMBERS) for _ in range(n)]

def test_marginal():
    assert_uniform_choice(CallableBackend(leans_seven, name="leans"), "Pick:", NUMBERS, n=400, max_top_share=0.3)
"""


def test_under_fdr_junit_and_pytest_give_every_test_its_final_verdict(pytester):
    # A check that FAILs on its own but not at the run's rate ends INCONCLUSIVE (xfailed), one the run
    # carries ends FAIL (failed), and the rest PASS: the JUnit file says the same of each test.
    pytester.makepyfile(test_sampled=MARGINAL_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--worldprior-no-cache", "--worldprior-fdr", "0.001",
                                "--worldprior-report", "report.json", "--junitxml", "junit.xml")
    report = json.loads((pytester.path / "report.json").read_text())
    finals = final_outcomes(report)
    assert junit_outcomes(pytester.path / "junit.xml") == finals
    counts = {word: sum(result == word for result, _ in finals.values()) for word in ("passed", "failed", "xfailed")}
    result.assert_outcomes(**counts)
    assert result.ret == (pytest.ExitCode.TESTS_FAILED if counts["failed"] else pytest.ExitCode.OK)
    # A FAIL the step decided says what a FAIL says without it (numbers, seed, reproduce line) and its p-values.
    assert counts["failed"]
    result.stdout.fnmatch_lines(["*--worldprior-fdr: the run's sampled checks judged together:*",
                                 "*FAIL: share of top answer * [[]*, *[]] *(n=*, wilson, alpha=*, seed=*)*",
                                 "*model:  callable:*", "*p-value *, Benjamini-Hochberg adjusted * (q 0.001; FAIL;*",
                                 "*reproduce: *assert_uniform_choice(*"])
    assert "reproduce: " in (pytester.path / "junit.xml").read_text()


@pytest.mark.parametrize("value", ["0", "1", "-0.1", "five"])
def test_a_bad_fdr_is_a_usage_error(pytester, value):
    result = pytester.runpytest("--worldprior-fdr", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--worldprior-fdr / worldprior_fdr*"])
