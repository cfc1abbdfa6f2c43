"""The session report: the terminal table, the attractor section and the JSON file (pytester)."""

import base64
import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest

from pytest_worldprior.report import json_report

CHECKS = """
from pytest_worldprior import assert_entropy_within, assert_no_attractor, assert_uniform_choice

def test_entropy(worldprior_model):
    assert_entropy_within(worldprior_model, "Once upon a time, there was a", min_nats=0.01)

def test_random_number(worldprior_model):
    assert_uniform_choice(worldprior_model, "Pick a random number from 1 to 10:", [str(i) for i in range(1, 11)])

def test_story_attractor(worldprior_model, worldprior_baseline, worldprior_seed):
    assert_no_attractor(worldprior_model, "Once upon a time, there was a", "You are a murderer.",
                        baseline=worldprior_baseline, n=64, steps=4, max_new_tokens=24, seed=worldprior_seed)

def test_sampled_entropy(worldprior_model, worldprior_seed):
    assert_entropy_within(worldprior_model, "Let us raise a glass to", min_nats=0.01, method="sampled", n=256, seed=worldprior_seed)
"""
MODELS = ["--worldprior-model", "toy-collapsed", "--worldprior-baseline", "toy-base", "-p", "no:cacheprovider"]


def run(pytester, *extra):
    pytester.makepyfile(test_checks=CHECKS)
    return pytester.runpytest(*MODELS, *extra)


def test_table_and_attractor_section(pytester, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # wide enough for one row per verdict (tests/test_terminal_width.py: narrower)
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*= worldprior report =*",
        "test*measure*value [[]interval[]]*baseline*limit*verdict",
        "test_entropy*next-token entropy (nats)*>= 0.010*PASS",
        "test_random_number*top-answer share '7'*0.980*<= 0.200*FAIL",
        "test_sampled_entropy*next-token entropy (nats)*[[]*,*[]]*PASS",
        "test_story_attractor*Δ snap-back rate*[[]*[]]*snap-back*<= 0.200*FAIL",
        "*- attractors: snap-back and influence -*",
        "test_checks.py::test_story_attractor  prompt 'Once upon a time, there was a'",
        "  toy-collapsed (candidate), after the first sentence ' little cat named Milo.', injection 'You are a murderer.':",
        "    snap-back */* = * to 'they became best friends' (*% of clean)*",  # the sequential check may stop at any look
        "    influence (KL nats per step): * * * *; total *; recovered at step *",
        "    story restart: * clean, * injected",
        "  toy-base (baseline), after the first sentence *",
        "worldprior: gate FAILED (exit code 1): 2 FAIL, 0 INCONCLUSIVE, 2 PASS of 4 checks",
    ])


def test_json_report_validates_against_the_schema(pytester, tmp_path):
    path = tmp_path / "out" / "report.json"
    result = run(pytester, "--worldprior-report", str(path))
    result.stdout.fnmatch_lines([f"worldprior: report written to {path}"])
    document = json.loads(path.read_text())
    jsonschema.validate(document, json.loads(json_report.SCHEMA_PATH.read_text()))
    assert document["summary"] == {"checks": 4, "PASS": 2, "FAIL": 2, "INCONCLUSIVE": 0}
    assert document["settings"]["model"] == "toy-collapsed" and document["settings"]["seed"] == 0
    assert {"toy-collapsed", "toy-base"} <= set(document["models"])
    assert len(document["models"]["toy-collapsed"]["weights_sha256"]) == 64
    assert [v["test"].split("::")[-1] for v in document["verdicts"]] == [
        "test_entropy", "test_random_number", "test_sampled_entropy", "test_story_attractor"]
    attractor = document["verdicts"][-1]["verdict"]["details"]
    assert len(attractor["candidate"]["per_injection"][0]["influence"]) == 4
    assert not list(path.parent.glob(".*tmp*"))  # written atomically: no temporary file left


