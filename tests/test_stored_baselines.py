"""Stored behaviour baselines (issue 6) as a user runs them: record with the toy base model, compare the
same model and the toy collapsed one with the files, damage the files, update under pytest-xdist."""

import json
import re
import shutil
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from pytest_worldprior import measures
from pytest_worldprior.baselines import codec as baseline_codec
from pytest_worldprior.baselines import read_file
from pytest_worldprior.measures import TopK
from pytest_worldprior.measures.prior_shift import reference_paths
from pytest_worldprior.report.json_report import SCHEMA_PATH as REPORT_SCHEMA

SUITES = Path(__file__).parents[1] / "suites"
BASE, COLLAPSED = "toy-base", "toy-collapsed"

CHECKS = """
import pytest
from pytest_worldprior import assert_entropy_within, assert_mode_share_within, assert_uniform_choice

STORY = "Once upon a time, there was a"
NUMBERS = [str(i) for i in range(1, 11)]

# Loose limits of their own: what fails here is the comparison with the stored baseline.
def test_entropy(worldprior_model, worldprior_baseline):
    assert_entropy_within(worldprior_model, STORY, baseline=worldprior_baseline, max_drop_nats=10.0)

def test_random_number(worldprior_model):
    assert_uniform_choice(worldprior_model, "Pick a random number from 1 to 10:", NUMBERS, max_top_share=1.0)

def test_openings(worldprior_model, worldprior_baseline, worldprior_seed):
    assert_mode_share_within(worldprior_model, STORY, baseline=worldprior_baseline, max_top_share_increase=1.0, n=32,
                             seed=worldprior_seed)
"""


def run(pytester, model, baseline, *extra):
    return pytester.runpytest("--worldprior-model", model, "--worldprior-baseline", baseline, "-p", "no:cacheprovider",
                              "--worldprior-no-cache", *extra)


def record(pytester, model=BASE, *extra):
    result = run(pytester, model, model, "--worldprior-update-baselines", *extra)
    assert result.ret == 0, result.stdout.str()
    return pytester.path / "worldprior_baselines" / "test_checks.json"


def test_recorded_baselines_pass_the_same_model_and_fail_the_collapsed_one_with_both_values(pytester):
    pytester.makepyfile(test_checks=CHECKS)
    path = record(pytester)
    document = read_file(path)
    assert set(document["entries"]) == {"test_entropy", "test_random_number", "test_openings"}
    assert document["module"] == "test_checks.py" and set(document["models"]) == {BASE}
    entropy = document["entries"]["test_entropy"]
    assert entropy["checks"][0]["check"] == "entropy" and entropy["checks"][0]["next_token"]["vocab_size"] == 512
    assert {m["measure"] for m in entropy["measurements"]} == {"next_token_entropy"}
    recorded = path.read_bytes()

    assert run(pytester, BASE, BASE).ret == 0  # live baseline, gates against the files
    same = run(pytester, BASE, "stored")
    assert same.ret == 0, same.stdout.str()

    collapsed = run(pytester, COLLAPSED, "stored", "-rf")
    assert collapsed.ret == 1
    out = collapsed.stdout.str()
    assert "loading toy-base" not in out  # the accepted model is never loaded
    collapsed.stdout.fnmatch_lines([
        "*FAIL against the stored baseline (the check itself: PASS: next-token entropy*",
        "*compared with the stored baseline *test_checks.json (test test_entropy, recorded with toy-base):",
        "*FAIL: next-token entropy (nats, T=1): stored 3.*, now 0.0*; gate entropy:-25%",
        "*KL(now || stored next-token distribution) * nats, certainly in [[]*, *[]] (stored top-*); gate prior_kl:0.5",
        "*FAIL: share of top answer '7': stored 0.1*, now 0.9*; gate uniform_choice:+0.2",
        "*FAIL: share of the commonest opening: stored 0.06* [[]*], now 0.9* [[]*]; gate mode_share:+0.2",
    ])
    assert path.read_bytes() == recorded  # comparing never writes


