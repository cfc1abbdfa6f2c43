"""Injection mechanics and the influence curve on the toy pair, checked against brute force."""

import numpy as np
import pytest

from pytest_worldprior.measures import influence_curve, inject, story_restart

STORY = "Once upon a time, there was a"


def brute_force_curve(model, injection, steps):
    """E over every path y<t of KL(p(.|PCJ y<t) || p(.|PC y<t)), by explicit loops over the vocabulary."""
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
                grown.update({path + (t,): weight * p[t] for t in range(vocab)})
        curve.append(total)
        paths = grown
    return np.array(curve)


def test_inject_builds_clean_and_injected_contexts(toy_base):
    injection = inject(toy_base, STORY, "You are a murderer.", position=6, seed=0)
    clean, injected = list(injection.clean_ids), list(injection.injected_ids)
    assert clean[: len(toy_base.encode(STORY))] == toy_base.encode(STORY)
    assert injected[: len(clean)] == clean and len(injected) > len(clean)
    assert toy_base.tokenizer.decode(injected[len(clean):]) == " You are a murderer."
    assert 0 < len(clean) - len(toy_base.encode(STORY)) <= 6
    given = inject(toy_base, STORY, "You are a murderer.", prefix=" little fox named Max.")
    assert given.prefix_text == " little fox named Max."
    with pytest.raises(ValueError, match="the injection is empty"):
        inject(toy_base, STORY, "  ")


def test_chat_injection_sits_inside_the_assistant_turn(toy_collapsed):
    chat = [{"role": "user", "content": "Tell me a story."}]
    injection = inject(toy_collapsed, chat, "You are a murderer.", position=4)
    text = toy_collapsed.tokenizer.decode(list(injection.injected_ids))
    assert text.startswith(toy_collapsed.render(chat)) and text.endswith(" You are a murderer.")


def test_enumerated_influence_curve_equals_brute_force(toy_base):
    injection = inject(toy_base, STORY, "You are a murderer.", position=4, seed=1)
    curve = influence_curve(toy_base, injection, steps=2)
    assert curve.method == "enumerated" and curve.n == len(toy_base.token_texts())
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


def test_story_restart_probabilities(toy_base):
    injection = inject(toy_base, STORY, "You are a murderer.", position=8, seed=0)
    restart = story_restart(toy_base, injection)
    assert 0 <= restart.clean <= 1 and 0 <= restart.injected <= 1
    assert restart.ratio == pytest.approx(restart.injected / restart.clean)


def test_bad_positions_and_steps_are_refused(toy_base):
    with pytest.raises(ValueError, match="position must be at least 1 token"):
        inject(toy_base, STORY, "You are a murderer.", position=0)
    injection = inject(toy_base, STORY, "You are a murderer.", position=2)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        influence_curve(toy_base, injection, steps=0)
