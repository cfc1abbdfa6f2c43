"""The HTML report of a suite run, opened in headless Chromium at 1280 px: nothing overflows to the right,
the gate summary is visible without scrolling, and every chart is there and drawn. The same page is
rendered from the run's JSON report on the command line (python -m pytest_worldprior.report.html).

One run of the ready suite on the toy lineage (toy-base, then toy-collapsed, each against toy-base)
feeds every test here: it has every chart kind, the lineage view, FAIL verdicts and closed-set rows
below the in-set floor (the toys rarely answer the prior-shift questions). It runs the suite's cheap
(exact) checks and one attractor scene of toy-collapsed: about 30 s of CPU, where the whole lineage
takes four times that (tests/test_suite.py runs it). A small report built here checks the marking of
rows below the in-set floor in detail."""

import base64
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import browser
import jsonschema
import pytest

from pytest_worldprior import checks
from pytest_worldprior.measures.closed_set import MIN_IN_SET_MASS
from pytest_worldprior.report import html as html_report
from pytest_worldprior.report.json_report import SCHEMA_PATH

SUITES = Path(__file__).parents[1] / "suites"
CHARTS = ("H(T): next-token entropy against temperature", "Answers to a number from 1 to 10", "Answers to heads, tails",
          "Closed-set answers against the target", "Influence of the injection", "Lineage, Mode collapse",
          "Lineage, Temperature insensitivity", "Lineage, Biased randomness", "Lineage, Prior shift", "Lineage, Attractor states")

# Every phenomenon and chart kind: exact checks, two answer sets, and the attractor scene whose toy-collapsed side is quick.
# The prior-shift lineage chart comes from the token-level prior KL: the toys rarely answer the closed-set
# questions (in-set mass below the floor), so those checks are INCONCLUSIVE and record no lineage row.
SUBSET = ("temperature or closed_set or open_prompt or prior_shift_within_limit or number-1-10- or coin "
          "or toy-collapsed-bedtime")


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


def test_every_closed_set_row_of_the_suite_run_below_the_in_set_floor_is_listed_under_its_chart(suite_run, tmp_path):
    listed = [item for chart in browser.measure(suite_run["html"], tmp_path)["charts"] for item in chart["below_floor"]]
    below = [record for record in json.loads(suite_run["json"].read_text())["verdicts"] if _below_floor(record)]
    assert below  # the toys rarely answer the prior-shift questions and some framings
    for record in below:
        details = record["verdict"]["details"]
        row = f"{record['model']}, {details['framing']}" if "framing" in details else record["model"]
        mass = f"(in-set mass {details['in_set_mass']:.2g}, floor"
        assert any(item.startswith(f"below the in-set floor: {row} on '") and mass in item for item in listed), (record["test"], listed)


def _below_floor(record: dict) -> bool:
    """A closed-set record the charts draw whose own in-set mass is below the floor its check used."""
    details = record["verdict"]["details"]
    return (record["check"] in (checks.UNIFORM_CHOICE, checks.DISTRIBUTION_CLOSE) and "probabilities" in details
            and details["in_set_mass"] < details.get("min_in_set_mass", MIN_IN_SET_MASS))


SUN, WATER = "Q: Is the sun a star?\nA:", "Q: Is water wet?\nA:"
COIN = {"direct": "Flip a coin. Answer heads or tails:", "interpreter": ">>> print(random.choice(COIN))\n",
        "chat": "User: flip a coin, heads or tails?\nAssistant:"}


def _closed_set(number: int, model: str, prompt: str, check: str, outcome: str, choices: list[str], probabilities: list[float],
                in_set: float, **details) -> dict:
    """A closed-set verdict record as the JSON report holds it: the exact route's details (ChoiceDistribution.as_dict)."""
    top = max(range(len(choices)), key=probabilities.__getitem__)
    return {"test": f"suites/test_x.py::test_{check}[{model}-{number}]", "number": number, "check": check, "model": model,
            "prompt": prompt, "verdict": {
                "outcome": outcome, "estimate": in_set if "rarely_answers" in details else 0.01, "interval": None,
                "threshold": [MIN_IN_SET_MASS, None] if "rarely_answers" in details else [None, 0.1], "n": 0, "method": "exact",
                "alpha": 0.0, "seed": None, "label": "a label", "details": {
                    "choices": choices, "probabilities": probabilities, "raw": [p * in_set for p in probabilities],
                    "off_set_mass": 1 - in_set, "in_set_mass": in_set, "top": choices[top], "top_probability": probabilities[top],
                    **details}}}