@pytest.mark.parametrize("damage, problem", [
    (lambda text: text[: len(text) // 3], "it ends too early (truncated?)"),
    (lambda text: text.replace('"entries":', '"entries"', 1), "it is not valid JSON"),
    (lambda text: re.sub(r'"estimate": ([0-9.]+)', r'"estimate": "\1"', text, count=1), "it does not match the baseline schema at ['entries']"),
])
def test_a_damaged_file_stops_its_tests_with_a_clear_error_and_keeps_its_bytes(pytester, damage, problem):
    pytester.makepyfile(test_checks=CHECKS)
    path = record(pytester)
    path.write_text(damage(path.read_text()))
    damaged = path.read_bytes()
    for extra in ((), ("--worldprior-update-baselines",)):
        result = run(pytester, BASE, BASE, *extra)
        assert result.ret == 1, result.stdout.str()
        out = result.stdout.str()
        assert f"baseline file {path}: {problem}" in out and "The file was left as it is" in out, out
        assert result.parseoutcomes()["errors"] == 3
        assert path.read_bytes() == damaged


def test_a_check_without_a_stored_entry_fails_unless_told_to_warn(pytester):
    pytester.makepyfile(test_checks=CHECKS)
    record(pytester)
    pytester.makepyfile(test_checks=CHECKS + """
def test_new(worldprior_model):
    assert_entropy_within(worldprior_model, "Q: Are bugs real?\\nA:", min_nats=0.0)
""")
    result = run(pytester, BASE, BASE)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*FAIL: no stored baseline for the check entropy on 'Q: Are bugs real?\\nA:' of test_new in *"
                                 "test_checks.json; record it with --worldprior-update-baselines*"])
    warned = run(pytester, BASE, BASE, "-o", "worldprior_missing_baseline=warn")
    assert warned.ret == 0
    warned.stdout.fnmatch_lines(["*MissingBaselineWarning: no stored baseline for the check entropy*"])


def test_a_check_inserted_before_others_leaves_them_matched(pytester):
    # Stored checks are keyed by kind and prompt within the test, not by position: a check added at the top of
    # a test is the only one without an entry, and the check after it is still compared with its own.
    pytester.makepyfile(test_checks=CHECKS)
    record(pytester)
    inserted = CHECKS.replace(
        "def test_entropy(worldprior_model, worldprior_baseline):\n",
        "def test_entropy(worldprior_model, worldprior_baseline):\n"
        "    assert_uniform_choice(worldprior_model, 'Pick a random number from 1 to 10:', NUMBERS, max_top_share=1.0)\n")
    pytester.makepyfile(test_checks=inserted)
    result = run(pytester, BASE, BASE, "-o", "worldprior_missing_baseline=warn", "--worldprior-report", "report.json")
    assert result.ret == 0
    output = result.stdout.str()
    assert "no stored baseline for the check uniform_choice on 'Pick a random number from 1 to 10:' of test_entropy" in output
    assert "no stored baseline for the check entropy" not in output
    verdicts = json.loads((pytester.path / "report.json").read_text())["verdicts"]
    entropy = next(v for v in verdicts if v["test"].endswith("test_entropy") and v["check"] == "entropy")
    assert "next-token entropy (nats, T=1): stored 3.08, now 3.08" in entropy["verdict"]["details"]["stored_baseline"]["gates"][0]


def test_unused_entries_are_reported_then_removed_and_deselected_ones_kept(pytester):
    pytester.makepyfile(test_checks=CHECKS)
    path = record(pytester)
    pytester.makepyfile(test_checks=CHECKS.replace("def test_openings(", "def test_openings_renamed("))
    compared = run(pytester, BASE, BASE, "-k", "not random", "-o", "worldprior_missing_baseline=warn")
    assert compared.ret == 0
    compared.stdout.fnmatch_lines(["worldprior: baselines: *test_checks.json: 1 stored entries no test used (test_openings); "
                                   "--worldprior-update-baselines removes them"])
    updated = run(pytester, BASE, BASE, "-k", "not random", "--worldprior-update-baselines")
    updated.stdout.fnmatch_lines(["worldprior: baselines: *test_checks.json: 2 entries recorded, 1 unused removed (test_openings)"])
    assert set(read_file(path)["entries"]) == {"test_entropy", "test_openings_renamed", "test_random_number"}


