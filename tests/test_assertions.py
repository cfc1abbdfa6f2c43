"""Public assertions on the toy pair: verdicts, failure messages, both modes, closed-set token boundaries."""

import numpy as np
import pytest

from pytest_worldprior import (
    Inconclusive,
    assert_distribution_close,
    assert_entropy_within,
    assert_prior_shift_within,
    assert_temperature_sensitive,
    assert_uniform_choice,
)
from pytest_worldprior.assertions import set_inconclusive_policy
from pytest_worldprior.measures import choice_distribution, entropy_curve, sampled_next_token_entropy
from pytest_worldprior.measures.closed_set import ends_answer
from pytest_worldprior.measures.prior_shift import TokenizerMismatchError

BUGS = "Q: Are bugs real?\nA:"
NUMBER = "Pick a random number from 1 to 10:"
DIGITS = [str(i) for i in range(1, 11)]


def test_entropy_within_exact_passes_for_base_and_fails_for_collapsed(toy_base, toy_collapsed):
    verdict = assert_entropy_within(toy_base, BUGS, min_nats=1.5)
    assert verdict.passed and verdict.method == "exact" and verdict.estimate > 1.5
    with pytest.raises(AssertionError) as failure:
        assert_entropy_within(toy_collapsed, BUGS, min_nats=1.5)
    text = str(failure.value)
    assert text.startswith("FAIL: next-token entropy (nats, T=1) 0.")
    assert "min 1.5" in text and "toy-collapsed" in text and repr(BUGS) in text and "seed:" in text
    assert "reproduce: from pytest_worldprior import *; model = load_model('toy-collapsed'); assert_entropy_within(" in text
    assert "min_nats=1.5, max_nats=None, baseline=None," in text


@pytest.mark.parametrize("temperature", [0.7, 1.0, 1.5])
def test_exact_entropy_lies_inside_the_sampled_interval(toy_base, temperature):
    exact = entropy_curve(toy_base, NUMBER, [temperature])[0]
    sampled = sampled_next_token_entropy(toy_base, NUMBER, 2000, temperature=temperature, seed=1)
    assert sampled.interval[0] <= exact <= sampled.interval[1], (exact, sampled)
    assert sampled.interval[1] - sampled.interval[0] < 0.5  # an informative interval, not a trivially wide one


def test_sampled_mode_gives_an_interval_and_the_same_decision(toy_base, toy_collapsed):
    passed = assert_entropy_within(toy_base, BUGS, min_nats=1.0, method="sampled", n=512, seed=0)
    assert passed.passed and passed.interval[0] > 1.0 and passed.n <= 512 and passed.method == "sequential-t"
    with pytest.raises(AssertionError, match=r"FAIL: .*\(n=\d+, sequential-t, alpha=0.001, seed=4\)"):
        assert_entropy_within(toy_collapsed, BUGS, min_nats=1.0, method="sampled", n=512, seed=4)


def test_inconclusive_when_the_interval_straddles_the_threshold(toy_base):
    exact = entropy_curve(toy_base, BUGS, [1.0])[0]
    with pytest.raises(Inconclusive, match="INCONCLUSIVE"):
        assert_entropy_within(toy_base, BUGS, min_nats=float(exact), method="sampled", n=32)
    set_inconclusive_policy("warn")
    try:
        with pytest.warns(UserWarning, match="INCONCLUSIVE"):
            verdict = assert_entropy_within(toy_base, BUGS, min_nats=float(exact), method="sampled", n=32)
        assert verdict.inconclusive
    finally:
        set_inconclusive_policy("xfail")


def test_sampled_temperature_gain(toy_base, toy_collapsed):
    story = "Once upon a time, there was a"
    assert assert_temperature_sensitive(toy_base, story, temperatures=(0.7, 1.5), min_gain_nats=0.5, method="sampled", seed=1).passed
    with pytest.raises(AssertionError, match=r"FAIL: entropy gain T=0.7->1.5 \(nats\)"):
        assert_temperature_sensitive(toy_collapsed, story, temperatures=(0.7, 1.5), min_gain_nats=1.25, method="sampled", seed=1)


def test_temperature_gain_alone_misses_the_collapse_that_matching_temperature_catches(toy_base, toy_collapsed):
    # The collapsed model's entropy does grow with temperature...
    gain = assert_temperature_sensitive(toy_collapsed, NUMBER, temperatures=(0.7, 1.5), min_gain_nats=0.5)
    assert gain.passed
    # ...but it needs a temperature well above 1.5 to reach the base model's entropy at T=1.
    with pytest.raises(AssertionError, match=r"(?s)temperature needed to match the baseline's entropy at T=1.*baseline = load_model\('toy-base'\)"):
        assert_temperature_sensitive(toy_collapsed, NUMBER, temperatures=(0.7, 1.5), min_gain_nats=0.5, baseline=toy_base,
                                     max_matching_temperature=1.5)
    itself = assert_temperature_sensitive(toy_base, NUMBER, temperatures=(0.7, 1.5), min_gain_nats=0.5, baseline=toy_base)
    assert itself.details["matching_temperature"] == pytest.approx(1.0, abs=1e-4)


def test_uniform_choice_catches_the_collapsed_random_number(toy_base, toy_collapsed):
    fair = assert_uniform_choice(toy_base, NUMBER, DIGITS)
    assert fair.passed and fair.estimate <= 0.2
    with pytest.raises(AssertionError, match="share of top answer '7' 0.9"):
        assert_uniform_choice(toy_collapsed, NUMBER, DIGITS)
    with pytest.raises(AssertionError, match=r"FAIL: share of top answer '7' .* \(n=\d+, wilson"):
        assert_uniform_choice(toy_collapsed, NUMBER, DIGITS, method="sampled", n=128)


