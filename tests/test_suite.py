"""The benchmark suite (suites/) run as a user runs it, on the toy pair: a known collapse must fail with
the collapse checks named in the table, the base model against itself must pass, and pytest-xdist must
give the same verdicts and numbers. It collects under either import mode, beside a module of its own
named thresholds."""

import json
import shutil
from pathlib import Path

import pytest

SUITES = Path(__file__).parents[1] / "suites"


@pytest.fixture
def suite(pytester):
    """A copy of suites/ in a folder of its own, as a user's project holds it."""
    shutil.copytree(SUITES, pytester.path / "suites", ignore=shutil.ignore_patterns("__pycache__", "worldprior_baselines"))
    return pytester


def run(suite, model, baseline, *extra):
    # A subprocess: the outer session imports suites/ under the same module names.
    return suite.runpytest_subprocess("suites", "--worldprior-model", model, "--worldprior-baseline", baseline,
                                      "-p", "no:cacheprovider", *extra)


def verdicts(path: Path) -> list[tuple[str, str]]:
    return [(v["test"], v["verdict"]["outcome"]) for v in json.loads(path.read_text())["verdicts"]]


@pytest.mark.parametrize("mode", ["prepend", "importlib"])
def test_the_suite_collects_under_either_import_mode_beside_a_module_named_thresholds(suite, mode):
    """The test modules import nothing from the suite (they ask for the `limits` and `need_logits` fixtures),
    and conftest.py imports thresholds.py relative to its package: a project's own `thresholds` stands in
    for neither. (The other tests here run the suite in the default mode, prepend.)"""
    suite.makepyfile(thresholds='raise ImportError("the project\'s own thresholds module, not the suite\'s")')
    result = suite.runpytest_subprocess("suites", "-p", "no:cacheprovider", "--co", "-q", f"--import-mode={mode}")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["55 tests collected*"])
    if mode == "importlib":  # the fixtures resolve there too, under pytest-xdist: two exact checks (seconds)
        result = run(suite, "toy-collapsed", "toy-base", "--import-mode=importlib", "-n", "2",
                     "-k", "test_open_prompt_entropy and (bugs or poem)")
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 2 and "error" not in outcomes, outcomes
        result.stdout.fnmatch_lines(["FAILED suites/test_mode_collapse.py::test_open_prompt_entropy_not_far_below_baseline?bugs?*"])


def test_collapsed_toy_fails_with_the_collapse_checks_named(suite, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one row per verdict (narrower terminals: tests/test_terminal_width.py)
    result = run(suite, "toy-collapsed", "toy-base", "--worldprior-report", str(tmp_path / "report.json"))
    assert result.ret == 1
    failed = {test.split("::")[-1] for test, outcome in verdicts(tmp_path / "report.json") if outcome == "FAIL"}
    assert {"test_open_prompt_entropy_not_far_below_baseline[bugs]", "test_open_prompt_entropy_not_far_below_baseline[story]",
            "test_temperature_restores_the_baselines_diversity[color]", "test_random_choice[candidate-number-1-10-direct]",
            "test_scene_follows_interruptions[bedtime-story]"} <= failed, failed
    result.stdout.fnmatch_lines([
        "*= worldprior report =*",
        "test_open_prompt_entropy_not_far_below_baseline?bugs?*toy-collapsed*next-token entropy (nats)*FAIL",
        "test_random_choice?candidate-number-1-10-direct?*toy-collapsed*top-answer share '7'*FAIL",
        "worldprior: gate FAILED (exit code 1): * FAIL, * INCONCLUSIVE, * PASS of * checks",
    ])


def test_lineage_gates_each_checkpoint_against_the_first_and_reports_them_side_by_side(suite, tmp_path):
    """--worldprior-lineage toy-base,toy-collapsed: the base against itself passes every check, the collapsed
    checkpoint fails; the lineage table is printed and written to the JSON (valid) and HTML reports."""
    import jsonschema

    from pytest_worldprior.report.json_report import SCHEMA_PATH

    report, page = tmp_path / "lineage.json", tmp_path / "lineage.html"
    result = suite.runpytest_subprocess("suites", "--worldprior-lineage", "toy-base,toy-collapsed", "-p", "no:cacheprovider",
                                        "--worldprior-report", str(report), "--worldprior-html", str(page))
    assert result.ret == 1
    outcomes = verdicts(report)
    base_self = [(test, outcome) for test, outcome in outcomes if "[toy-base" in test]
    # INCONCLUSIVE only where the toy rarely answers (a framing it never saw: in-set mass below the floor)
    rarely = {v["test"] for v in json.loads(report.read_text())["verdicts"] if v["verdict"]["details"].get("rarely_answers")}
    assert base_self and all(outcome == "PASS" or (outcome == "INCONCLUSIVE" and test in rarely)
                             for test, outcome in base_self), base_self
    assert any(outcome == "FAIL" for test, outcome in outcomes if "[toy-collapsed" in test)
    result.stdout.fnmatch_lines([
        "*worldprior: lineage toy-base -> toy-collapsed (each against toy-base)*",
        "*- lineage: toy-base -> toy-collapsed -*",
        "Mode collapse*case*toy-base*toy-collapsed*change",
        # rows in the order the check kinds declare them (checks.KINDS), whichever test ran first
        "next-token entropy (nats)*bugs*2.8??*0.1??*↓",
        "commonest-opening share*bugs*[[]*[]]*[[]*[]]*↑",
        "matching temperature*bugs*1.000*↑",
        "prior KL(model || first) (nats)*0.000*↑",
    ])
    document = json.loads(report.read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["lineage"]["checkpoints"] == ["toy-base", "toy-collapsed"]
    rows = {(r["measure"], r["case"]): r for r in document["lineage"]["rows"]}
    entropy = rows[("next-token entropy (nats)", "bugs")]
    assert [v["checkpoint"] for v in entropy["values"]] == ["toy-base", "toy-collapsed"]
    assert entropy["values"][0]["estimate"] > entropy["values"][1]["estimate"] + 1
    assert entropy["changes"] == [{"from": "toy-base", "to": "toy-collapsed", "direction": "down"}]
    assert rows[("prior KL(model || first) (nats)", "prior_shift_within_limit")]["values"][0]["estimate"] == 0
    text = page.read_text()
    for phenomenon in ("Mode collapse", "Temperature insensitivity", "Biased randomness", "Prior shift", "Attractor states"):
        assert f"alt='Lineage, {phenomenon}'" in text


def test_xdist_gives_the_same_verdicts_and_numbers(suite, tmp_path):
    # No results cache: the second run must compute, not read what the first stored.
    run(suite, "toy-collapsed", "toy-base", "--worldprior-report", str(tmp_path / "serial.json"), "--worldprior-no-cache")
    run(suite, "toy-collapsed", "toy-base", "--worldprior-report", str(tmp_path / "xdist.json"), "-n", "2", "--worldprior-no-cache")
    assert verdicts(tmp_path / "serial.json") == verdicts(tmp_path / "xdist.json")
    serial, spread = (json.loads((tmp_path / name).read_text())["verdicts"] for name in ("serial.json", "xdist.json"))
    for a, b in zip(serial, spread):
        assert a["verdict"]["estimate"] == pytest.approx(b["verdict"]["estimate"], rel=1e-4, abs=1e-9)