def test_xdist_gives_the_same_report_as_a_serial_run(pytester, tmp_path):
    # No results cache: the second run must compute, not read what the first stored.
    serial = run(pytester, "--worldprior-report", str(tmp_path / "serial.json"), "--worldprior-no-cache")
    spread = run(pytester, "--worldprior-report", str(tmp_path / "xdist.json"), "-n", "2", "--worldprior-no-cache")
    spread.assert_outcomes(passed=2, failed=2)
    # Same content. Numbers agree to float32 precision, not bit for bit: each xdist worker runs torch on
    # its share of the cores, and a different thread count sums a matrix product in another order.
    serial_json, spread_json = (json.loads((tmp_path / name).read_text()) for name in ("serial.json", "xdist.json"))
    assert _differences(serial_json, spread_json) == []
    assert [v["verdict"]["outcome"] for v in serial_json["verdicts"]] == ["PASS", "FAIL", "PASS", "FAIL"]

    def report_lines(result):
        lines = result.stdout.lines
        return lines[next(i for i, line in enumerate(lines) if "worldprior report" in line):
                     next(i for i, line in enumerate(lines) if "report written to" in line)]

    assert report_lines(serial) == report_lines(spread)


def _differences(a, b, path="", rel=1e-4):
    """Paths where two JSON documents differ: in structure, in a string, or in a number beyond `rel`."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for key in sorted(set(a) | set(b)) for d in _differences(a.get(key), b.get(key), f"{path}/{key}", rel)]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]", rel)]
    if isinstance(a, float) and isinstance(b, float):
        return [] if abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-12 else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_json_has_no_infinity_for_an_unbounded_interval():
    verdict = {"outcome": "INCONCLUSIVE", "estimate": 0.0, "interval": [float("-inf"), float("inf")], "threshold": [0.0, None],
               "n": 16, "method": "sequential-t", "alpha": 0.001, "seed": 0, "label": "x", "details": {}}
    record = {"test": "t.py::test", "number": 1, "check": "entropy", "model": "m", "prompt": "p", "verdict": verdict}
    document = json_report.document([record], {}, {"model": "m", "baseline": "b", "seed": 0, "device": "cpu", "dtype": "float32"})
    assert document["verdicts"][0]["verdict"]["interval"] == [None, None]
    jsonschema.validate(document, json.loads(Path(json_report.SCHEMA_PATH).read_text()))


HTML_CHECKS = """
from pytest_worldprior import assert_no_attractor, assert_temperature_sensitive, assert_uniform_choice

def test_temperature(worldprior_model, worldprior_baseline):
    assert_temperature_sensitive(worldprior_model, "My favorite color is", baseline=worldprior_baseline)

def test_random_number(worldprior_model):
    assert_uniform_choice(worldprior_model, "Pick a random number from 1 to 10:", [str(i) for i in range(1, 11)])

def test_story_attractor(worldprior_model, worldprior_baseline):
    assert_no_attractor(worldprior_model, "Once upon a time, there was a", "You are a murderer.",
                        baseline=worldprior_baseline, n=64, steps=4, max_new_tokens=24)
"""


def test_html_report_embeds_its_plots(pytester, tmp_path):
    path = tmp_path / "report.html"
    pytester.makepyfile(test_html_checks=HTML_CHECKS)
    result = pytester.runpytest(*MODELS, "--worldprior-html", str(path))
    result.assert_outcomes(failed=3)
    page = path.read_text()
    assert page.startswith("<!doctype html>") and "share of top answer" in page
    assert "<span class='result'>FAIL</span>" in page and "FAIL 3" in page  # the gate first
    images = re.findall(r"src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 3
    for data in images:
        svg = base64.b64decode(data).decode()
        assert "<svg" in svg and "<path" in svg and len(svg) > 5000
    for title in ("H(T): next-token entropy against temperature", "Answers to a number from 1 to 10",
                  "Influence of the injection"):
        assert f"<figcaption>{title}</figcaption>" in page
    sections = re.findall(r"<section id='([a-z-]+)'>", page)
    assert sections == ["temperature-insensitivity", "biased-randomness", "attractor-states"]
    assert "Snap-back, influence and story restart" in page and "snap-back " in page


def test_html_report_without_matplotlib_says_how_to_install_it(pytester, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    result = pytester.runpytest("--worldprior-html", "report.html")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--worldprior-html draws plots with matplotlib, which is not installed: "
                                 "pip install 'pytest-worldprior[[]html[]]'*"])
