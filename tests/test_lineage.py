"""--worldprior-lineage: its bad input (usage errors that say the fix), and the lineage table's rows and
directions built from verdict records (the suite run on the toy lineage is in tests/test_suite.py)."""

import pytest

from pytest_worldprior.checks import Quantity
from pytest_worldprior.report import lineage

USES_MODEL = "def test_model(worldprior_model):\n    pass\n"


@pytest.mark.parametrize("value, message", [
    ("toy-base", "takes two or more model references separated by commas"),
    ("toy-base,", "takes two or more model references separated by commas"),
    ("toy-base,toy-base", "names toy-base more than once"),
    ("toy-base,stored", "'stored' stands in for a baseline only"),
    ("toy-base,smollm3", "Unknown model 'smollm3'"),
])
def test_bad_lineage_is_a_usage_error(pytester, value, message):
    pytester.makepyfile(USES_MODEL)
    result = pytester.runpytest("--worldprior-lineage", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


@pytest.mark.parametrize("option", ["--worldprior-model", "--worldprior-baseline"])
def test_lineage_with_a_model_option_is_refused_not_ignored(pytester, option):
    pytester.makepyfile(USES_MODEL)
    result = pytester.runpytest("--worldprior-lineage", "toy-base,toy-collapsed", option, "toy-base")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    message = f"--worldprior-lineage sets the models itself (each checkpoint against the first); drop {option}"
    assert message in result.stderr.str()


def test_each_checkpoint_runs_as_the_model_against_the_first(pytester):
    pytester.makepyfile("""
        def test_pair(worldprior_model, worldprior_baseline):
            print("PAIR", worldprior_model.info().reference, worldprior_baseline.info().reference)
    """)
    result = pytester.runpytest("--worldprior-lineage", "toy-base,toy-collapsed", "-s", "-v")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*::test_pair?toy-base? PAIR toy-base toy-base", "PASSED",
                                 "*::test_pair?toy-collapsed? PAIR toy-collapsed toy-base", "PASSED"])


ROW = {"entropy": "next-token entropy (nats)", "uniform_choice": "top-answer share", "attractor": "snap-back share"}


def record(test, model, check, estimate, interval=None, *more):
    """A verdict record whose quantities are the kind's first row (estimate, interval) and `more`, as
    Quantity values or (name, value, interval) triples."""
    quantities = [Quantity(ROW[check], estimate, interval)] + [q if isinstance(q, Quantity) else Quantity(*q) for q in more]
    return {"test": test, "number": 1, "check": check, "model": model, "prompt": "p", "extra": {},
            "verdict": {"estimate": estimate, "interval": interval, "details": {}, "outcome": "PASS"},
            "quantities": [q.as_dict() for q in quantities]}


def test_rows_put_each_checkpoints_own_value_side_by_side_with_directions():
    checkpoints = ["base", "base-sft", "base-dpo"]
    records = [record(f"suites/t.py::test_entropy[{c}-bugs]", c, "entropy", e) for c, e in
               (("base", 4.0), ("base-sft", 2.0), ("base-dpo", 2.001))]
    records.append(record("suites/t.py::test_other[other-bugs]", "other", "entropy", 9.0))  # not a checkpoint
    (row,) = lineage.rows(records, checkpoints)
    assert (row["phenomenon"], row["measure"], row["case"]) == ("Mode collapse", "next-token entropy (nats)", "bugs")
    assert [v["estimate"] for v in row["values"]] == [4.0, 2.0, 2.001]
    assert [c["direction"] for c in row["changes"]] == ["down", "same"]
    assert "↓ =" in lineage.table(lineage.rows(records, checkpoints), checkpoints)


@pytest.mark.parametrize("a, b, expected", [
    ((0.2, (0.1, 0.3)), (0.5, (0.4, 0.6)), "up"),
    ((0.5, (0.4, 0.6)), (0.2, (0.1, 0.3)), "down"),
    ((0.2, (0.1, 0.3)), (0.25, (0.2, 0.35)), "unresolved"),  # the intervals overlap: the sample cannot tell
    ((1.0, None), (1.004, None), "same"),
    ((1.0, None), (None, None), None),
    ((0.2, (0.1, None)), (0.5, (0.4, 0.6)), "unresolved"),  # an unbounded end decides nothing
    ((0.00057, (0.00057, 0.00057)), (0.00095, (0.00095, 0.00095)), "same"),  # zero-width, below what is shown
])
def test_direction(a, b, expected):
    as_value = lambda pair: {"estimate": pair[0], "interval": pair[1]}  # noqa: E731
    assert lineage.direction(as_value(a), as_value(b)) == expected


