"""The worldprior report fits the terminal: the verdict table within pytest's width (one row per verdict when
it fits, else each test id on a line of its own above its checks), every verdict in full with -v, and one
last line with the gate's result."""

import pytest

from pytest_worldprior.report import terminal as report

# Long parametrised test ids, as in the ready suite; exact checks only (fast), on two models.
CHECKS = """
import pytest
from pytest_worldprior import assert_entropy_within, assert_uniform_choice

PROMPTS = {"bugs": "Q: Are bugs real?\\nA:", "story": "Once upon a time, there was a"}


@pytest.mark.parametrize("prompt", PROMPTS.values(), ids=PROMPTS.keys())
def test_open_prompt_entropy_not_far_below_the_baselines_own_entropy(worldprior_model, worldprior_baseline, prompt):
    assert_entropy_within(worldprior_model, prompt, baseline=worldprior_baseline, max_drop_nats=1.0)


@pytest.mark.parametrize("role", ["candidate", "baseline"])
def test_random_number_from_one_to_ten_is_not_one_answer_in_disguise(worldprior_model, worldprior_baseline, role):
    model = worldprior_model if role == "candidate" else worldprior_baseline
    assert_uniform_choice(model, "Pick a random number from 1 to 10:", [str(i) for i in range(1, 11)], max_top_share=0.5)
"""


def _report_lines(result) -> tuple[list[str], list[str]]:
    """The table with its sections, and the status lines after them (which name files, and stay whole)."""
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "= worldprior report =" in line)
    status = next(i for i, line in enumerate(lines) if i > start and line.startswith("worldprior: "))
    end = next(i for i, line in enumerate(lines) if line.startswith("worldprior: gate "))
    return lines[start:status], lines[status:end + 1]