def test_a_closed_set_row_below_the_in_set_floor_is_drawn_hatched_with_its_mass_and_listed_under_its_chart(tmp_path):
    """The chart follows the verdict: a row whose in-set mass is below the floor is renormalised noise (the
    sun "not a star" with probability 1 of its 1e-12 of answers), drawn grey and hatched with the mass on it
    and in the legend, and named under the chart. Marked by its mass against the floor, whether the record
    says who rarely answers or not (a drift check may FAIL a model that stopped answering); a baseline below
    the floor is named too; rows above it are not marked."""
    browser.chromium_or_fail()
    rarely = {"rarely_answers": "the model", "min_in_set_mass": MIN_IN_SET_MASS}
    close, uniform = checks.DISTRIBUTION_CLOSE, checks.UNIFORM_CHOICE
    yes_no, coin = ["Yes", "No"], ["heads", "tails"]
    records = [
        _closed_set(1, "gemma3-270m", SUN, close, "PASS", yes_no, [0.85, 0.15], 0.6, target=[0.85, 0.15]),
        _closed_set(2, "gemma3-270m-dpo", SUN, close, "INCONCLUSIVE", yes_no, [0.0, 1.0], 1.1e-12, target=[0.85, 0.15], **rarely),
        _closed_set(3, "gemma3-270m-sft", WATER, close, "FAIL", yes_no, [0.5, 0.5], 2e-6, target=[0.7, 0.3], baseline_in_set_mass=0.4),
        _closed_set(4, "gemma3-270m-dpo", COIN["direct"], uniform, "PASS", coin, [0.55, 0.45], 0.4, framing="direct"),
        _closed_set(5, "gemma3-270m-dpo", COIN["interpreter"], uniform, "INCONCLUSIVE", coin, [0.0, 1.0], 3e-4,
                    framing="interpreter", **rarely),
        _closed_set(6, "gemma3-270m-sft", COIN["chat"], uniform, "INCONCLUSIVE", coin, [0.5, 0.5], 0.3, framing="chat",
                    baseline="gemma3-270m", baseline_in_set_mass=0.002, rarely_answers="the baseline gemma3-270m",
                    min_in_set_mass=MIN_IN_SET_MASS),
    ]
    outcomes = [r["verdict"]["outcome"] for r in records]
    document = {"schema_version": 1, "versions": dict.fromkeys(("pytest-worldprior", "python", "pytest", "torch", "transformers",
                                                                "numpy", "scipy"), "0"),
                "settings": {"model": "gemma3-270m-dpo", "baseline": "gemma3-270m", "seed": 0, "device": "cpu", "dtype": "float32"},
                "models": {}, "framing_contrasts": [], "verdicts": records,
                "summary": {"checks": len(records), **{o: outcomes.count(o) for o in html_report.OUTCOMES}}}
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    report, page = tmp_path / "report.json", tmp_path / "report.html"
    report.write_text(json.dumps(document))
    assert html_report.main([str(report), "-o", str(page)]) == 0

    charts = {chart["alt"]: chart for chart in browser.measure(page, tmp_path)["charts"]}
    floor = f"floor {MIN_IN_SET_MASS:g}"
    assert charts["Closed-set answers against the target"]["below_floor"] == [
        f"below the in-set floor: gemma3-270m-dpo on 'Q: Is the sun a star? A:' (in-set mass 1.1e-12, {floor})",
        f"below the in-set floor: gemma3-270m-sft on 'Q: Is water wet? A:' (in-set mass 2e-06, {floor})"]
    assert charts["Answers to heads, tails"]["below_floor"] == [
        f"below the in-set floor: gemma3-270m-dpo, interpreter on '>>> print(random.choice(COIN))' (in-set mass 0.0003, {floor})",
        (f"below the in-set floor: the baseline gemma3-270m of gemma3-270m-sft, chat on 'User: flip a coin, heads or tails? "
         f"Assistant:' (in-set mass 0.002, {floor}; its answers not drawn)"),
    ]
    for chart in charts.values():
        assert chart["ink"] > 2000 and "below the in-set floor" in chart["caption"], chart

    # In the image: the marked rows hatched, their mass on the bar and in the legend; the others plain.
    svg = {alt: base64.b64decode(data).decode() for alt, data in
           re.findall(r"<img alt='([^']*)' src='data:image/svg\+xml;base64,([^']*)'>", page.read_text())}
    target, answers = svg["Closed-set answers against the target"], svg["Answers to heads, tails"]
    assert "<pattern" in target and "<pattern" in answers  # the hatching
    assert target.count("in-set mass 1.1e-12") == 2 and target.count("in-set mass 2e-06") == 2  # on the bar, in the legend
    assert answers.count("in-set mass 0.0003") == 2 and "gemma3-270m-dpo, interpreter (in-set mass 0.0003)" in answers
    for plain in ("gemma3-270m (in-set", "target (in-set", "gemma3-270m-dpo, direct (in-set", "gemma3-270m-sft, chat (in-set"):
        assert plain not in target and plain not in answers


def test_a_baseline_below_the_floor_that_is_checked_in_the_same_chart_is_listed_once():
    """A lineage run checks its first checkpoint against itself: its row is drawn, hatched and listed, so the
    note that it is the later checkpoint's baseline would say it twice."""
    from pytest_worldprior.report import html_charts

    rarely = {"rarely_answers": "the model", "min_in_set_mass": MIN_IN_SET_MASS}
    coin = ["heads", "tails"]
    records = [_closed_set(1, "gemma3-270m", COIN["chat"], checks.UNIFORM_CHOICE, "INCONCLUSIVE", coin, [0.4, 0.6], 0.002,
                           framing="chat", baseline="gemma3-270m", baseline_in_set_mass=0.002, **rarely),
               _closed_set(2, "gemma3-270m-sft", COIN["chat"], checks.UNIFORM_CHOICE, "INCONCLUSIVE", coin, [0.5, 0.5], 0.3,
                           framing="chat", baseline="gemma3-270m", baseline_in_set_mass=0.002, rarely_answers="the baseline gemma3-270m",
                           min_in_set_mass=MIN_IN_SET_MASS)]
    [chart] = html_charts.answer_histograms(records)
    listed = [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", chart)]
    once = ("below the in-set floor: gemma3-270m, chat on 'User: flip a coin, heads or tails? Assistant:' "
            f"(in-set mass 0.002, floor {MIN_IN_SET_MASS:g})")
    assert listed == [once]
