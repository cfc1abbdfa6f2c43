"""The ready suite's limits changed without editing a file: the ini key `worldprior_limits` (and
--worldprior-limits, applied after it) changes the limit a suite check gates on, so its verdict and the
limit shown with it; a name that is not a limit, or a value of another kind than the default's, stops
the run with a usage error that says what is wrong and how to fix it."""

import json
import shutil
from pathlib import Path

import pytest

SUITES = Path(__file__).parents[1] / "suites"
# An exact check (from logits): seconds on the toy pair. The collapsed toy's next-token entropy on "bugs" is
# about 2.6 nats below the base toy's: FAIL at the default limit of 1 nat, PASS at 4.
ENTROPY_BUGS = "test_open_prompt_entropy_not_far_below_baseline and bugs"


@pytest.fixture
def suite(pytester):
    shutil.copytree(SUITES, pytester.path / "suites", ignore=shutil.ignore_patterns("__pycache__", "worldprior_baselines"))
    return pytester


def run(suite, *args):
    # A subprocess: the outer session may have imported the suite's modules under the same names.
    return suite.runpytest_subprocess("suites", "-p", "no:cacheprovider", "--worldprior-model", "toy-collapsed",
                                      "--worldprior-baseline", "toy-base", *args)


def entropy_verdict(report: Path) -> dict:
    [record] = json.loads(report.read_text())["verdicts"]
    return record["verdict"]


