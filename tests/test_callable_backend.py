"""A plain Python function as a model: the sample-level checks run against it, the logit-based ones
say why they cannot."""

import random

import pytest

from pytest_worldprior import (assert_entropy_within, assert_mode_share_within, assert_no_attractor,
                               assert_temperature_sensitive, assert_uniform_choice, measures)
from pytest_worldprior.backends.callable import CallableBackend

NUMBERS = [str(i) for i in range(1, 11)]


def always_seven(prompt, n, temperature, seed):
    return [" 7. Of course."] * n


def fair_numbers(prompt, n, temperature, seed):
    rng = random.Random(seed)
    return [f" {rng.choice(NUMBERS)}. {rng.choice(['It is.', 'There.', 'Done.', 'Ok.', 'So.'])}" for _ in range(n)]


def test_a_collapsed_function_is_caught_and_a_fair_one_passes():
    collapsed, fair = CallableBackend(always_seven, name="always-7"), CallableBackend(fair_numbers, name="fair")
    assert_uniform_choice(fair, "Pick a number from 1 to 10:", NUMBERS, n=400, max_top_share=0.3)
    with pytest.raises(AssertionError, match=r"share of top answer '7' 1\.00"):
        assert_uniform_choice(collapsed, "Pick a number from 1 to 10:", NUMBERS, n=200, max_top_share=0.3)
    with pytest.raises(AssertionError, match="model:  callable:always-7"):
        assert_mode_share_within(collapsed, "Pick a number:", max_top_share=0.5, n=64)
    assert_mode_share_within(fair, "Pick a number:", max_top_share=0.5, n=64)


def test_the_checks_that_need_logits_say_so():
    fair = CallableBackend(fair_numbers, name="fair")
    with pytest.raises(ValueError, match="gives no logits; use method='sampled'"):
        assert_entropy_within(fair, "Pick:", min_nats=1.0, method="exact")
    with pytest.raises(ValueError, match="callable:fair gives text only: the temperature check needs the probability"):
        assert_temperature_sensitive(fair, "Pick:")
    with pytest.raises(ValueError, match="callable:fair gives text only: choice_distribution is exact, from logits"):
        measures.choice_distribution(fair, "Pick:", NUMBERS)


def test_a_function_that_returns_the_wrong_number_of_texts_is_named():
    short = CallableBackend(lambda prompt, n, temperature, seed: ["x"], name="short")
    with pytest.raises(ValueError, match="short was asked for 4 texts and returned 1"):
        short.sample("Hi", 4)


def texts_of(model):
    """A function that sees only text: the toy model behind a text interface, as a server would be."""
    def sample_texts(prompt, n, temperature, seed):
        return [g.text for g in model.sample(prompt, n, max_new_tokens=32, temperature=temperature, seed=seed)]
    return sample_texts


def test_snap_back_runs_on_text_alone(toy_base, toy_collapsed):
    """Injection through text (P + C + J as a string): the collapsed toy snaps back, the base toy does not."""
    collapsed = CallableBackend(texts_of(toy_collapsed), name="collapsed-as-text")
    base = CallableBackend(texts_of(toy_base), name="base-as-text")
    story, murderer = "Once upon a time, there was a", "You are a murderer."
    with pytest.raises(AssertionError) as failure:
        assert_no_attractor(collapsed, story, murderer, seed=0)
    message = str(failure.value)
    assert "clean prefix C = ' little cat named Milo.'" in message  # the usual first sentence, cut from text
    assert "injected continuation: ' They became best friends.' (snapped back)" in message
    assert "influence curve: not measured (this backend gives text, not logits)" in message
    assert assert_no_attractor(base, story, murderer, seed=0).passed
    with pytest.raises(AssertionError, match="snap-back rate minus the baseline's"):
        assert_no_attractor(collapsed, story, murderer, baseline=base, seed=0)


def test_snap_back_on_text_refuses_a_chat_prompt_and_says_what_to_do(toy_base):
    chat = [{"role": "user", "content": "Tell me a story."}]
    with pytest.raises(ValueError, match="Render the chat with the model's template yourself"):
        assert_no_attractor(CallableBackend(texts_of(toy_base), name="t"), chat, "You are a murderer.")


def test_given_prefix_and_token_position_on_text(toy_collapsed):
    model = CallableBackend(texts_of(toy_collapsed), name="collapsed-as-text")
    given = measures.inject(model, "Once upon a time, there was a", "Stop.", prefix=" dog.")
    assert (given.clean_context, given.injected_context) == ("Once upon a time, there was a dog.",
                                                            "Once upon a time, there was a dog. Stop.")
    assert given.where == "after the given prefix" and given.clean_ids == ()
    drawn = measures.inject(model, "Once upon a time, there was a", "Stop.", position=4, prefix_draws=3)
    assert drawn.where == "after 4 tokens" and drawn.injected_context.endswith(drawn.prefix_text + " Stop.")