def test_a_mass_that_falls_fivefold_is_down_however_small_and_shows_its_digits():
    checkpoints = ["base", "tuned"]
    records = [record(f"s.py::test_q[{c}-yes-no]", c, "uniform_choice", 0.5, None, ("in-set mass", m, None))
               for c, m in (("base", 0.0014), ("tuned", 0.00029))]
    mass = next(r for r in lineage.rows(records, checkpoints) if r["measure"] == "in-set mass")
    assert mass["changes"][0]["direction"] == "down"
    assert lineage.direction({"estimate": 0.5, "interval": None}, {"estimate": 0.501, "interval": None}, ratio=True) == "same"
    line = next(line for line in lineage.table([mass], checkpoints).splitlines() if line.startswith("in-set mass"))
    assert "0.0014" in line and "0.00029" in line and "↓" in line


def test_a_checkpoint_that_was_not_measured_shows_a_dash_and_no_arrow():
    checkpoints = ["base", "chat"]
    records = [record("s.py::test_choice[base-coin-chat]", "chat", "uniform_choice", 0.9, None, ("in-set mass", 0.8, None))]
    rows = lineage.rows(records, checkpoints)
    assert [r["measure"] for r in rows] == ["top-answer share", "in-set mass"]
    assert rows[1]["values"][1]["estimate"] == pytest.approx(0.8)
    assert rows[0]["values"][0] == {"checkpoint": "base", "estimate": None, "interval": None}
    assert rows[0]["changes"][0]["direction"] is None


def test_attractor_rows_pool_the_injections_with_intervals():
    """The attractor check records its lineage rows: the snap-back share with its Wilson interval, the mean
    influence total with bounds from the per-injection intervals; the lineage reads them as recorded."""
    from pytest_worldprior.assertions.attractor import _quantities

    side = {"n": 64, "snap_back": 0.25, "snap_back_count": 16, "per_injection": [
        {"influence_total": 4.0, "influence_total_interval": [3.0, 5.0]},
        {"influence_total": 8.0, "influence_total_interval": [6.0, 10.0]}]}
    rec = record("s.py::test_toast[base]", "base", "attractor", None)
    rec["quantities"] = [q.as_dict() for q in _quantities(side, 0.001)]
    snap, influence = lineage.measures(rec)
    assert snap[0] == "snap-back share" and snap[1] == 0.25
    from scipy.stats import binomtest  # Wilson = binomtest's "wilson" interval
    expected = binomtest(16, 64).proportion_ci(confidence_level=0.999, method="wilson")
    assert snap[2] == pytest.approx([expected.low, expected.high])
    assert influence == ("influence, mean total (nats)", 6.0, [4.5, 7.5])


def test_lineage_chart_takes_an_interval_one_rounding_step_off_its_estimate():
    """A zero-width interval that sits 1e-16 off its estimate (an average of bounds) must still draw."""
    from pytest_worldprior.report import html_charts

    estimate = 0.5339624544240162
    influence = ("influence, mean total (nats)", estimate, (0.533962454424016, 0.533962454424016))
    records = [record(f"s.py::test_scene[{c}-debate]", c, "attractor", 0.0, None, influence) for c in ("a", "b")]
    rows = lineage.rows(records, ["a", "b"])
    assert rows[1]["values"][0]["interval"][0] < estimate  # the case this test is about
    [figure] = html_charts.lineage_bars(rows, ["a", "b"])
    assert figure.startswith("<figure class='chart") and "<img alt='Lineage, Attractor states' src='data:image/svg+xml;base64," in figure


def test_checkpoints_given_as_paths_match_the_records_that_name_them_resolved(tmp_path, monkeypatch):
    """The loader names a directory checkpoint by its resolved path; the table keeps the name as given."""
    for name in ("base", "tuned"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path)
    records = [record(f"s.py::test_entropy[./{c}-bugs]", str(tmp_path / c), "entropy", e) for c, e in (("base", 3.0), ("tuned", 1.0))]
    (row,) = lineage.rows(records, ["./base", "./tuned"])
    assert [(v["checkpoint"], v["estimate"]) for v in row["values"]] == [("./base", 3.0), ("./tuned", 1.0)]
    assert row["case"] == "bugs"


def test_lineage_with_update_baselines_is_refused(pytester):
    pytester.makepyfile(USES_MODEL)
    result = pytester.runpytest("--worldprior-lineage", "toy-base,toy-collapsed", "--worldprior-update-baselines")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--worldprior-update-baselines records the stored baselines of one" in result.stderr.str()