def test_the_ini_key_changes_a_suite_limit_its_verdict_and_the_limit_shown(suite, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one row per verdict
    default = run(suite, "-k", ENTROPY_BUGS, "--worldprior-report", str(tmp_path / "default.json"))
    assert default.ret == 1
    assert "suite limits changed" not in default.stdout.str()
    suite.makeini("""
        [pytest]
        worldprior_limits =
            MAX_ENTROPY_DROP_NATS = 4    # a whole number for a float limit: taken as 4.0
            TEMPERATURES = 0.5, 1, 2
    """)
    changed = run(suite, "-k", ENTROPY_BUGS, "--worldprior-report", str(tmp_path / "changed.json"))
    assert changed.ret == 0, changed.stdout.str()
    changed.stdout.fnmatch_lines([
        ("worldprior: suite limits changed: MAX_ENTROPY_DROP_NATS = 4.0 (default 1.0); TEMPERATURES = 0.5, 1.0, 2.0 "
         "(default 0.7, 1.0, 1.5)"),
        "*test_open_prompt_entropy_not_far_below_baseline?bugs?*next-token entropy (nats)*>= -*PASS",
    ])
    before, after = entropy_verdict(tmp_path / "default.json"), entropy_verdict(tmp_path / "changed.json")
    assert (before["outcome"], after["outcome"]) == ("FAIL", "PASS")
    assert before["estimate"] == pytest.approx(after["estimate"])  # the same measurement, another limit
    assert after["threshold"][0] == pytest.approx(before["threshold"][0] - 3)  # the baseline's entropy minus 4, not 1
    # the report says which limits the run changed
    settings = {name: json.loads((tmp_path / name).read_text())["settings"] for name in ("default.json", "changed.json")}
    assert "limits" not in settings["default.json"]
    assert settings["changed.json"]["limits"]["MAX_ENTROPY_DROP_NATS"] == 4


def test_a_bad_limit_in_the_ini_file_is_a_usage_error(suite):
    suite.makeini("""
        [pytest]
        worldprior_limits =
            MAX_ENTROPY_DROP_NATS = 2
            MAX_ENTROPY_DROP_NAT = 1.5
    """)
    result = suite.runpytest_subprocess("suites", "-p", "no:cacheprovider", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([("ERROR: pytest-worldprior: worldprior_limits: MAX_ENTROPY_DROP_NAT is not one of the "
                                  "suite's limits (did you mean MAX_ENTROPY_DROP_NATS?); they are the constants of "
                                  "thresholds.py: ATTRACTOR_BATCH, *, TEMPERATURES")])


class Config:
    """What suite_limits reads of a pytest.Config: the ini key and the command-line option."""

    def __init__(self, ini=None, option=None):
        self.ini, self.option = ini, option

    def getini(self, name):
        assert name == "worldprior_limits"
        return self.ini

    def getoption(self, name):
        assert name == "worldprior_limits"
        return self.option


DEFAULTS = {"MAX_DROP_NATS": 1.0, "SAMPLES": 128, "TEMPERATURES": (0.7, 1.0, 1.5)}


def test_values_keep_their_defaults_kinds_and_the_command_line_applies_after_the_ini_file():
    from pytest_worldprior.plugin.suite import suite_limits

    limits = suite_limits(Config(ini="MAX_DROP_NATS = 2\nSAMPLES = 64  # halved; a comment\nTEMPERATURES = 0.5, 1, 2",
                                 option="SAMPLES = 32; MAX_DROP_NATS = 0.5"), DEFAULTS)
    assert (limits.MAX_DROP_NATS, limits.SAMPLES, limits.TEMPERATURES) == (0.5, 32, (0.5, 1.0, 2.0))
    assert [type(v) for v in (limits.MAX_DROP_NATS, limits.SAMPLES, *limits.TEMPERATURES)] == [float, int, float, float, float]
    # pyproject.toml's [tool.pytest.ini_options] may give a list; nothing given: the defaults
    assert suite_limits(Config(ini=["SAMPLES = 16", "TEMPERATURES = (1.0, 2.0)"]), DEFAULTS).TEMPERATURES == (1.0, 2.0)
    assert vars(suite_limits(Config(), DEFAULTS)) == DEFAULTS
    with pytest.raises(AttributeError):
        limits.SAMPLES = 1  # read-only: one test cannot change another's limits


@pytest.mark.parametrize(("item", "message"), [
    ("SAMPLE = 64", ("worldprior_limits: SAMPLE is not one of the suite's limits (did you mean SAMPLES?); they are the "
                     "suite's limits: MAX_DROP_NATS, SAMPLES, TEMPERATURES")),
    ("SAMPLES = 32.5", "worldprior_limits: SAMPLES takes a whole number, like its default (SAMPLES = 128); got 32.5"),
    ("SAMPLES = True", "worldprior_limits: SAMPLES takes a whole number, like its default (SAMPLES = 128); got True"),
    ("MAX_DROP_NATS = 1e999", ("worldprior_limits: MAX_DROP_NATS takes a finite number, like its default "
                               "(MAX_DROP_NATS = 1.0); got inf")),
    ("TEMPERATURES = 1.5", ("worldprior_limits: TEMPERATURES takes numbers separated by commas, like its default "
                            "(TEMPERATURES = 0.7, 1.0, 1.5); got 1.5")),
    ("TEMPERATURES = 1.5, 'hot'", ("worldprior_limits: TEMPERATURES takes numbers separated by commas, like its default "
                                   "(TEMPERATURES = 0.7, 1.0, 1.5); got (1.5, 'hot')")),
    ("SAMPLES = many", ("--worldprior-limits / worldprior_limits: SAMPLES = many: a limit's value is a number (1.5, 64) or "
                        "numbers separated by commas (0.5, 1.0, 2.0)")),
    ("SAMPLES 64", ("--worldprior-limits / worldprior_limits: 'SAMPLES 64' is not NAME = value; write each limit as "
                    "NAME = value, e.g. MAX_ENTROPY_DROP_NATS = 1.5 (several: one a line in the ini file, separated by "
                    "';' on the command line)")),
])
def test_a_bad_item_says_what_is_wrong_and_how_to_fix_it(item, message):
    from pytest_worldprior.plugin.suite import suite_limits

    with pytest.raises(pytest.UsageError) as error:
        suite_limits(Config(option=item), DEFAULTS)
    assert str(error.value) == f"pytest-worldprior: {message}"


def test_limits_on_the_command_line_without_the_suite_are_refused_not_ignored(pytester):
    pytester.makepyfile("def test_own():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--worldprior-limits", "MAX_ENTROPY_DROP_NATS = 2.0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--worldprior-limits changes the ready suite's limits, but no collected test takes them" in result.stderr.str()
    pytester.makeini("[pytest]\nworldprior_limits = MAX_ENTROPY_DROP_NATS = 2.0\n")  # a project's standing setting
    assert pytester.runpytest("-p", "no:cacheprovider").ret == pytest.ExitCode.OK
