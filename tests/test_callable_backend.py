"""A plain Python function as a model: the sample-level checks run against it, the logit-based ones
say why they cannot."""

import random

import pytest

from pytest_worldprior import assert_entropy_within, assert_mode_share_within, assert_uniform_choice
from pytest_worldprior.backends.callable import CallableBackend

NUMBERS = [str(i) for i in range(1, 11)]


def always_seven(prompt, n, temperature, seed):
    return [" 7, of course."] * n


def fair_numbers(prompt, n, temperature, seed):
    rng = random.Random(seed)
    return [f" {rng.choice(NUMBERS)} {rng.choice(['it is', 'there', 'done', 'ok', 'so'])}" for _ in range(n)]


def test_a_collapsed_function_is_caught_and_a_fair_one_passes():
    collapsed, fair = CallableBackend(always_seven, name="always-7"), CallableBackend(fair_numbers, name="fair")
    assert_uniform_choice(fair, "Pick a number from 1 to 10:", NUMBERS, n=400, max_top_share=0.3)
    with pytest.raises(AssertionError, match=r"share of top answer '7' 1\.00"):
        assert_uniform_choice(collapsed, "Pick a number from 1 to 10:", NUMBERS, n=200, max_top_share=0.3)
    with pytest.raises(AssertionError, match="model:  callable:always-7"):
        assert_mode_share_within(collapsed, "Pick a number:", max_share=0.5, n=64)
    assert_mode_share_within(fair, "Pick a number:", max_share=0.5, n=64)


def test_the_checks_that_need_logits_say_so():
    with pytest.raises(ValueError, match="gives no logits; use mode='sampled'"):
        assert_entropy_within(CallableBackend(fair_numbers), "Pick:", min_nats=1.0, mode="exact")


def test_a_function_that_returns_the_wrong_number_of_texts_is_named():
    short = CallableBackend(lambda prompt, n, temperature, seed: ["x"], name="short")
    with pytest.raises(ValueError, match="short was asked for 4 texts and returned 1"):
        short.sample("Hi", 4)