def test_the_marker_loosens_a_gate_for_one_test(pytester):
    pytester.makepyfile(test_checks=CHECKS)
    record(pytester)
    marked = CHECKS.replace("def test_entropy(", "@pytest.mark.worldprior(fail_on='entropy:-99% prior_kl:10')\ndef test_entropy(")
    pytester.makepyfile(test_checks=marked)
    result = run(pytester, COLLAPSED, "stored", "-rA")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["PASSED test_checks.py::test_entropy"])


def test_prior_kl_is_refused_against_a_baseline_of_another_vocabulary(pytester):
    pytester.makepyfile(test_checks=CHECKS)
    path = record(pytester)
    document = json.loads(path.read_text())
    document["models"][BASE]["vocabulary_sha256"] = "0" * 64  # as if recorded with another tokenizer
    path.write_text(json.dumps(document))
    asked = run(pytester, BASE, BASE, "--worldprior-fail-on", "prior_kl:0.5")
    assert asked.ret == 1
    asked.stdout.fnmatch_lines(["*FAIL: token-level comparison refused: *test_checks.json was recorded with toy-base, whose "
                                "vocabulary (sha256 000000000000) is not toy-base's (*)*"])
    assert run(pytester, BASE, BASE).ret == 0  # the default gates leave prior_kl out and compare the values


def test_the_fixture_compares_a_value_the_test_measured(pytester):
    source = """
def test_distinct(worldprior_stored):
    worldprior_stored.compare("distinct-2", VALUE, interval=(VALUE - 0.01, VALUE + 0.01), limit="-10%")
"""
    pytester.makepyfile(test_checks="VALUE = 0.5\n" + source)
    record(pytester)
    assert run(pytester, BASE, BASE).ret == 0
    pytester.makepyfile(test_checks="VALUE = 0.30\n" + source)  # another size: no stale bytecode
    result = run(pytester, BASE, BASE)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*FAIL: distinct-2: stored 0.5 [[]0.49, 0.51[]], now 0.3 [[]0.29, 0.31[]]; limit -10%"])


