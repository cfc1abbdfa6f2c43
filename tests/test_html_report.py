"""The HTML report of a suite run, opened in headless Chromium at 1280 px: nothing overflows to the right,
the gate summary is visible without scrolling, and every chart is there and drawn. The same page is
rendered from the run's JSON report on the command line (python -m pytest_worldprior.report.html).

One run of the ready suite on the toy lineage (toy-base, then toy-collapsed, each against toy-base)
feeds every test here: it has every chart kind, the lineage view, and FAIL verdicts. It runs the suite's
cheap (exact) checks and one attractor scene of toy-collapsed: about 30 s of CPU, where the whole
lineage takes four times that (tests/test_suite.py runs it)."""

import html
import json
import subprocess
import sys
from pathlib import Path

import browser
import pytest

from pytest_worldprior.report import html as html_report

SUITES = Path(__file__).parents[1] / "suites"
CHARTS = ("H(T): next-token entropy against temperature", "Answers to a number from 1 to 10", "Answers to heads, tails",
          "Closed-set answers against the target", "Influence of the injection", "Lineage, Mode collapse",
          "Lineage, Temperature insensitivity", "Lineage, Biased randomness", "Lineage, Prior shift", "Lineage, Attractor states")

# Every phenomenon and chart kind: exact checks, two answer sets, and the attractor scene whose toy-collapsed side is quick.
SUBSET = "temperature or closed_set or open_prompt or number-1-10- or coin or toy-collapsed-bedtime"


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory):
    """The JSON and HTML reports of one lineage run of suites/ on the toy pair, and its exit code."""
    browser.chromium_or_fail()  # before the run: a machine without the browser learns it at once
    folder = tmp_path_factory.mktemp("suite")
    for path in SUITES.glob("*.py"):
        (folder / path.name).write_text(path.read_text())
    report, page = folder / "report.json", folder / "report.html"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--worldprior-lineage",
                             "toy-base,toy-collapsed", "-k", SUBSET, "--worldprior-report", str(report), "--worldprior-html", str(page)],
                            cwd=folder, capture_output=True, text=True, timeout=600)
    assert page.exists() and report.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return {"json": report, "html": page, "exit_code": result.returncode}


def test_the_suite_report_fits_1280px_shows_the_gate_first_and_draws_every_chart(suite_run, tmp_path):
    assert suite_run["exit_code"] == 1  # toy-collapsed fails the collapse checks
    seen = browser.measure(suite_run["html"], tmp_path, width=1280, height=900)
    assert seen["client_width"] == 1280 and seen["scroll_width"] <= seen["client_width"], seen
    assert seen["gate_bottom"] is not None and 0 < seen["gate_bottom"] <= seen["window_height"], seen
    counts = json.loads(suite_run["json"].read_text())["summary"]
    assert counts["FAIL"] > 0
    for shown in ("FAIL", f"PASS {counts['PASS']}", f"FAIL {counts['FAIL']}", f"INCONCLUSIVE {counts['INCONCLUSIVE']}", "skipped"):
        assert shown in seen["gate_text"], (shown, seen["gate_text"])
    charts = {chart["alt"]: chart for chart in seen["charts"]}
    assert set(CHARTS) <= set(charts), sorted(charts)
    for alt, chart in charts.items():
        assert chart["width"] > 200 and chart["height"] > 100 and chart["natural"] > 0, chart
        drawn = chart["ink"] / (chart["natural"] * chart["natural_height"])
        assert chart["ink"] > 2000 and drawn > 0.01, (alt, chart)  # axes, lines, bars and text: not a blank image


def test_the_page_drawn_from_the_json_report_names_the_models_by_fingerprint(suite_run, tmp_path):
    out = tmp_path / "from-json.html"
    done = subprocess.run([sys.executable, "-m", "pytest_worldprior.report.html", str(suite_run["json"]), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    page, document = out.read_text(), json.loads(suite_run["json"].read_text())
    for reference, model in document["models"].items():
        assert model["weights_sha256"] in page and html.escape(reference) in page
    assert f"seed {document['settings']['seed']}" in page and f"transformers {document['versions']['transformers']}" in page
    assert "Lineage: toy-base → toy-collapsed" in page
    assert browser.measure(out, tmp_path)["scroll_width"] <= 1280


def test_the_header_with_the_session_gives_pytests_exit_code_and_skipped_tests():
    document = {"summary": {"checks": 0, "PASS": 0, "FAIL": 0, "INCONCLUSIVE": 0}, "verdicts": []}
    page = html_report.render(document, {"exit_code": 0, "tests": {"passed": 3, "skipped": 2}})
    assert "<span class='result'>PASS</span>" in page and "skipped 2" in page and "pytest exit code 0; tests: 3 passed, 2 skipped" in page
    document["summary"]["FAIL"] = 1  # pytest's exit code decides, not the verdicts alone
    assert html_report.gate(document, {"exit_code": 0, "tests": {}})["result"] == "PASS"
    assert html_report.gate(document, {"exit_code": 1, "tests": {}})["result"] == "FAIL"
    assert html_report.gate(document)["result"] == "FAIL"
    with pytest.raises(ValueError, match="session exit_code must be pytest's integer exit status, got '1'"):
        html_report.gate(document, {"exit_code": "1", "tests": {}})
    with pytest.raises(ValueError, match=r"got \{'skiped': 2\}"):
        html_report.gate(document, {"exit_code": 0, "tests": {"skiped": 2}})


def test_every_text_is_escaped():
    record = {"test": "t.py::test_x[<b>]", "number": 1, "check": "entropy", "model": "<script>alert(1)</script>",
              "prompt": "p", "verdict": {"outcome": "PASS", "estimate": 1.0, "interval": None, "threshold": [0.5, None],
                                         "n": 0, "method": "exact", "alpha": 0.001, "seed": 0, "label": "a < b & c",
                                         "details": {}}}
    page = html_report.render({"summary": {"checks": 1, "PASS": 1, "FAIL": 0, "INCONCLUSIVE": 0}, "verdicts": [record]})
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "a &lt; b &amp; c" in page


def test_a_file_that_is_not_a_report_is_refused_with_the_place_and_problem(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": 1, "verdicts": []}))
    done = subprocess.run([sys.executable, "-m", "pytest_worldprior.report.html", str(bad), "-o", str(tmp_path / "x.html")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "is not a pytest-worldprior JSON report" in done.stderr and "'versions' is a required" in done.stderr
    assert not (tmp_path / "x.html").exists()