def test_closed_set_probabilities_and_off_set_mass_sum_to_one(toy_base):
    dist = choice_distribution(toy_base, NUMBER, DIGITS)
    assert dist.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert dist.raw.sum() + dist.off_set_mass == pytest.approx(1.0, abs=1e-12)
    assert 0 < dist.off_set_mass < 1 and dist.prefix == " "


def test_an_answer_is_scored_with_its_end_so_1_does_not_count_10(toy_base):
    dist = choice_distribution(toy_base, NUMBER, ["1", "10"])
    context_ids = toy_base.encode(NUMBER)
    one = toy_base.continuation_ids(NUMBER, context_ids, " 1")
    after_one = np.exp(toy_base.next_token_logprobs([context_ids + one])[0])
    texts = toy_base.token_texts()
    ends = np.array([bool(t) and ends_answer(t) for t in texts] + [False] * (after_one.size - len(texts)))
    ends[sorted(toy_base.eos_ids)] = True  # the end rule: tests/test_closed_set_rule.py
    assert not ends[texts.index("0")]  # "1" then "0" is "10"
    expected = np.exp(toy_base.score([NUMBER], [" 1"])[0]) * after_one[ends].sum()
    assert dist.raw[0] == pytest.approx(expected, rel=1e-4)  # batched vs alone
    assert dist.raw[0] < np.exp(toy_base.score([NUMBER], [" 1"])[0])  # P(" 1...") includes " 10", P(complete "1") does not


def test_a_prompt_ending_in_a_space_does_not_make_every_answer_improbable(toy_base):
    with_space = choice_distribution(toy_base, NUMBER + " ", DIGITS)
    without = choice_distribution(toy_base, NUMBER, DIGITS)
    np.testing.assert_allclose(with_space.raw, without.raw, rtol=1e-9)
    assert with_space.prefix == " " and with_space.off_set_mass < 0.5


def test_distribution_close_to_uniform(toy_base, toy_collapsed):
    uniform = [0.1] * 10
    assert assert_distribution_close(toy_base, NUMBER, DIGITS, uniform, max_kl_target_model_nats=0.5).passed
    with pytest.raises(AssertionError, match=r"KL\(target \|\| model\)"):
        assert_distribution_close(toy_collapsed, NUMBER, DIGITS, uniform, max_kl_target_model_nats=0.5)
    with pytest.raises(AssertionError, match="bootstrap"):
        assert_distribution_close(toy_collapsed, NUMBER, DIGITS, uniform, max_kl_target_model_nats=0.5, method="sampled", n=128)


def test_prior_shift(toy_base, toy_collapsed):
    prompts = [BUGS, "Once upon a time, there was a", "My favorite color is"]
    itself = assert_prior_shift_within(toy_base, prompts, baseline=toy_base, max_kl_model_baseline_nats=1e-9)
    assert itself.estimate == pytest.approx(0.0, abs=1e-9) and itself.details["shifted_share"] == 0.0
    with pytest.raises(AssertionError, match=r"mean KL\(model \|\| baseline\)"):
        assert_prior_shift_within(toy_collapsed, prompts, baseline=toy_base, max_kl_model_baseline_nats=0.5)


@pytest.mark.real_model
def test_prior_shift_across_tokenizers_is_a_clear_error(toy_base):
    from pytest_worldprior import load_model

    with pytest.raises(TokenizerMismatchError, match="different tokenizers .* Compare closed-set distributions or samples"):
        assert_prior_shift_within(load_model("smollm2-135m-instruct"), [BUGS], baseline=toy_base)


@pytest.mark.real_model
def test_random_number_on_smollm2_reports_probabilities_that_sum_to_one():
    from pytest_worldprior import load_model

    model = load_model("smollm2-135m-instruct")
    chat = [{"role": "user", "content": "Pick a random number from 1 to 10. Answer with the number only."}]
    verdict = assert_uniform_choice(model, chat, DIGITS, max_top_share=1.0)
    details = verdict.details
    print("top", details["top"], details["top_probability"], "off-set", details["off_set_mass"])
    assert details["top"] in DIGITS and 0 < details["top_probability"] <= 1
    assert all(0 <= p <= 1 for p in details["raw"]) and 0 <= details["off_set_mass"] <= 1
    assert sum(details["raw"]) + details["off_set_mass"] == pytest.approx(1.0, abs=1e-4)
    assert sum(details["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    # A text prompt that ends in a space: the space moves into the answers instead of sinking them.
    spaced = choice_distribution(model, "Here is a random number from 1 to 10: ", DIGITS)
    plain = choice_distribution(model, "Here is a random number from 1 to 10:", DIGITS)
    np.testing.assert_allclose(spaced.raw, plain.raw, rtol=1e-6)
    assert spaced.prefix == " " and spaced.raw.sum() + spaced.off_set_mass == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: assert_entropy_within(m, BUGS), "give min_nats, max_nats or both"),
        (lambda m: assert_entropy_within(m, BUGS, min_nats=1, temperature=0), "temperature must be a finite number above 0"),
        (lambda m: assert_entropy_within(m, BUGS, min_nats=1, method="magic"), "method must be"),
        (lambda m: assert_uniform_choice(m, NUMBER, ["1"]), "at least 2 choices"),
        (lambda m: assert_uniform_choice(m, NUMBER, ["1", "1"]), "choices must be distinct"),
        (lambda m: assert_distribution_close(m, NUMBER, ["1", "2"], [0.7, 0.7]), "target must be 2 non-negative probabilities"),
        (lambda m: assert_temperature_sensitive(m, NUMBER, temperatures=[1.0]), "at least two values"),
    ],
)
def test_bad_arguments_are_refused(toy_base, call, message):
    with pytest.raises(ValueError, match=message):
        call(toy_base)
