"""pytest_worldprior.stats against closed forms and scipy; no models."""

import json
import math

import numpy as np
import pytest
from scipy import special, stats as sps

from pytest_worldprior import stats
from pytest_worldprior.stats import Outcome, Verdict, decide


# ---------------------------------------------------------------- Verdict


def test_verdict_describe_and_as_dict():
    v = Verdict(Outcome.FAIL, 0.92, (0.85, 0.96), (None, 0.5), 64, "wilson", 0.001, 0, "mode share",
                {"counts": np.array([3, 4]), "x": np.float32(1.5)})
    assert v.describe() == "FAIL: mode share 0.92 [0.85, 0.96] > max 0.50 (n=64, wilson, alpha=0.001, seed=0)"
    assert v.failed and not v.passed and not v.inconclusive
    d = json.loads(json.dumps(v.as_dict()))
    assert d["outcome"] == "FAIL" and d["interval"] == [0.85, 0.96] and d["details"]["counts"] == [3, 4]
    with pytest.raises(AttributeError):
        v.estimate = 0.1  # frozen


def test_exact_verdict():
    v = stats.exact_verdict(0.3, lower=0.5, label="entropy")
    assert v.failed and v.interval is None and v.method == "exact"
    assert v.describe() == "FAIL: entropy 0.30 < min 0.50 (exact)"
    assert stats.exact_verdict(0.4999999, lower=0.5, tol=1e-6).passed
    assert stats.exact_verdict(1.0, lower=0.5, upper=2).describe().startswith("PASS: value 1.00 in [0.50, 2.00]")
    # a value and a bound that would print alike get more digits, never '0.08 < min 0.08'
    assert stats.exact_verdict(0.0812, lower=0.0834, label="entropy").describe() == "FAIL: entropy 0.0812 < min 0.0834 (exact)"


# ---------------------------------------------------------------- decide


@pytest.mark.parametrize("interval, bounds, expected", [
    ((0.1, 0.4), {"upper": 0.5}, Outcome.PASS),
    ((0.1, 0.5), {"upper": 0.5}, Outcome.PASS),  # bounds are inclusive
    ((0.6, 0.9), {"upper": 0.5}, Outcome.FAIL),
    ((0.4, 0.6), {"upper": 0.5}, Outcome.INCONCLUSIVE),
    ((0.6, 0.9), {"lower": 0.5}, Outcome.PASS),
    ((0.1, 0.4), {"lower": 0.5}, Outcome.FAIL),
    ((0.4, 0.6), {"lower": 0.5}, Outcome.INCONCLUSIVE),
    ((0.3, 0.4), {"lower": 0.2, "upper": 0.5}, Outcome.PASS),
    ((0.6, 0.7), {"lower": 0.2, "upper": 0.5}, Outcome.FAIL),
    ((0.0, 0.1), {"lower": 0.2, "upper": 0.5}, Outcome.FAIL),
    ((0.1, 0.3), {"lower": 0.2, "upper": 0.5}, Outcome.INCONCLUSIVE),
    ((0.0, 0.9), {"lower": 0.2, "upper": 0.5}, Outcome.INCONCLUSIVE),  # straddles the whole range
])
def test_decide_interval(interval, bounds, expected):
    assert decide(sum(interval) / 2, interval, **bounds) is expected


def test_decide_exact():
    assert decide(0.5, None, upper=0.5) is Outcome.PASS
    assert decide(0.51, None, upper=0.5) is Outcome.FAIL
    assert decide(0.1, None, lower=0.2) is Outcome.FAIL
    assert decide(0.19, None, lower=0.2, tol=0.02) is Outcome.PASS


# ---------------------------------------------------------------- intervals


def test_wilson_closed_form_and_scipy():
    k, n, z = 8, 10, 1.959963984540054
    centre = (k + z**2 / 2) / (n + z**2)
    half = z / (n + z**2) * math.sqrt(k * (n - k) / n + z**2 / 4)
    lo, hi = stats.wilson_interval(8, 10, 0.05)
    assert (lo, hi) == pytest.approx((centre - half, centre + half), abs=1e-9)
    assert (lo, hi) == pytest.approx((0.4901624715, 0.9433178485), abs=1e-9)
    for k, n, alpha in [(0, 16, 1e-3), (16, 16, 1e-3), (37, 256, 6.25e-5), (1, 1, 0.5)]:
        ref = sps.binomtest(k, n).proportion_ci(1 - alpha, method="wilson")
        assert stats.wilson_interval(k, n, alpha) == pytest.approx((ref.low, ref.high), abs=1e-9)


