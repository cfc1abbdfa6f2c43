"""The return probability along sampled paths (measures.path_return): by hand on built paths of the
collapsed toy, unbiased against the sampled 0/1 share with a smaller spread, and what the attractor check
judges on a white-box model with the `sentences` key (and only there)."""

import numpy as np
import pytest

from pytest_worldprior import Inconclusive, assert_no_attractor, measures, session
from pytest_worldprior.backends.base import Generation
from pytest_worldprior.backends.callable import CallableBackend

STORY = "Once upon a time, there was a"
LINES = ["they became best friends"]
WORDINGS = ["They became best friends."]


def _built(model):
    start = measures.clean_prefixes(model, STORY, prefix_draws=1, seed=0)[0]
    return measures.with_line(model, start, "Anyway, taxes.")


def _path(model, injection, text, finish="length"):
    ids = model.continuation_ids(list(injection.injected_ids), list(injection.injected_ids), text)
    ids = tuple(ids) + ((sorted(model.eos_ids)[0],) if finish == "eos" else ())
    return Generation(text, ids, (), (), finish, 0, 0)


def _q(model, injection, text_before):
    """The probability, by hand, that " They became best friends." follows P + C + J + text_before."""
    ids = list(injection.injected_ids)
    context = ids + model.continuation_ids(ids, ids, text_before) if text_before else ids
    return float(np.exp(model.score([context], [" " + WORDINGS[0]])[0]))


def test_a_path_sums_the_line_probability_at_each_sentence_boundary(toy_collapsed):
    injection = _built(toy_collapsed)
    wanders = _path(toy_collapsed, injection, " It ran home. The sun was up. It")
    ends = _path(toy_collapsed, injection, " It ran home.", finish="eos")
    other_words = _path(toy_collapsed, injection, " Then they became best friends. It ran home.")
    exact = _path(toy_collapsed, injection, " It ran home. They became best friends. It ran.")
    got = measures.path_returns(toy_collapsed, [injection], [[wanders, ends, other_words, exact]], LINES, WORDINGS,
                                roulette_below=0)[0]  # every wording teacher-forced: the sums by hand, exactly
    q0 = _q(toy_collapsed, injection, "")
    # Two boundaries inside the window (after J, after "home."); the one after "up." has text after it.
    q_home, q_up = _q(toy_collapsed, injection, " It ran home."), _q(toy_collapsed, injection, " It ran home. The sun was up.")
    assert got[0] == pytest.approx(q0 + q_home + q_up, rel=1e-6)
    # The model stopped after "home.": it could have written the line instead of ending.
    assert got[1] == pytest.approx(q0 + q_home, rel=1e-6)
    # It returned in other words at the first boundary: that boundary's q, plus the 0/1 the q does not cover.
    assert got[2] == pytest.approx(q0 + 1.0, rel=1e-6)
    # It returned word for word at the second: the q's up to there, no 0/1 (the q covers that return).
    assert got[3] == pytest.approx(q0 + q_home, rel=1e-6)
    assert measures.path_returns(toy_collapsed, [injection], [[wanders]], [], [])[0].tolist() == [0.0]


def test_russian_roulette_keeps_each_path_unbiased(toy_collapsed):
    """Below `roulette_below` a wording is teacher-forced only now and then, weighted up when it is: over
    seeds the mean is the exact sum, and a boundary whose first token passes the bound is always exact."""
    injection = _built(toy_collapsed)
    wanders = _path(toy_collapsed, injection, " It ran home. The sun was up. It")
    exact = measures.path_returns(toy_collapsed, [injection], [[wanders]], LINES, WORDINGS, roulette_below=0)[0][0]
    draws = np.array([measures.path_returns(toy_collapsed, [injection], [[wanders]], LINES, WORDINGS, seed=s,
                                            roulette_below=0.99)[0][0] for s in range(300)])
    assert len(set(draws.round(12))) > 1  # the roulette did decide some boundaries
    assert abs(draws.mean() - exact) < 4 * draws.std() / np.sqrt(draws.size)
    assert measures.path_returns(toy_collapsed, [injection], [[wanders]], LINES, WORDINGS, seed=1,
                                 roulette_below=1e-300)[0][0] == pytest.approx(exact, rel=1e-9)
    with pytest.raises(ValueError, match="roulette_below is a probability"):
        measures.path_returns(toy_collapsed, [injection], [[wanders]], LINES, WORDINGS, roulette_below=1.5)


def test_the_path_estimate_is_the_sampled_share_with_less_spread(toy_collapsed):
    """Its mean estimates the rate the 0/1 count estimates (the same paths: 0.430 against 112/256 here), and
    its spread is a third of the count's: the check decides with fewer continuations."""
    run = measures.run_attractor(toy_collapsed, STORY, ["You are a murderer."], n=256, prefixes=2,
                                 key=measures.sentences, seed=3, influence_paths=0)
    result = run.results[0]
    share, returns = result.snap_back.rate, result.path_returns
    assert returns.shape == (256,) and result.wordings
    assert abs(returns.mean() - share) < 0.05
    assert returns.std() < 0.5 * np.sqrt(share * (1 - share))


def _judged(model, **kwargs) -> dict:
    """The recorded verdict of one attractor check, whatever its outcome."""
    try:
        assert_no_attractor(model, STORY, "You are a murderer.", **kwargs)
    except (AssertionError, Inconclusive):
        pass
    return session.current().recorder.records[-1].verdict


def test_the_attractor_check_judges_the_path_estimate_on_a_white_box_model_with_sentences(toy_collapsed, toy_base):
    verdict = _judged(toy_collapsed, baseline=toy_base, key=measures.sentences, n=32, prefixes=2)
    assert verdict["measure"] == "Δ return probability" and "welch" in verdict["method"]
    candidate, baseline = verdict["details"]["candidate"], verdict["details"]["baseline"]
    assert verdict["estimate"] == pytest.approx(candidate["return_probability"] - baseline["return_probability"])
    assert verdict["outcome"] == "FAIL"  # the collapsed toy returns to its lines (about 0.43 of its paths)
    by_count = _judged(toy_collapsed, baseline=toy_base, n=32, prefixes=2)
    assert by_count["measure"] == "Δ snap-back rate"  # last_sentence: where a text ends is not a boundary event

    def wanders(prompt, n, temperature, seed):
        return [f" It was day {seed}-{i}. Nothing else." for i in range(n)]

    text_only = CallableBackend(wanders, name="wanders")
    assert _judged(text_only, key=measures.sentences, n=16, max_snap_back_share=0.9)["measure"] == "snap-back rate"


def test_a_text_only_model_has_no_path_return_probability():
    def wanders(prompt, n, temperature, seed):
        return [" It was day." for _ in range(n)]

    with pytest.raises(NotImplementedError, match="path_returns"):
        measures.path_returns(CallableBackend(wanders, name="wanders"), [], [[]], LINES, WORDINGS)