def test_the_report_fits_120_columns_and_ends_with_the_gate(pytester, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest("--worldprior-model", "toy-collapsed", "--worldprior-baseline", "toy-base", "-p", "no:cacheprovider",
                                "-v")
    result.assert_outcomes(passed=1, failed=3)
    lines, status = _report_lines(result)
    assert max(map(len, lines)) <= 120, [line for line in lines if len(line) > 120]
    # The full suite-like ids do not fit one row with the numbers: each test's id heads its checks.
    result.stdout.fnmatch_lines([
        "  measure*value [[]interval[]]*baseline*limit*verdict",
        "test_open_prompt_entropy_not_far_below_the_baselines_own_entropy[[]bugs[]]  (toy-collapsed)",
        "  next-token entropy (nats)*>= *FAIL",
        "test_random_number_from_one_to_ten_is_not_one_answer_in_disguise[[]baseline[]]  (toy-base)",
        "  top-answer share '*'*<= 0.500*PASS",
        "test_random_number_from_one_to_ten_is_not_one_answer_in_disguise[[]candidate[]]  (toy-collapsed)",
        "  top-answer share '7'*0.9*<= 0.500*FAIL",
    ])
    # -v: every verdict in full (node id, check, model, the measure's whole label, n, method).
    result.stdout.fnmatch_lines([
        "*- every verdict in full (-v) -*",
        "test_checks.py::test_open_prompt_entropy_not_far_below_the_baselines_own_entropy[[]bugs[]]",
        "  FAIL entropy on toy-collapsed: next-token entropy (nats, T=1) *, limit >= *, baseline * nats (exact)",
    ])
    assert status[0].startswith("worldprior: results cache ")
    assert status[-1] == "worldprior: gate FAILED (exit code 1): 3 FAIL, 0 INCONCLUSIVE, 1 PASS of 4 checks"


def _record(test: str, model: str, label: str, estimate: float, interval, outcome: str, measure: str = "",
            baseline_value: dict | None = None) -> dict:
    verdict = {"outcome": outcome, "estimate": estimate, "interval": interval, "threshold": [None, 0.3], "n": 64,
               "method": "newcombe" if interval else "exact", "alpha": 0.001, "seed": 0, "label": label, "details": {},
               "measure": measure}
    return {"test": f"suites/test_x.py::{test}", "number": 1, "check": "mode_share", "model": model, "prompt": "p",
            "verdict": verdict, "baseline_value": baseline_value}


RECORDS = [
    _record("test_answers_do_not_all_open_the_same_way[story]", "toy-collapsed",
            "commonest-opening share minus the baseline's ('little cat named')", 0.922, [0.687, 0.969], "FAIL",
            "Δ opening share", {"value": 0.031, "unit": "share"}),
    _record("test_continuation_entropy_not_far_below_baseline[advice]", "toy-collapsed",
            "entropy minus the baseline's of 8-token continuations (nats, T=1)", -0.922, [-4.407, 2.564], "PASS",
            "Δ 8-token entropy (nats)"),
    _record("test_random_choice[baseline-number-1-100-interpreter]", "toy-base",
            "the model rarely answers in this framing: in-set mass", 0.012, None, "INCONCLUSIVE", "in-set mass"),
]


@pytest.mark.parametrize("width", [80, 100, 120])
def test_narrow_terminals_put_each_test_id_above_its_checks(width):
    lines = report.fitted_table(RECORDS, width)
    assert max(map(len, lines)) <= width
    assert lines[2:] == [
        "test_answers_do_not_all_open_the_same_way[story]  (toy-collapsed)", lines[3],
        "test_continuation_entropy_not_far_below_baseline[advice]  (toy-collapsed)", lines[5],
        "test_random_choice[baseline-number-1-100-interpreter]  (toy-base)", lines[7]]
    assert lines[3].split()[:4] == ["Δ", "opening", "share", "0.922"] and lines[3].endswith("FAIL")
    assert lines[5].split()[:5] == ["Δ", "8-token", "entropy", "(nats)", "-0.922"]
    assert [cell for cell in lines[7].split() if cell != "-"] == ["in-set", "mass", "0.012", "<=", "0.300", "INCONCLUSIVE"]
    assert ("0.031 share" in lines[3]) == (width >= 100)  # the baseline's side goes first (-v has it)


def test_a_wide_terminal_gets_one_row_per_verdict():
    lines = report.fitted_table(RECORDS, 200)
    assert lines[0].split() == ["test", "model", "measure", "value", "[interval]", "baseline", "limit", "verdict"]
    assert lines[2].split()[:3] == ["test_answers_do_not_all_open_the_same_way[story]", "toy-collapsed", "Δ"]
    assert "[0.687, 0.969]" in lines[2] and "0.031 share" in lines[2] and lines[2].endswith("FAIL")
    assert len(lines) == 2 + len(RECORDS)


def test_what_still_does_not_fit_is_shortened_not_wrapped():
    record = _record("test_" + "very_" * 30 + "long[param]", "m", "a measure whose label no short name matches, long", 0.5, None,
                     "PASS")
    lines = report.fitted_table([record], 60)
    assert max(map(len, lines)) <= 60
    assert lines[2].startswith("test_very_") and lines[2].endswith("long[param]") and "…" in lines[2]
    assert "…" in lines[3] and lines[3].endswith("PASS")
    with pytest.raises(ValueError, match="width .* at least 20; got 10"):
        report.fitted_table([record], 10)


def says_seven(prompt, n, temperature, seed):
    return [" 7"] * n


def says_a_number(prompt, n, temperature, seed):
    return [f" {(seed + i) % 10 + 1}" for i in range(n)]


def _records() -> list[dict]:
    """Verdict records of sampled checks with a baseline, made in a session of their own."""
    from dataclasses import asdict

    from pytest_worldprior import Inconclusive, assert_mode_share_within, assert_uniform_choice, session
    from pytest_worldprior.backends.callable import CallableBackend

    seven, spread = CallableBackend(says_seven, name="seven"), CallableBackend(says_a_number, name="spread")
    numbers = [str(i) for i in range(1, 11)]
    with session.running(session.WorldpriorSession()) as run:
        for check in (lambda: assert_mode_share_within(seven, "Pick:", baseline=spread, max_top_share_increase=0.3, n=64),
                      lambda: assert_uniform_choice(spread, "Pick:", numbers, max_top_share=0.5, n=64)):
            try:
                check()
            except (AssertionError, Inconclusive):
                pass
        return [dict(asdict(record), number=i) for i, record in enumerate(run.recorder.records, 1)]


def test_a_reworded_label_changes_only_the_label():
    # The reports read typed fields (the verdict's measure, the record's baseline_value), never the label:
    # rewording an assertion's label changes no number in the JSON report and no column of the tables but its own.
    from pytest_worldprior.report import json_report

    records = _records()
    reworded = [dict(r, verdict=dict(r["verdict"], label=f"reworded {i}")) for i, r in enumerate(records)]
    settings = {"model": "m", "baseline": "b", "seed": 0, "device": "cpu", "dtype": "float32"}

    def without_labels(document):
        for verdict in document["verdicts"]:
            verdict["verdict"].pop("label")
        return document

    assert without_labels(json_report.document(records, {}, settings)) == without_labels(json_report.document(reworded, {}, settings))
    assert report.fitted_table(records, 120) == report.fitted_table(reworded, 120)
    assert "Δ opening share" in "\n".join(report.fitted_table(records, 120))
    assert "0.109 share" in report.fitted_table(records, 120)[2]  # the baseline's side, from baseline_value
    full, full_reworded = report.table(records).splitlines(), report.table(reworded).splitlines()
    label_column = full[0].index("measure")
    assert [line[:label_column] for line in full] == [line[:label_column] for line in full_reworded]
    assert [line.split()[-4:] for line in full[2:]] == [line.split()[-4:] for line in full_reworded[2:]]
    # The lineage table reads the recorded quantities, so it too is the same, and has the rows.
    from pytest_worldprior.report import lineage

    checkpoints = ["callable:seven", "callable:spread"]
    rows = lineage.rows(records, checkpoints)
    assert rows == lineage.rows(reworded, checkpoints)
    assert {row["measure"] for row in rows} >= {"commonest-opening share", "top-answer share", "in-set mass"}
