"""Degenerate evidence decides: every draw equal gives the exact bound of stats.degenerate, not a point
or an infinite interval."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from pytest_worldprior import assert_entropy_within, assert_sequence_entropy_within, stats
from pytest_worldprior.backends.base import Backend, Generation, ModelInfo

VOCAB = 64


class OneAnswer(Backend):
    """A model that puts all its mass on token 0 (text "a"): every sampled draw is the same."""

    gives_logits = True
    gives_sampling_logprobs = True

    def info(self) -> ModelInfo:
        return ModelInfo("one-answer", "test:one-answer", "test", "0" * 64, "", "float64", "cpu", VOCAB, False)

    def render(self, prompt):
        return prompt

    def sample(self, context, n, *, max_new_tokens=64, temperature=1.0, top_p=1.0, seed=0, stop=None):
        return [Generation("a", (0,), (0.0,), (0.0,), "length", seed, i) for i in range(n)]

    def next_token_logprobs(self, contexts):
        rows = np.full((len(contexts), VOCAB), -math.inf)
        rows[:, 0] = 0.0
        return rows

    def encode(self, context):
        return list(context) if not isinstance(context, str) else [1] * len(context)

    def continuation_ids(self, context, context_ids, continuation):
        return self.encode(continuation)

    def decode(self, token_ids):
        return "a" * len(token_ids)

    def token_texts(self):
        return ["a"] + [f"t{i}" for i in range(1, VOCAB)]


@pytest.mark.parametrize("n", [1, 16, 512])
@pytest.mark.parametrize("alpha", [1e-3, 0.05])
def test_all_equal_mass_is_the_exact_binomial_bound(n, alpha):
    exact = scipy_stats.binomtest(n, n).proportion_ci(1 - alpha, method="exact").low
    assert stats.all_equal_mass(n, alpha) == pytest.approx(exact, rel=1e-9)
    # The rule of three (3/n = -ln 0.05 / n, one-sided 5 %) is its approximation; two-sided 5 % gives ln 40 / n.
    if n == 512 and alpha == 0.05:
        assert 1 - stats.all_equal_mass(n, alpha) == pytest.approx(math.log(40) / n, rel=1e-2)


def test_all_equal_mean_interval_spreads_the_rest_over_the_range():
    m = stats.all_equal_mass(100, 0.01)
    assert stats.all_equal_mean_interval(0.2, 100, 0.01, 0.0, 1.0) == pytest.approx((0.2 * m, 0.2 * m + 1 - m))
    assert stats.all_equal_mean_interval(3.0, 100, 0.01, 0.0, math.inf) == (pytest.approx(3.0 * m), math.inf)
    assert stats.all_equal_mean_interval(3.0, 100, 0.01, -math.inf, math.inf) == (-math.inf, math.inf)
    with pytest.raises(ValueError, match="must lie in"):
        stats.all_equal_mean_interval(2.0, 10, 0.01, 0.0, 1.0)


def test_all_equal_entropy_interval():
    m = stats.all_equal_mass(512, 1e-3)
    low, high = stats.all_equal_entropy_interval(0.0, 512, 1e-3, 262144)
    assert low == 0.0 and high == pytest.approx((1 - m) * math.log(262144 / (1 - m)))
    assert high < 0.25  # 512 equal draws: at most a quarter of a nat, whatever the vocabulary does
    # Equal surprisals from a uniform model (every token at log V): the bound holds log V.
    low, high = stats.all_equal_entropy_interval(math.log(VOCAB), 512, 1e-3, VOCAB)
    assert low <= math.log(VOCAB) <= high == pytest.approx(math.log(VOCAB))
    assert stats.all_equal_entropy_interval(0.5, 10, 1e-3, None)[1] == math.inf
    with pytest.raises(ValueError, match="surprisal"):
        stats.all_equal_entropy_interval(-0.1, 10, 1e-3, VOCAB)


def test_sequential_mean_decides_on_equal_draws_when_given_the_range():
    def unit_range(value, n, alpha):
        return stats.all_equal_mean_interval(value, n, alpha, 0.0, 1.0)

    v = stats.sequential_mean(lambda k: np.zeros(k), lower=0.5, max_n=256, all_equal_interval=unit_range)
    assert v.failed and v.details["degenerate"] and v.interval[1] < 0.5
    v = stats.sequential_mean(lambda k: np.ones(k), lower=0.5, max_n=256, all_equal_interval=unit_range)
    assert v.passed and v.interval[0] > 0.5


def test_a_model_whose_draws_are_all_equal_fails_the_sampled_entropy_check():
    model = OneAnswer()
    with pytest.raises(AssertionError, match=r"^FAIL: next-token entropy \(nats, T=1\) 0\.00 \[0\.00, 0\.14\] < min 0\.50 \(n=512, sequential-all-equal"):
        assert_entropy_within(model, "Q: Are bugs real?\nA:", min_nats=0.5, method="sampled", n=2048, seed=0)


def test_a_model_whose_paths_are_all_alike_fails_the_sequence_entropy_check():
    model = OneAnswer()
    with pytest.raises(AssertionError, match=r"^FAIL: entropy of 4-token continuations .* \[0\.00, 0\.\d+\] < min 1\.00 "
                                             r"\(n=512, chain-rule-all-equal"):
        assert_sequence_entropy_within(model, "Once upon a time", min_nats=1.0, n=512, max_new_tokens=4)