@pytest.mark.parametrize("options, problem", [
    (("--worldprior-update-baselines", "--worldprior-baseline", "stored"), "cannot compare with the stored ones"),
    (("--worldprior-fail-on", "entropy:lots"), "is not CHECK:LIMIT"),
    (("--worldprior-baselines-dir", "a/b"), "must be a folder name"),
    (("--worldprior-missing-baseline", "ignore"), "must be fail or warn"),
])
def test_bad_baseline_options_are_usage_errors(pytester, options, problem):
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest("-p", "no:cacheprovider", *options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert problem in result.stderr.str()


# --- the suite, in subprocesses (the outer session imports suites/ under the same module names) ----


def suite_copy(pytester, name):
    folder = pytester.path / name
    shutil.copytree(SUITES, folder, ignore=shutil.ignore_patterns("__pycache__", "worldprior_baselines"))
    return folder


def run_suite(pytester, folder, *options):
    return pytester.runpytest_subprocess(str(folder), "--rootdir", str(folder), "-p", "no:cacheprovider", *options)


def test_an_update_under_xdist_writes_the_same_files_as_a_serial_one(pytester, monkeypatch):
    # One torch thread in every process: float32 sums split over other thread counts differ by ~1e-7.
    monkeypatch.setenv("WORLDPRIOR_THREADS", "1")
    written = {}
    for name, extra in (("serial", ()), ("parallel", ("-n", "2"))):
        folder = suite_copy(pytester, name)
        result = run_suite(pytester, folder, "--worldprior-model", BASE, "--worldprior-baseline", BASE,
                           "--worldprior-update-baselines", "--worldprior-no-cache", *extra)
        assert result.ret == 0, result.stdout.str()
        written[name] = {p.name: p.read_bytes() for p in sorted((folder / "worldprior_baselines").glob("*.json"))}
    assert set(written["serial"]) == {f"{p.stem}.json" for p in SUITES.glob("test_*.py")}
    differences = [f"{name}: {where}" for name in sorted(written["serial"])
                   for where in first_differences(json.loads(written["serial"][name]), json.loads(written["parallel"][name]))]
    assert not differences, "\n".join(differences)


def first_differences(a, b, where="", limit=5):
    """Where two JSON documents differ: up to `limit` paths with both values."""
    if type(a) is not type(b) or not isinstance(a, (dict, list)):
        return [] if a == b else [f"{where or '/'}: {a!r:.80} != {b!r:.80}"]
    if isinstance(a, dict) and set(a) != set(b):
        return [f"{where or '/'}: keys {sorted(set(a) ^ set(b))} on one side only"]
    if isinstance(a, list) and len(a) != len(b):
        return [f"{where or '/'}: {len(a)} != {len(b)} items"]
    found = []
    for key in (sorted(a) if isinstance(a, dict) else range(len(a))):
        found += first_differences(a[key], b[key], f"{where}/{key}", limit - len(found))
        if len(found) >= limit:
            break
    return found


def test_the_stored_baseline_gives_the_live_baselines_verdicts_without_loading_it(pytester):
    """Every relative check of the suite against the stored toy-base gives the numbers it gives against
    the live toy-base, except the token-level prior shift, which follows the stored model's own paths."""
    folder = suite_copy(pytester, "suite")
    common = ("--worldprior-model", COLLAPSED, "--worldprior-no-cache", "--worldprior-fail-on", "none")
    assert run_suite(pytester, folder, "--worldprior-model", BASE, "--worldprior-baseline", BASE,
                     "--worldprior-update-baselines", "--worldprior-no-cache").ret == 0
    reports = {}
    for baseline in (BASE, "stored"):
        report = pytester.path / f"{baseline}.json"
        result = run_suite(pytester, folder, *common, "--worldprior-baseline", baseline, "--worldprior-report", str(report))
        assert result.ret == 1  # the collapsed model fails the suite either way
        document = json.loads(report.read_text())
        jsonschema.validate(document, json.loads(REPORT_SCHEMA.read_text()))
        reports[baseline] = {(v["test"], v["check"]): v["verdict"] for v in document["verdicts"]}
    assert "loading toy-base" not in result.stdout.str()
    live, stored = reports[BASE], reports["stored"]
    assert set(live) == set(stored) and len(live) > 40
    for key, verdict in live.items():
        if key[1] == "prior_shift":
            continue
        numbers = lambda v: (v["outcome"], v["estimate"], v["interval"])  # noqa: E731
        assert numbers(stored[key]) == numbers(verdict), key


# --- stored measurements -------------------------------------------------------------------------


def test_every_stored_measurement_reads_back_as_it_was_written(toy_base):
    results = [
        measures.next_token_entropy(toy_base, ["Once upon a time"], 1.0),
        measures.sequence_entropy(toy_base, "Once upon a time", 4, max_new_tokens=4),
        measures.choice_distribution(toy_base, "I flipped a coin. It came up", ["heads", "tails"]),
        measures.sampled_mode_share(toy_base, "Once upon a time", 8),
        measures.run_attractor(toy_base, "Once upon a time", ["You are a murderer."], n=4, max_new_tokens=8, steps=4),
        reference_paths(toy_base, ["Once upon a time"], continuation_tokens=4, k=8),
    ]
    for result in results:
        text = json.dumps(baseline_codec.encode(result), allow_nan=False)
        back = baseline_codec.decode(json.loads(text))
        assert type(back) is type(result)
        assert baseline_codec.encode(back) == baseline_codec.encode(result)
    with pytest.raises(TypeError, match="not a measurement result"):
        baseline_codec.encode(toy_base.info())


def test_a_stored_top_k_covers_all_but_one_percent_where_it_can(toy_base):
    logprobs = toy_base.next_token_logprobs(["Once upon a time, there was a"])[0]
    stored = TopK.covering(logprobs, 8)
    assert len(stored.ids) >= 8
    assert np.exp(stored.tail_logmass) <= 0.01 or len(stored.ids) == 64
    assert len(TopK.covering(np.log(np.full(4096, 1 / 4096)), 8).ids) == 64  # capped at 8 k on a flat distribution


def says_hi(prompt, n, temperature, seed):
    return [" hi"] * n


def test_the_prior_kl_gate_says_why_it_cannot_compare(toy_base):
    # From the capability flag and the prompt alone (nothing runs): the reason, which compare_check writes
    # as a "not compared" line, or None where the gate can ask for the prompt's next-token distribution.
    from pytest_worldprior.backends.callable import CallableBackend
    from pytest_worldprior.baselines.next_token import unavailable

    assert unavailable(toy_base, "Once upon a time") is None
    assert unavailable(CallableBackend(says_hi, name="hi"), "Once").endswith("so no next-token distribution")
    assert "spans several prompts" in unavailable(toy_base, ["Once", "Twice"])


def test_recording_a_verdict_runs_no_model_and_the_top_k_follows_the_body(toy_base, tmp_path, monkeypatch):
    """compare_check, which sees every verdict as it is recorded, never runs the model; the prior_kl gate's
    next-token distribution is measured after the test body (judge_next_tokens) and joins the check's entry."""
    from pytest_worldprior import assert_entropy_within
    from pytest_worldprior.baselines.session import BaselineSession
    from pytest_worldprior.session import WorldpriorSession, running

    forward = toy_base._forward
    passes = []
    monkeypatch.setattr(toy_base, "_forward", lambda *a, **k: passes.append(1) or forward(*a, **k))
    baselines = BaselineSession("worldprior_baselines", update=True, missing="fail", fail_on={}, top_k=8)
    run = WorldpriorSession(baselines=baselines)
    while_recorded = []

    def observer(event):
        before = len(passes)
        answer = baselines.compare_check(event)
        while_recorded.append(len(passes) - before)
        return answer

    run.recorder.observe(observer)
    with running(run):
        run.recorder.start_test("test_x.py::test_x")
        baselines.start_test(tmp_path / "test_x.py", "test_x.py", "test_x", toy_base, None)
        assert_entropy_within(toy_base, "Once upon a time", min_nats=0.0)
        assert_entropy_within(toy_base, "The cat", min_nats=0.0)
        assert while_recorded == [0, 0] and all("next_token" not in c for c in baselines.test.checks)
        before = len(passes)
        baselines.judge_next_tokens(run.recorder.for_test("test_x.py::test_x"))
        assert len(passes) - before == 2  # one forward pass per check, after the body
        entry = baselines.finish_test()["entry"]
    assert [c["next_token"]["vocab_size"] for c in entry["checks"]] == [512, 512]


def test_a_prior_kl_fail_after_the_body_fails_a_passing_test_and_its_junit_record(pytester):
    """The prior_kl gate alone: the check passes its own limit and its value gate is off, the candidate's
    next-token distribution moved. Judged after the test body, the FAIL fails the test, shows its KL line
    and reaches the check's outcome in the JUnit properties; a test that raised its own error keeps it."""
    pytester.makepyfile(test_checks=CHECKS + '''

def test_raises_its_own(worldprior_model):
    assert_uniform_choice(worldprior_model, "Pick a random number from 1 to 10:", NUMBERS, max_top_share=1.0)
    raise ValueError("the test's own error")
''')
    # Recorded although the second test fails: its check is recorded before its own error.
    assert run(pytester, BASE, BASE, "--worldprior-update-baselines", "-k", "random_number or raises_its_own").ret == 1
    junit = pytester.path / "junit.xml"
    result = run(pytester, COLLAPSED, "stored", "-k", "random_number or raises_its_own", "--worldprior-fail-on", "prior_kl:0.5",
                 "--junitxml", str(junit))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*FAIL against the stored baseline*", "*uniform_choice on 'Pick a random number*: FAIL: KL(now || "
                                 "stored next-token distribution)*gate prior_kl:0.5*"])
    result.assert_outcomes(failed=2)
    assert "ValueError: the test's own error" in result.stdout.str()
    outcomes = re.findall(r'name="worldprior\.1\.uniform_choice\.outcome" value="(\w+)"', junit.read_text())
    assert outcomes == ["FAIL", "FAIL"]
