"""Mode share and sequence entropy (sample-level collapse checks), the Welch interval behind the
sequence-entropy comparison, and the random-choice framing contrast in the report."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from scipy import stats as scipy_stats

from pytest_worldprior import (
    assert_mode_share_within,
    assert_sequence_entropy_within,
    assert_uniform_choice,
    stats,
)
from pytest_worldprior import session
from pytest_worldprior.report import json_report
from pytest_worldprior.report import terminal as report

STORY = "Once upon a time, there was a"


def test_mode_share_catches_the_collapsed_model_against_its_base(toy_base, toy_collapsed):
    with pytest.raises(AssertionError) as failure:
        assert_mode_share_within(toy_collapsed, STORY, baseline=toy_base, max_top_share_increase=0.3)
    message = str(failure.value)
    assert "commonest-opening share minus the baseline's ('little cat named')" in message and "newcombe" in message
    assert "baseline=baseline, max_top_share_increase=0.3" in message  # the reproduce line


def test_mode_share_of_a_model_against_itself_passes(toy_base):
    verdict = assert_mode_share_within(toy_base, STORY, baseline=toy_base, max_top_share_increase=0.3)
    assert verdict.estimate == 0.0 and verdict.interval[1] < 0.3
    assert verdict.details["baseline"]["classes"] == verdict.details["classes"] > 50


def test_a_baseline_seed_draws_the_baselines_sample_independently(toy_base):
    """Against itself with another seed for the baseline's side: two independent samples, which differ, and
    the check still passes (the self-comparison the suite's false-alarm claim rests on)."""
    shared = assert_mode_share_within(toy_base, STORY, baseline=toy_base, max_top_share_increase=0.3)
    independent = assert_mode_share_within(toy_base, STORY, baseline=toy_base, max_top_share_increase=0.3, baseline_seed=1)
    assert shared.estimate == 0.0 and independent.passed
    assert independent.details["baseline"]["mode"] != independent.details["mode"]  # another sample, another commonest
    entropy = assert_sequence_entropy_within(toy_base, STORY, baseline=toy_base, max_drop_nats=4.0, n=16, max_new_tokens=8,
                                             baseline_seed=1)
    assert entropy.passed and entropy.estimate != 0.0


@pytest.mark.parametrize("check", [
    lambda model: assert_mode_share_within(model, STORY, max_top_share=0.9, baseline_seed=1),
    lambda model: assert_sequence_entropy_within(model, STORY, min_nats=0.1, n=8, max_new_tokens=4, baseline_seed=1),
])
def test_a_baseline_seed_without_a_baseline_is_refused_not_ignored(toy_base, check):
    with pytest.raises(ValueError, match="baseline_seed=1 was given without a baseline: it seeds the baseline's samples"):
        check(toy_base)


def test_mode_share_absolute_limit(toy_base, toy_collapsed):
    assert assert_mode_share_within(toy_base, STORY, max_top_share=0.5).passed
    with pytest.raises(AssertionError, match="share of the commonest opening 'little cat named'"):
        assert_mode_share_within(toy_collapsed, STORY, max_top_share=0.5)


@pytest.mark.parametrize("arguments", [{}, {"max_top_share_increase": 0.3}, {"baseline": "base"}, {"max_top_share": 0.5, "max_top_share_increase": 0.1},
                                       {"baseline": "base", "max_top_share_increase": 0.3, "max_top_share": 0.5}])
def test_mode_share_needs_one_clear_limit(toy_base, arguments):
    if arguments.get("baseline") == "base":
        arguments = dict(arguments, baseline=toy_base)
    with pytest.raises(ValueError, match="max_top_share"):
        assert_mode_share_within(toy_base, STORY, **arguments)


def test_sequence_entropy_catches_the_collapsed_model_against_its_base(toy_base, toy_collapsed):
    with pytest.raises(AssertionError) as failure:
        assert_sequence_entropy_within(toy_collapsed, STORY, baseline=toy_base, max_drop_nats=4.0, n=16, max_new_tokens=8)
    assert "entropy minus the baseline's of 8-token continuations" in str(failure.value) and "welch" in str(failure.value)


def test_sequence_entropy_of_a_model_against_itself_passes(toy_base):
    verdict = assert_sequence_entropy_within(toy_base, STORY, baseline=toy_base, max_drop_nats=4.0, n=16, max_new_tokens=8)
    assert verdict.estimate == 0.0 and verdict.interval[0] > -4.0
    assert verdict.details["baseline_entropy"] > 5 and verdict.details["mean_length"] == verdict.details["baseline_mean_length"]


@pytest.mark.parametrize(("arguments", "message"), [
    ({}, "give min_nats, a baseline with max_drop_nats, or all three"),
    ({"max_drop_nats": 1.0}, "a baseline and max_drop_nats go together"),
    ({"baseline": True}, "a baseline and max_drop_nats go together"),
    ({"baseline": True, "min_nats": 1.0}, "a baseline and max_drop_nats go together"),
])
def test_sequence_entropy_needs_one_clear_limit(toy_base, arguments, message):
    if arguments.get("baseline"):
        arguments = dict(arguments, baseline=toy_base)
    with pytest.raises(ValueError, match=message):
        assert_sequence_entropy_within(toy_base, STORY, **arguments)


def test_sequence_entropy_with_min_nats_and_a_baseline_needs_both(toy_base, toy_collapsed):
    """Like assert_entropy_within: both limits must hold; the one that fails decides."""
    settings = dict(n=16, max_new_tokens=8)
    both = assert_sequence_entropy_within(toy_base, STORY, min_nats=1.0, baseline=toy_base, max_drop_nats=4.0, **settings)
    assert both.passed and both.threshold == (1.0, None) and len(both.details["checks"]) == 2
    with pytest.raises(AssertionError, match=r"FAIL: entropy of 8-token continuations .* < min 100"):
        assert_sequence_entropy_within(toy_base, STORY, min_nats=100.0, baseline=toy_base, max_drop_nats=4.0, **settings)
    with pytest.raises(AssertionError, match="FAIL: entropy minus the baseline's"):
        assert_sequence_entropy_within(toy_collapsed, STORY, min_nats=0.0, baseline=toy_base, max_drop_nats=4.0, **settings)


def test_welch_interval_agrees_with_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(5, 2, 16), rng.normal(4, 0.5, 24)
    low, high = stats.welch_difference_interval(a.mean(), a.std(ddof=1) / 4, 16, b.mean(), b.std(ddof=1) / np.sqrt(24), 24, 0.01)
    reference = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.99)
    assert (low, high) == pytest.approx((reference.low, reference.high), rel=1e-9)
    assert stats.welch_difference_interval(1.0, 0.0, 4, 1.0, 0.0, 4) == (0.0, 0.0)