def test_t_interval_equals_scipys_and_collapses_without_spread():
    x = np.random.default_rng(3).normal(2.0, 1.5, 40)
    ref = sps.ttest_1samp(x, 0.0).confidence_interval(0.999)
    assert stats.t_interval(x, 1e-3) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert stats.t_interval([0.5, 0.5, 0.5]) == (0.5, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        stats.t_interval(x, alpha=0)


def test_newcombe_difference_interval_matches_the_published_table():
    # Newcombe (1998), Statistics in Medicine 17:873, table II, method 10.
    assert stats.newcombe_difference_interval(56, 70, 48, 80, 0.05) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert stats.newcombe_difference_interval(9, 10, 3, 10, 0.05) == pytest.approx((0.1705, 0.8090), abs=1e-4)
    assert stats.newcombe_difference_interval(5, 5, 0, 5, 0.05)[1] == 1.0
    with pytest.raises(ValueError, match="successes must be in"):
        stats.newcombe_difference_interval(6, 5, 0, 5)
    with pytest.raises(ValueError, match="n must be"):
        stats.newcombe_difference_interval(0, 0, 0, 5)


def test_bootstrap_covers_mean_and_is_reproducible():
    x = np.random.default_rng(1).normal(3.0, 1.0, 200)
    a = stats.bootstrap_interval(x, alpha=0.01, seed=5, n_resamples=2000)
    assert a[0] < x.mean() < a[1] and a[0] < 3.0 < a[1] and a[1] - a[0] < 0.5
    assert stats.bootstrap_interval(x, alpha=0.01, seed=5, n_resamples=2000) == a
    assert stats.bootstrap_interval(x, alpha=0.01, seed=6, n_resamples=2000) != a


def test_bootstrap_paired_and_degenerate():
    rng = np.random.default_rng(2)
    base = rng.normal(0, 5, 100)  # large shared per-prompt effect, small paired difference
    y = base + 0.5 + rng.normal(0, 0.2, 100)
    lo, hi = stats.bootstrap_interval((y, base), lambda a, b, axis=-1: np.mean(a - b, axis=axis),
                                      paired=True, n_resamples=2000)
    assert lo < 0.5 < hi and hi - lo < 0.2
    assert stats.bootstrap_interval(np.full(20, 0.7)) == pytest.approx((0.7, 0.7))


# ---------------------------------------------------------------- entropy and divergences


@pytest.mark.parametrize("v", [2, 10, 1000])
def test_entropy_uniform(v):
    assert stats.entropy(np.full(v, 1 / v)) == pytest.approx(math.log(v))
    assert stats.entropy_from_logprobs(np.zeros(v)) == pytest.approx(math.log(v))


def test_entropy_zero_mass_and_batches():
    assert stats.entropy([1.0, 0.0]) == 0.0
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    assert stats.entropy(p) == pytest.approx(sps.entropy(p, axis=-1))


def test_entropy_from_logprobs_matches_softmax_and_is_stable():
    z = np.random.default_rng(3).normal(0, 3, (4, 50))
    assert stats.entropy_from_logprobs(z) == pytest.approx(stats.entropy(special.softmax(z, axis=-1)))
    assert stats.entropy_from_logprobs(z, 2.0) == pytest.approx(stats.entropy(special.softmax(z / 2, axis=-1)))
    assert stats.entropy_from_logprobs([1000.0, 1000.0, -np.inf]) == pytest.approx(math.log(2))


def test_entropy_curve_limits():
    z = np.random.default_rng(4).normal(0, 2, 100)  # no ties
    temps = [1e-3, 1.0, 1e4]
    h = stats.entropy_curve(z, temps)
    assert h.shape == (3,)
    assert h[0] == pytest.approx(0.0, abs=1e-6)
    assert h[1] == pytest.approx(stats.entropy(special.softmax(z)), rel=1e-9)
    assert abs(h[2] - math.log(100)) < 1e-3
    assert np.all(np.diff(stats.entropy_curve(z, np.linspace(0.1, 5, 30))) > 0)
    assert stats.entropy_curve(np.stack([z, z]), temps).shape == (2, 3)


def test_plugin_and_miller_madow():
    counts = [2, 1, 1, 0]  # n = 4, K_observed = 3
    assert stats.plugin_entropy(counts) == pytest.approx(1.5 * math.log(2))
    assert stats.miller_madow_entropy(counts) == pytest.approx(1.5 * math.log(2) + 2 / 8)
    assert stats.miller_madow_entropy([5]) == 0.0


def test_kl_and_js_closed_forms():
    assert stats.kl_divergence([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.5 * math.log(4 / 3))
    p = np.array([0.1, 0.2, 0.7])
    q = np.array([0.3, 0.3, 0.4])
    assert stats.kl_divergence(p, p) == 0.0
    assert stats.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    m = (p + q) / 2
    js = stats.js_from_logprobs(np.log(p), np.log(q))
    assert js == pytest.approx((stats.kl_divergence(p, m) + stats.kl_divergence(q, m)) / 2)
    assert js == pytest.approx(stats.js_from_logprobs(np.log(q), np.log(p)))
    assert 0 < js <= math.log(2)


def test_log_space_divergences_match():
    rng = np.random.default_rng(5)
    za, zb = rng.normal(0, 2, (3, 20)), rng.normal(0, 2, (3, 20))
    p, q = special.softmax(za, axis=-1), special.softmax(zb, axis=-1)
    assert stats.kl_from_logprobs(np.log(p), np.log(q)) == pytest.approx(stats.kl_divergence(p, q))
    assert stats.kl_from_logprobs(za + 7, zb) == pytest.approx(stats.kl_divergence(p, q))  # logits work
    m = (p + q) / 2
    js = (stats.kl_divergence(p, m) + stats.kl_divergence(q, m)) / 2
    assert stats.js_from_logprobs(za, zb) == pytest.approx(js)
    assert stats.kl_from_logprobs([0.0, -np.inf], [0.0, -np.inf]) == 0.0
    assert stats.kl_from_logprobs([0.0, 0.0], [0.0, -np.inf]) == math.inf
    assert stats.js_from_logprobs([0.0, -np.inf], [-np.inf, 0.0]) == pytest.approx(math.log(2))


# ---------------------------------------------------------------- goodness of fit


def test_chi_square_matches_scipy():
    counts = np.array([10, 20, 30, 40])
    ref = sps.chisquare(counts)
    assert stats.chi_square_test(counts) == pytest.approx((ref.statistic, ref.pvalue))
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    assert stats.chi_square_test(counts, probs) == pytest.approx((0.0, 1.0))
    probs = np.array([0.4, 0.3, 0.2, 0.1])
    ref = sps.chisquare(counts, probs * 100)
    assert stats.chi_square_test(counts, probs + 1e-8) == pytest.approx((ref.statistic, ref.pvalue))


def test_goodness_of_fit_zero_expected():
    assert stats.chi_square_test([5, 5, 0], [0.5, 0.5, 0.0]) == pytest.approx((0.0, 1.0))
    assert stats.chi_square_test([5, 4, 1], [0.5, 0.5, 0.0]) == (math.inf, 0.0)


# ---------------------------------------------------------------- sequential


def test_sequential_schedule_and_batches():
    asked = []

    def draw(k):
        asked.append(k)
        return np.arange(k) % 2  # mean 0.5, on the limit: never decides

    v = stats.sequential_mean(draw, upper=0.5, min_n=10, batch=16, max_n=50, alpha=0.01)
    assert asked == [10, 16, 16, 8] and v.n == 50 and v.inconclusive
    assert v.details["looks"] == v.details["max_looks"] == 4
    assert v.details["alpha_per_look"] == pytest.approx(0.01 / 4)


def test_sequential_mean():
    rng = np.random.default_rng(7)
    v = stats.sequential_mean(lambda k: rng.normal(1.0, 1.0, k), lower=0.2, seed=3)
    assert v.passed and v.n < 256 and v.method == "sequential-t" and v.seed == 3
    v = stats.sequential_mean(lambda k: rng.normal(-1.0, 1.0, k), lower=0.2)
    assert v.failed and v.interval[1] < 0.2
    v = stats.sequential_mean(lambda k: rng.normal(0.2, 1.0, k), lower=0.2, max_n=64)
    assert v.inconclusive and v.n == 64
    v = stats.sequential_mean(lambda k: np.zeros(k), lower=0.2, max_n=48)
    assert v.inconclusive and v.details["degenerate"]  # no spread seen: no decision


def test_sequential_mean_bootstrap_reproducible():
    def run():
        rng = np.random.default_rng(8)
        return stats.sequential_mean(lambda k: rng.exponential(1.0, k), upper=3.0, interval="bootstrap",
                                     seed=1, n_resamples=2000)
    a, b = run(), run()
    assert a.passed and a == b and a.method == "sequential-bootstrap"


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("call, name", [
    (lambda: stats.wilson_interval(3, 10, alpha=0), "alpha"),
    (lambda: stats.wilson_interval(3, 10, alpha=1.5), "alpha"),
    (lambda: stats.wilson_interval(3, 10, alpha=float("nan")), "alpha"),
    (lambda: stats.wilson_interval(3, 0), "n"),
    (lambda: stats.wilson_interval(11, 10), "successes"),
    (lambda: stats.wilson_interval(-1, 10), "successes"),
    (lambda: stats.wilson_interval(2.5, 10), "successes"),
    (lambda: decide(float("nan"), (0, 1), upper=0.5), "estimate"),
    (lambda: decide(0.5, (0, float("nan")), upper=0.5), "interval"),
    (lambda: decide(0.5, (0.6, 0.4), upper=0.5), "interval"),
    (lambda: decide(0.5, None), "lower, upper"),
    (lambda: decide(0.5, None, lower=float("nan")), "lower"),
    (lambda: decide(0.5, None, lower=0.6, upper=0.4), "lower"),
    (lambda: stats.entropy([0.5, 0.4]), "sum to 1"),
    (lambda: stats.entropy([0.5, np.nan]), "p contains NaN"),
    (lambda: stats.entropy_from_logprobs([0.0, np.nan]), "logprobs"),
    (lambda: stats.entropy_from_logprobs([-np.inf, -np.inf]), "logprobs"),
    (lambda: stats.entropy_from_logprobs([0.0, 1.0], temperature=0), "temperature"),
    (lambda: stats.entropy_curve([0.0, 1.0], [1.0, -1.0]), "temperatures"),
    (lambda: stats.kl_divergence([0.5, 0.5], [1.0]), "same shape"),
    (lambda: stats.kl_divergence([0.5, 0.5], [0.5, np.nan]), "q contains NaN"),
    (lambda: stats.plugin_entropy([]), "counts is empty"),
    (lambda: stats.miller_madow_entropy([3, -1]), "counts contains negative"),
    (lambda: stats.chi_square_test([]), "counts is empty"),
    (lambda: stats.chi_square_test([3, -1]), "counts contains negative"),
    (lambda: stats.chi_square_test([3, 4], [0.2, 0.3, 0.5]), "expected_probs has shape"),
    (lambda: stats.chi_square_test([3, 4], [0.5, 0.6]), "expected_probs must sum to 1"),
    (lambda: stats.chi_square_test([3, 4], [0.5, 0.5 + 1e-5]), "expected_probs must sum to 1"),
    (lambda: stats.chi_square_test([3, np.nan], None), "counts contains NaN"),
    (lambda: stats.bootstrap_interval([1.0]), "samples"),
    (lambda: stats.bootstrap_interval([1.0, 2.0, np.nan]), "samples contains NaN"),
    (lambda: stats.bootstrap_interval([1.0, 2.0], alpha=2), "alpha"),
    (lambda: stats.sequential_mean(lambda k: np.zeros(k), upper=0.5, alpha=0), "alpha"),
    (lambda: stats.sequential_mean(lambda k: np.zeros(k), upper=0.5, batch=0), "batch"),
    (lambda: stats.sequential_mean(lambda k: np.zeros(k), upper=0.5, min_n=32, max_n=16), "max_n"),
    (lambda: stats.sequential_mean(lambda k: np.zeros(k - 1), upper=0.5), "draw_values"),
    (lambda: stats.sequential_mean(lambda k: np.full(k, np.nan), upper=0.5), "draw_values"),
    (lambda: stats.sequential_mean(lambda k: np.zeros(k), upper=0.5, interval="z"), "interval"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name.replace("(", r"\(").replace(")", r"\)")):
        call()