def test_the_json_report_names_the_baseline_seed(pytester, tmp_path):
    import json

    pytester.makepyfile("""
        from pytest_worldprior import assert_mode_share_within

        def test_self(worldprior_model, worldprior_baseline, worldprior_seed, worldprior_baseline_seed):
            assert_mode_share_within(worldprior_model, "Once upon a time", baseline=worldprior_baseline,
                                     max_top_share_increase=0.5, n=16, max_new_tokens=4, seed=worldprior_seed,
                                     baseline_seed=worldprior_baseline_seed)
    """)
    report = tmp_path / "report.json"
    result = pytester.runpytest("--worldprior-model", "toy-base", "--worldprior-baseline", "toy-base",
                                "--worldprior-baseline-seed", "3", "--worldprior-report", str(report))
    assert result.ret == 0
    import jsonschema

    from pytest_worldprior.report.json_report import SCHEMA_PATH

    document = json.loads(report.read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["settings"]["baseline_seed"] == 3
    assert "seed 0 (baseline's side 3)" in result.stdout.str()


def test_the_fields_measures_appear_as_rows_distinct_at_10_chi_square_and_gamma_beside_the_matching_temperature():
    """distinct@10 and the chi-square from uniform from a closed set's probabilities, distinct@10 from a
    mode-share check's details, gamma and 1/gamma beside the matching temperature (issue 16): measured by
    the assertions' own helpers, laid out by the lineage in the order the check kinds declare."""
    import numpy as np

    from pytest_worldprior.assertions.choices import _closed_set_quantities
    from pytest_worldprior.assertions.temperature import _quantities as temperature_rows
    from pytest_worldprior.measures import ChoiceDistribution

    def as_record(test, model, check, quantities):
        rec = record(test, model, "entropy", None)
        return rec | {"check": check, "quantities": [q.as_dict() for q in quantities]}

    checkpoints = ["base", "tuned"]
    records = []
    for c, p in (("base", [0.5, 0.5]), ("tuned", [1.0, 0.0])):
        dist = ChoiceDistribution(("a", "b"), np.array(p), 0.9 * np.array(p), 0.1, " ")
        records.append(as_record(f"s.py::test_choice[{c}-coin]", c, "uniform_choice", _closed_set_quantities(dist)))
    for c, t, g in (("base", 1.0, 1.0), ("tuned", 2.1, 2.0)):
        details = {"matching_temperature": t, "sharpening_exponent": g, "sharpening_temperature": 1 / g,
                   "sharpening_interval": [g - 0.1, g + 0.1]}
        records.append(as_record(f"s.py::test_temperature[{c}-bugs]", c, "temperature", temperature_rows(0.5, details)))
    records += [as_record(f"s.py::test_opening[{c}-bugs]", c, "mode_share",
                          [Quantity("commonest-opening share", 0.1), Quantity("distinct@10 openings", d, (d - 0.5, d + 0.5))])
                for c, d in (("base", 9.0), ("tuned", 2.0))]
    rows = {(r["measure"], r["check"]): r for r in lineage.rows(records, checkpoints)}
    estimates = lambda measure, check: [v["estimate"] for v in rows[(measure, check)]["values"]]
    assert estimates("distinct@10 answers", "uniform_choice") == [pytest.approx(2 * (1 - 0.5 ** 10)), 1.0]
    assert estimates("chi-square from uniform", "uniform_choice") == [0.0, 1.0]
    assert estimates("in-set mass", "uniform_choice") == [pytest.approx(0.9), pytest.approx(0.9)]
    assert estimates("distinct@10 openings", "mode_share") == [9.0, 2.0]
    assert rows[("distinct@10 openings", "mode_share")]["changes"][0]["direction"] == "down"
    assert estimates("sharpening exponent γ", "temperature") == [1.0, 2.0]
    assert estimates("implied temperature 1/γ", "temperature") == [1.0, 0.5]
    assert rows[("implied temperature 1/γ", "temperature")]["values"][1]["interval"] == [pytest.approx(1 / 2.1), pytest.approx(1 / 1.9)]
    text = lineage.table(lineage.rows(records, checkpoints), checkpoints)
    lines = text.splitlines()
    matching = next(i for i, line in enumerate(lines) if line.startswith("matching temperature"))
    assert lines[matching + 1].startswith("sharpening exponent γ") and lines[matching + 2].startswith("implied temperature 1/γ")
    assert "chi-square from uniform" in text and "distinct@10 answers" in text and "distinct@10 openings" in text
    # In its own block each comes in the order its kind declares, whichever block the tests ran first.
    assert text.index("top-answer share") < text.index("distinct@10 answers") < text.index("chi-square from uniform")


def test_a_quantity_the_kind_does_not_declare_is_refused():
    from pytest_worldprior.checks import check_quantities

    with pytest.raises(ValueError, match="not a lineage row of the check kind 'entropy'"):
        check_quantities("entropy", [Quantity("entropy, reworded", 1.0)])
    assert check_quantities("my_own_check", [Quantity("anything", 1.0)]) == [{"name": "anything", "value": 1.0, "interval": None}]


def test_the_implied_temperature_is_open_above_when_gammas_interval_reaches_zero():
    from pytest_worldprior.assertions.temperature import _quantities as temperature_rows

    details = {"matching_temperature": 2.1, "sharpening_exponent": 0.5, "sharpening_temperature": 2.0,
               "sharpening_interval": [-1.0, 2.0]}
    implied = [q for q in temperature_rows(0.5, details) if q.name == "implied temperature 1/γ"]
    assert implied == [Quantity("implied temperature 1/γ", 2.0, (0.5, None))]