def test_report_sets_framings_side_by_side_and_says_which_is_flatter(toy_base, toy_collapsed):
    session.current().recorder.clear()
    numbers = [str(i) for i in range(1, 11)]
    for model in (toy_base, toy_collapsed):
        for framing, prompt in (("direct", "Pick a random number from 1 to 10:"), ("interpreter", ">>> random.randint(1, 10)\n")):
            try:
                # the toys never saw an interpreter (in-set mass below 0.01): no floor, to compare the framings
                assert_uniform_choice(model, prompt, numbers, max_top_share=0.3, framing=framing, min_in_set_mass=0.0)
            except AssertionError:
                pass
    records = [dict(test="t.py::test", number=i, check=r.check, model=r.model, prompt=r.prompt, verdict=r.verdict)
               for i, r in enumerate(session.current().recorder.records, 1)]
    session.current().recorder.clear()
    contrasts = report.framing_contrasts(records)
    assert [(c["model"], c["question"], sorted(c["framings"])) for c in contrasts] == [
        ("toy-base", "1-10", ["direct", "interpreter"]), ("toy-collapsed", "1-10", ["direct", "interpreter"])]
    collapsed = contrasts[1]["framings"]
    assert collapsed["direct"]["top"] == "7" and collapsed["direct"]["top_probability"] > 0.9
    lines = report.choice_lines(records)
    assert lines[2].startswith("toy-collapsed, 1-10: direct '7' 0.98 (H/Hmax ")
    flatter = collapsed["interpreter"]["normalised_entropy"] > collapsed["direct"]["normalised_entropy"] + report.FLATTER_MARGIN
    assert lines[3].startswith(f"  interpreter framing flatter than direct: {'yes' if flatter else 'no'} (H/Hmax ")
    document = json_report.document(records, {}, {"model": "m", "baseline": "b", "seed": 0, "device": "cpu", "dtype": "float32"})
    assert document["framing_contrasts"][1]["interpreter_flatter_than"] == {"direct": flatter}
    jsonschema.validate(document, json.loads(Path(json_report.SCHEMA_PATH).read_text()))


def test_uniform_choice_against_a_baseline_allows_the_baselines_own_bias(toy_base, toy_collapsed):
    numbers = [str(i) for i in range(1, 11)]
    prompt = "Pick a random number from 1 to 10:"
    # toy-base against itself: the limit rises to its own top share plus the increase, so it passes.
    verdict = assert_uniform_choice(toy_base, prompt, numbers, max_top_share=0.05, baseline=toy_base, max_top_share_increase=0.15)
    assert verdict.threshold[1] == pytest.approx(verdict.estimate + 0.15)
    assert verdict.details["baseline_top_probability"] == pytest.approx(verdict.estimate)
    with pytest.raises(AssertionError) as failure:
        assert_uniform_choice(toy_collapsed, prompt, numbers, max_top_share=0.3, baseline=toy_base, max_top_share_increase=0.15)
    assert "share of top answer '7'" in str(failure.value) and "baseline = load_model('toy-base')" in str(failure.value)
    assert "baseline=baseline, max_top_share_increase=0.15" in str(failure.value)
    with pytest.raises(ValueError, match="give max_top_share_increase"):
        assert_uniform_choice(toy_base, prompt, numbers, baseline=toy_base)
    with pytest.raises(ValueError, match="max_top_share_increase compares with a baseline"):
        assert_uniform_choice(toy_base, prompt, numbers, max_top_share_increase=0.1)


def first_word(text):
    return text.split()[0] if text.split() else ""


def test_mode_share_with_a_custom_key_names_it(toy_collapsed):
    with pytest.raises(AssertionError) as failure:
        assert_mode_share_within(toy_collapsed, STORY, max_top_share=0.5, key=first_word)
    message = str(failure.value)
    assert "share of the commonest answer class 'little'" in message and "key=first_word," in message


def test_welch_interval_needs_two_values_a_side():
    with pytest.raises(ValueError, match="n_a"):
        stats.welch_difference_interval(1.0, 0.1, 1, 1.0, 0.1, 5)
