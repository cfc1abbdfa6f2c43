"""Measures along sampled paths reduce a few paths at a time (measures/paths.py): the numbers equal those
from every path's full distributions held at once, the way the measures computed them before, within
float32 rounding (one path a call runs the model on other batch shapes than all paths in one call)."""

import numpy as np
import pytest
from scipy.special import log_softmax

from pytest_worldprior import measures, stats
from pytest_worldprior.measures import paths as paths_module
from pytest_worldprior.measures.paths import reduce_along
from pytest_worldprior.measures.prior_shift import SHIFTED_RANK, prior_shift

PROMPTS = ["Q: Are bugs real?\nA:", "Once upon a time, there was a", "My favorite color is"]


@pytest.fixture
def one_path_per_call(monkeypatch):
    monkeypatch.setattr(paths_module, "FLOATS_PER_CALL", 1)


def test_paths_are_asked_for_in_groups_within_the_budget(toy_base, monkeypatch):
    paths = [list(s.token_ids) for s in toy_base.sample(PROMPTS[1], 6, max_new_tokens=5, seed=1)]
    asked = []
    original = toy_base.continuation_logprobs
    monkeypatch.setattr(toy_base, "continuation_logprobs", lambda c, p: asked.append([len(x) for x in p]) or original(c, p))
    monkeypatch.setattr(paths_module, "FLOATS_PER_CALL", 10 * toy_base.vocab_size)  # 10 rows a call
    lengths = reduce_along(paths, len, (toy_base, [PROMPTS[1]] * len(paths)))
    assert lengths == [len(p) for p in paths]
    assert [n for group in asked for n in group] == lengths  # every path once, in order
    assert all(sum(group) <= 10 or len(group) == 1 for group in asked) and len(asked) > 1
    asked.clear()
    reduce_along(paths, lambda a, b: None, (toy_base, [PROMPTS[1]] * 6), (toy_base, [PROMPTS[0]] * 6))
    assert all(sum(group) <= 5 or len(group) == 1 for group in asked)  # two sources share the budget


def test_reduce_along_refuses_bad_arguments(toy_base):
    with pytest.raises(ValueError, match="at least one"):
        reduce_along([[1]], len)
    with pytest.raises(ValueError, match="got 1 contexts for 2 paths"):
        reduce_along([[1], [2]], len, (toy_base, ["Hi"]))


def test_sequence_entropy_one_path_per_call_equals_all_at_once(toy_base, one_path_per_call):
    result = measures.sequence_entropy(toy_base, PROMPTS[1], 8, max_new_tokens=10, seed=2)
    samples = toy_base.sample(PROMPTS[1], 8, max_new_tokens=10, seed=2)
    rows = toy_base.continuation_logprobs([PROMPTS[1]] * 8, [list(s.token_ids) for s in samples])
    assert result.estimate == pytest.approx(np.mean([np.sum(stats.entropy_from_logprobs(r)) for r in rows]), abs=1e-5)


def test_prior_shift_one_path_per_call_equals_full_distributions(toy_base, toy_collapsed, one_path_per_call):
    shift = prior_shift(toy_collapsed, toy_base, PROMPTS, continuation_tokens=8, seed=3)
    # As before the reduction: every path's rows of both models at once, whole tables through stats.
    paths = [list(toy_collapsed.sample(p, 1, max_new_tokens=8, seed=3)[0].token_ids) for p in PROMPTS]
    ours = toy_collapsed.continuation_logprobs(PROMPTS, paths)
    theirs = toy_base.continuation_logprobs(PROMPTS, paths)
    kl, js, shifted = [], [], []
    for p, q in zip(ours, theirs):
        p, q = log_softmax(p, axis=1), log_softmax(q, axis=1)
        kl.append(stats.kl_from_logprobs(p, q))
        js.append(stats.js_from_logprobs(p, q))
        shifted.append((q > q[np.arange(len(q)), p.argmax(axis=1)][:, None]).sum(axis=1) >= SHIFTED_RANK)
    np.testing.assert_allclose(shift.kl, np.concatenate(kl), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(shift.js, np.concatenate(js), rtol=1e-5, atol=1e-6)
    assert shift.shifted.tolist() == np.concatenate(shifted).tolist()
    assert shift.mean_kl > 0.1 and shift.shifted.any()  # a real shift, not zeros equal to zeros


def test_influence_curve_one_path_per_call_equals_full_distributions(toy_base, one_path_per_call):
    injection = measures.inject(toy_base, PROMPTS[1], "You are a murderer.", position=4, seed=0)
    curve = measures.influence_curve(toy_base, injection, steps=6, n=8, seed=0, enumerate_paths=False)
    paths = [list(s.token_ids[:6]) for s in toy_base.sample(list(injection.injected_ids), 8, max_new_tokens=6, seed=0)]
    with_j = toy_base.continuation_logprobs([list(injection.injected_ids)] * 8, paths)
    without = toy_base.continuation_logprobs([list(injection.clean_ids)] * 8, paths)
    table = np.zeros((8, 6))
    for row, (a, b) in enumerate(zip(with_j, without)):
        kl = np.atleast_1d(stats.kl_from_logprobs(a, b))
        table[row, : len(kl)] = kl
    np.testing.assert_allclose(curve.kl, table.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(curve.path_totals, table.sum(axis=1), rtol=1e-5, atol=1e-6)
    assert curve.total > 0.1
