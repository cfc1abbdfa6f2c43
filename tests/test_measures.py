"""Measures with known answers: diversity of hand-made texts, chain-rule sequence entropy, matching temperature."""

import math

import numpy as np
import pytest

from pytest_worldprior import measures, stats
from pytest_worldprior.measures import (
    distinct_n,
    entropy_curve,
    expectation_adjusted_distinct,
    matching_temperature,
    mode_share,
    sequence_entropy,
)


def test_distinct_n_on_known_texts():
    texts = ["the cat sat", "the cat ran"]
    assert distinct_n(texts, 1) == pytest.approx(4 / 6)  # the, cat, sat, ran among 6 words
    assert distinct_n(texts, 2) == pytest.approx(3 / 4)  # "the cat" twice
    assert distinct_n(["one"], 2) == 0.0


def test_ead_matches_its_formula_and_rewards_variety():
    texts = ["a b c", "a b d"]
    vocab = 100
    expected = []
    for n, (unique, total) in enumerate([(4, 6), (3, 4), (2, 2)], start=1):
        expected.append(unique / (vocab * (1 - ((vocab - 1) / vocab) ** total)))
    assert expectation_adjusted_distinct(texts, vocab, max_n=3) == pytest.approx(sum(expected) / 3)
    same = expectation_adjusted_distinct(["a b c"] * 4, vocab)
    varied = expectation_adjusted_distinct(["a b c", "d e f", "g h i", "j k l"], vocab)
    assert varied > 2 * same
    with pytest.raises(ValueError, match="vocab_size"):
        expectation_adjusted_distinct(texts, 1)


def test_mode_share_classes_and_wilson_interval():
    texts = ["Yes.", "yes", " YES!\nmore text", "No", "maybe"]
    share = mode_share(texts, alpha=0.05)
    assert (share.mode, share.count, share.n, share.classes) == ("yes", 3, 5, 3)
    assert share.share == pytest.approx(0.6)
    assert share.interval == pytest.approx(stats.wilson_interval(3, 5, 0.05))
    by_length = mode_share(texts, key=len)  # a user key: five different lengths, five classes
    assert (by_length.count, by_length.classes, by_length.share) == (1, 5, 0.2)
    with pytest.raises(ValueError, match="at least one text"):
        mode_share([])


def test_sequence_entropy_is_the_chain_rule_along_samples(toy_base):
    result = sequence_entropy(toy_base, "Once upon a time", 8, max_new_tokens=10, seed=2)
    samples = toy_base.sample("Once upon a time", 8, max_new_tokens=10, seed=2)
    by_hand = []
    for s in samples:
        ids = toy_base.encode("Once upon a time")
        total = 0.0
        for i in range(len(s.token_ids)):
            total += float(stats.entropy_from_logprobs(toy_base.next_token_logprobs([ids + list(s.token_ids[:i])])[0]))
        by_hand.append(total)
    assert result.estimate == pytest.approx(np.mean(by_hand), abs=1e-4)
    assert result.interval[0] <= result.estimate <= result.interval[1]
    assert result.mean_length == pytest.approx(np.mean([len(s.token_ids) for s in samples]))


def test_matching_temperature_inverts_the_entropy_curve(toy_collapsed):
    prompt = "Pick a random number from 1 to 10:"
    logprobs = toy_collapsed.next_token_logprobs([prompt])[0]
    target = float(entropy_curve(toy_collapsed, prompt, [2.0])[0])
    assert matching_temperature(logprobs, target) == pytest.approx(2.0, abs=1e-4)
    assert matching_temperature(logprobs, math.log(len(logprobs)) + 1) is None  # above the maximum entropy


def test_measures_refuse_meaningless_temperatures(toy_base):
    with pytest.raises(ValueError, match="temperature must be a finite number above 0"):
        entropy_curve(toy_base, "Once", [1.0, 0.0])
    with pytest.raises(ValueError, match="temperature must be a finite number above 0"):
        sequence_entropy(toy_base, "Once", 2, temperature=-1)


@pytest.mark.parametrize("k", [1, 5, 20, 100])
def test_entropy_bounds_from_the_top_k_hold_the_exact_entropy(toy_base, k):
    prompts = ["Once upon a time, there was a", "Pick a random number from 1 to 10:", "Q: Are bugs real?\nA:"]
    for logprobs in toy_base.next_token_logprobs(prompts):
        exact = float(stats.entropy_from_logprobs(logprobs))
        top = np.sort(logprobs)[::-1][:k]
        bounded = measures.entropy_bounds(top, vocab_size=logprobs.size)
        assert bounded.low - 1e-9 <= exact <= bounded.high + 1e-9, (k, bounded, exact)
        assert measures.entropy_bounds(top).high == np.inf  # no vocabulary size: no upper bound
    everything = measures.entropy_bounds(logprobs, vocab_size=logprobs.size)
    assert everything.low == pytest.approx(exact, abs=1e-9) and everything.high == pytest.approx(exact, abs=1e-6)
