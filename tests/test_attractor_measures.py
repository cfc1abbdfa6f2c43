"""Injection mechanics and the influence curve on the toy pair, checked against brute force."""

import numpy as np
import pytest

from pytest_worldprior import measures
from pytest_worldprior.measures import (
    RECURRING_SHARE,
    clean_continuations,
    influence_curve,
    inject,
    last_sentence,
    same_line,
    snap_back,
    story_restart,
)

STORY = "Once upon a time, there was a"


def brute_force_curve(model, injection, steps):
    """E over every path y<t of KL(p(.|PCJ y<t) || p(.|PC y<t)), by explicit loops over the vocabulary.
    A path ends at an end-of-text token and adds nothing after it."""
    vocab = len(model.token_texts())

    def dist(context):
        logp = model.next_token_logprobs([context])[0][:vocab]
        return np.exp(logp - np.logaddexp.reduce(logp))

    curve = []
    paths = {(): 1.0}
    for step in range(steps):
        total, grown = 0.0, {}
        for path, weight in paths.items():
            p = dist(list(injection.injected_ids) + list(path))
            q = dist(list(injection.clean_ids) + list(path))
            total += weight * sum(pi * np.log(pi / qi) for pi, qi in zip(p, q) if pi > 0)
            if step + 1 < steps:
                grown.update({path + (t,): weight * p[t] for t in range(vocab) if t not in model.eos_ids})
        curve.append(total)
        paths = grown
    return np.array(curve)


def test_inject_builds_clean_and_injected_contexts(toy_base):
    injection = inject(toy_base, STORY, "You are a murderer.", position=6, seed=0)
    clean, injected = list(injection.clean_ids), list(injection.injected_ids)
    assert clean[: len(toy_base.encode(STORY))] == toy_base.encode(STORY)
    assert injected[: len(clean)] == clean and len(injected) > len(clean)
    assert toy_base.decode(injected[len(clean):]) == " You are a murderer."
    assert 0 < len(clean) - len(toy_base.encode(STORY)) <= 6
    given = inject(toy_base, STORY, "You are a murderer.", prefix=" little fox named Max.")
    assert given.prefix_text == " little fox named Max."
    with pytest.raises(ValueError, match="the injection is empty"):
        inject(toy_base, STORY, "  ")


def test_injection_after_the_first_sentence(toy_collapsed):
    injection = inject(toy_collapsed, STORY, "You are a murderer.", position="sentence", seed=0)
    assert injection.prefix_text == " little cat named Milo."  # the collapsed toy's canned first sentence
    assert injection.where == "after the first sentence"
    assert inject(toy_collapsed, STORY, "You are a murderer.", position=3).where == "after 3 tokens"


def test_chat_injection_sits_inside_the_assistant_turn(toy_collapsed):
    chat = [{"role": "user", "content": "Tell me a story."}]
    injection = inject(toy_collapsed, chat, "You are a murderer.", position=4)
    text = toy_collapsed.decode(injection.injected_ids)
    assert text.startswith(toy_collapsed.render(chat)) and text.endswith(" You are a murderer.")


def test_enumerated_influence_curve_equals_brute_force(toy_base):
    injection = inject(toy_base, STORY, "You are a murderer.", position=4, seed=1)
    curve = influence_curve(toy_base, injection, steps=2)
    assert curve.method == "enumerated" and curve.n == len(toy_base.token_texts()) - len(toy_base.eos_ids)
    np.testing.assert_allclose(curve.kl, brute_force_curve(toy_base, injection, 2), atol=1e-4)


def test_sampled_influence_curve_brackets_the_exact_one(toy_collapsed):
    injection = inject(toy_collapsed, STORY, "You are a murderer.", position=4, seed=2)
    exact = influence_curve(toy_collapsed, injection, steps=2).kl
    sampled = influence_curve(toy_collapsed, injection, steps=2, n=256, seed=3, enumerate_paths=False)
    assert sampled.method == "sampled"
    assert sampled.kl[0] == pytest.approx(exact[0], abs=1e-6)  # step 1 has no path to sample
    low, high = sampled.interval
    assert low[1] <= exact[1] <= high[1]


def test_total_influence_and_recovery_step(toy_base):
    injection = inject(toy_base, STORY, "You are a murderer.", position=4, seed=0)
    curve = influence_curve(toy_base, injection, steps=6, n=16, seed=0, enumerate_paths=False)
    assert curve.total == pytest.approx(float(np.sum(curve.kl)))
    assert curve.kl[0] > curve.tolerance
    recovery = curve.recovery_step
    assert recovery is None or all(k < curve.tolerance for k in curve.kl[recovery - 1 :])


def test_sampled_total_influence_has_an_interval(toy_base):
    injection = inject(toy_base, STORY, "You are a murderer.", position=4, seed=0)
    curve = influence_curve(toy_base, injection, steps=6, n=16, seed=0, enumerate_paths=False)
    assert curve.path_totals.shape == (16,) and curve.kl.shape == (6,)
    assert curve.total == pytest.approx(curve.path_totals.mean())
    low, high = curve.total_interval
    assert low < curve.total < high
    assert influence_curve(toy_base, injection, steps=1).total_interval is None  # enumerated: exact


def test_snap_back_rate_of_the_collapsed_toy(toy_base, toy_collapsed):
    rates = {}
    for name, model in (("base", toy_base), ("collapsed", toy_collapsed)):
        injection = inject(model, STORY, "You are a murderer.", position="sentence", seed=0)
        result = snap_back(model, injection, n=64, seed=0)
        assert result.count == round(result.rate * 64) and result.interval[0] <= result.rate <= result.interval[1]
        if result.clean_mode:  # a recurring line (one in four clean continuations or more), shown with an example
            assert same_line(last_sentence(result.clean_example), result.clean_mode)
        rates[name] = result
    # The collapsed toy always ends its story "They became best friends." and goes back there after J.
    assert rates["collapsed"].clean_mode == "they became best friends"
    assert rates["collapsed"].clean_mode_share > 0.6 and rates["base"].clean_mode_share < RECURRING_SHARE
    assert rates["collapsed"].interval[0] > rates["base"].interval[1]
    assert last_sentence(rates["collapsed"].injected_example) == "they became best friends"


def test_snap_back_reuses_given_clean_continuations(toy_collapsed):
    injection = inject(toy_collapsed, STORY, "You are a murderer.", position="sentence", seed=0)
    clean = clean_continuations(toy_collapsed, injection, n=16, seed=3)
    assert snap_back(toy_collapsed, injection, n=16, seed=3, clean=clean) == snap_back(toy_collapsed, injection, n=16, seed=3)
    odd = snap_back(toy_collapsed, injection, n=16, seed=3, clean=["The moon. A cat sat down."] * 4, key=str.lower)
    assert odd.clean_mode == "the moon. a cat sat down." and odd.clean_mode_share == 1.0


def test_last_sentence_key():
    assert last_sentence(" One day it found a red hat. They became best friends.") == "they became best friends"
    assert last_sentence(" They became best") == "they became best"
    assert last_sentence("Yes! And then? no") == "and then"
    assert last_sentence("") == ""


def test_story_restart_probabilities(toy_base):
    injection = inject(toy_base, STORY, "You are a murderer.", position=8, seed=0)
    restart = story_restart(toy_base, injection)
    assert 0 <= restart.clean <= 1 and 0 <= restart.injected <= 1
    assert restart.ratio == pytest.approx(restart.injected / restart.clean)


def test_bad_positions_and_steps_are_refused(toy_base):
    for position in (0, "middle", 2.5):
        with pytest.raises(ValueError, match='position must be a number of tokens .at least 1. or "sentence"'):
            inject(toy_base, STORY, "You are a murderer.", position=position)
    injection = inject(toy_base, STORY, "You are a murderer.", position=2)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        influence_curve(toy_base, injection, steps=0)
    with pytest.raises(ValueError, match="n must be at least 1"):
        snap_back(toy_base, injection, n=0)
    with pytest.raises(ValueError, match="prefix_draws must be at least 1"):
        inject(toy_base, STORY, "You are a murderer.", prefix_draws=0)


def test_influence_paths_cut_from_longer_samples_equal_a_separate_draw(toy_base):
    # run_attractor samples once after P + C + J and cuts the influence paths from those samples.
    injection = measures.inject(toy_base, "Once upon a time, there was a", "You are a murderer.", position="sentence")
    own = measures.influence_curve(toy_base, injection, steps=6, n=16, enumerate_paths=False)
    longer = toy_base.sample(list(injection.injected_ids), 16, max_new_tokens=20)
    reused = measures.influence_curve(toy_base, injection, steps=6, n=16, enumerate_paths=False,
                                      paths=[g.token_ids for g in longer])
    assert np.array_equal(own.path_totals, reused.path_totals)


def test_injections_at_one_place_share_the_clean_prefix(toy_base):
    run = measures.run_attractor(toy_base, "Once upon a time, there was a", ["You are a murderer.", "Anyway, taxes."],
                                 n=8, steps=2, max_new_tokens=8)
    first, second = (r.injection for r in run.results)
    assert first.clean_ids == second.clean_ids and first.prefix_text == second.prefix_text
    assert first.injected_ids != second.injected_ids and second.injection == "Anyway, taxes."


def test_a_prefix_that_closes_the_quotation_ends_the_passage():
    toast = 'At the wedding, the best man raised his glass and said: "'
    assert measures.ends_passage(toast, ' It is a great day, let us all raise our glasses."')
    assert not measures.ends_passage(toast, " Thank you all for coming.")
    assert not measures.ends_passage(toast, ' He told me "never again" and meant it.')  # quoted inside: still open
    assert measures.ends_passage("She wrote: \u201cDear all,", " I am leaving.\u201d")
    assert not measures.ends_passage("Once upon a time, there was a", ' dog."')  # the prompt opened nothing
    assert not measures.ends_passage([{"role": "user", "content": 'Say "'}], ' hi."')  # chat prompts open nothing


def test_prefixes_that_leave_the_passage_open_come_first():
    from pytest_worldprior.backends.callable import CallableBackend

    drafts = [' Cheers."', " Thank you all for coming. More.", ' To love."', ' Cheers."', " I will keep this short."]

    def first_sentences(prompt, n, temperature, seed):
        return (drafts * n)[:n]

    model = CallableBackend(first_sentences, name="toasts-as-text")
    toast = 'The best man said: "'
    chosen = measures.clean_prefixes(model, toast, prefix_draws=5, prefixes=3)
    # the open drafts first (in the order drawn), then the most frequent closing one
    assert [c.prefix_text for c in chosen] == [" Thank you all for coming.", " I will keep this short.", ' Cheers."']
    assert [c.prefix_text for c in measures.clean_prefixes(model, "Say:", prefix_draws=5, prefixes=2)] == [
        ' Cheers."', " Thank you all for coming."]  # nothing opened: by frequency, as before
