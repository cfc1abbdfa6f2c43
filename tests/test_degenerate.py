"""Degenerate evidence decides: every draw equal gives the exact bound of stats.degenerate, not a point
or an infinite interval."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from pytest_worldprior import assert_entropy_within, assert_sequence_entropy_within, measures, stats
from pytest_worldprior.backends.base import Backend, Generation, ModelInfo
from pytest_worldprior.stats.degenerate import known_paths_interval

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


# --- continuations all alike: what the logits know of the drawn path (issue 25, item 4) -------------------

def _suite_limits():
    """The suite's continuation-entropy settings, read from suites/thresholds.py (not imported as a package)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("_suite_thresholds", Path(__file__).parent.parent / "suites" / "thresholds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tokens = module.SEQUENCE_ENTROPY_TOKENS
    return {"n": module.SEQUENCE_ENTROPY_SAMPLES, "max_new_tokens": tokens,
            "max_drop_nats": module.MAX_SEQUENCE_ENTROPY_DROP_NATS_PER_TOKEN * tokens}


class RowModel(Backend):
    """A white-box model given by its next-token log-probabilities: `rows(ids)` for the token ids read so far
    (the prompt's, then the continuation's). Sampling draws from those rows, so teacher forcing sees them too."""

    gives_logits = True
    gives_sampling_logprobs = True

    def __init__(self, name, vocab, rows):
        self.name, self.vocab, self.rows = name, vocab, rows

    def info(self) -> ModelInfo:
        return ModelInfo(self.name, f"test:{self.name}", "test", self.name.ljust(64, "0"), "", "float64", "cpu", self.vocab, False)

    def render(self, prompt):
        return prompt

    def sample(self, context, n, *, max_new_tokens=64, temperature=1.0, top_p=1.0, seed=0, stop=None):
        out = []
        for i in range(n):
            rng, ids, steps = np.random.default_rng([seed, i]), self.encode(context), []
            for _ in range(max_new_tokens):
                row = self.rows(tuple(ids)) / temperature
                row = row - np.logaddexp.reduce(row)
                token = int(min(np.searchsorted(np.cumsum(np.exp(row)), rng.random()), self.vocab - 1))
                ids.append(token)
                steps.append((token, float(row[token])))
            tokens = tuple(t for t, _ in steps)
            out.append(Generation(self.decode(tokens), tokens, tuple(lp for _, lp in steps), tuple(lp for _, lp in steps),
                                  "length", seed, i))
        return out

    def next_token_logprobs(self, contexts):
        return np.stack([self.rows(tuple(self.encode(c))) for c in contexts])

    def encode(self, context):
        return list(context) if not isinstance(context, str) else [ord(c) % self.vocab for c in context]

    def continuation_ids(self, context, context_ids, continuation):
        return list(continuation) if not isinstance(continuation, str) else self.encode(continuation)

    def decode(self, token_ids):
        return " ".join(f"t{t}" for t in token_ids)

    def token_texts(self):
        return [f"t{i}" for i in range(self.vocab)]


BIG = 32768  # a realistic vocabulary: 8 tokens may hold up to 8 log V = 83 nats


def _narrow(leak):
    """Each step puts 1 - leak on one token (which depends on the context) and spreads `leak` over the rest."""
    def rows(ids):
        row = np.full(BIG, math.log(leak / (BIG - 1)))
        row[hash(ids) % BIG] = math.log1p(-leak)
        return row
    return rows


def _diverse(ids):
    """Between 2 and 20 likely tokens, as many as the context says, sharing 0.99; the rest 0.01."""
    k = 2 + hash(ids) % 19
    row = np.full(BIG, math.log(0.01 / (BIG - k)))
    row[[(hash(ids) // 19 + j * 7919) % BIG for j in range(k)]] = math.log(0.99 / k)
    return row


@pytest.fixture
def narrow():
    return RowModel("narrow", BIG, _narrow(1e-4))


@pytest.fixture
def diverse():
    return RowModel("diverse", BIG, _diverse)


PROMPT = "Q: Are bugs real?\nA:"


def test_all_alike_continuations_fail_against_a_diverse_baseline_at_the_suites_settings(narrow, diverse):
    """Issue 25, item 4: every sampled continuation the same, INCONCLUSIVE on the all-equal bound alone; the
    drawn path's exact probability from the logits leaves almost no mass unknown, and the check FAILs."""
    settings = _suite_limits()
    samples = narrow.sample(PROMPT, settings["n"], max_new_tokens=settings["max_new_tokens"], seed=0)
    assert len({s.text for s in samples}) == 1  # the case of the issue: all alike
    ours = measures.sequence_entropy(narrow, PROMPT, settings["n"], max_new_tokens=settings["max_new_tokens"], seed=0)
    theirs = measures.sequence_entropy(diverse, PROMPT, settings["n"], max_new_tokens=settings["max_new_tokens"], seed=0)
    # What the all-equal bound alone gives (the old rule): the difference straddles the limit.
    alone = stats.all_equal_mean_interval(ours.estimate, settings["n"], 1e-3, 0.0, settings["max_new_tokens"] * math.log(BIG))
    assert alone[0] - theirs.interval[1] < -settings["max_drop_nats"] < alone[1] - theirs.interval[0]
    assert ours.known_mass > 0.99 and ours.interval[1] < 0.1
    with pytest.raises(AssertionError, match=r"^FAIL: entropy minus the baseline's of 8-token continuations .* < min -8\.00 "
                                             r"\(n=24, all-equal"):
        assert_sequence_entropy_within(narrow, PROMPT, baseline=diverse, **settings, seed=0)


@pytest.mark.parametrize("baseline_seed", [None, 1])
def test_a_model_whose_continuations_are_all_alike_passes_against_itself(narrow, baseline_seed):
    verdict = assert_sequence_entropy_within(narrow, PROMPT, baseline=narrow, **_suite_limits(), seed=0, baseline_seed=baseline_seed)
    assert verdict.passed and verdict.method == "all-equal" and verdict.interval[0] > -0.1


def test_a_diverse_model_against_itself_is_unchanged(diverse):
    verdict = assert_sequence_entropy_within(diverse, PROMPT, baseline=diverse, **_suite_limits(), seed=0)
    assert verdict.passed and verdict.method == "welch" and "known_mass" not in verdict.details


def _two_ways(ids):
    """A first token that is 'a' (0.97) or 'b' (0.0299), 0.0001 elsewhere; then all but certain."""
    if len(ids) == len(PROMPT):
        row = np.full(64, math.log(1e-4 / 62))
        row[[1, 2]] = math.log(0.97), math.log(0.0299)
        return row
    return _narrow_small(ids)


def _narrow_small(ids):
    row = np.full(64, math.log(1e-6 / 63))
    row[hash(ids) % 64] = math.log1p(-1e-6)
    return row


def test_more_paths_decide_where_the_first_looks_paths_leave_too_much_unknown():
    """All 24 first draws take 'a'; 0.03 of the mass is unknown and could hold up to 8 log 64 nats, so
    min 0.5 is undecided. Further looks draw 'b' and leave 1e-4 unknown: FAIL, spending no alpha."""
    model = RowModel("two-ways", 64, _two_ways)
    first = measures.sequence_entropy(model, PROMPT, 24, max_new_tokens=8, seed=0)
    assert first.known_paths is not None and len(first.known_paths) == 1 and first.interval[1] > 0.5
    with pytest.raises(AssertionError, match=r"^FAIL: entropy of 8-token continuations .* < min 0\.50 \(n=(48|72|96), "
                                             r"chain-rule-all-equal, alpha=0\.001, seed=0\)") as failure:
        assert_sequence_entropy_within(model, PROMPT, min_nats=0.5, n=24, max_new_tokens=8, seed=0)
    assert "reproduce" in str(failure.value)
    again = pytest.raises(AssertionError, assert_sequence_entropy_within, model, PROMPT, min_nats=0.5, n=24, max_new_tokens=8, seed=0)
    assert str(again.value) == str(failure.value)  # the seed repeats the further looks


def test_known_paths_interval_by_hand():
    most = math.log(4)
    # one complete path of probability 0.5 (0.8 then 0.625) and value 1.0 (0.6 + 0.4)
    path = ((1, 2), (0.6, 0.4), (math.log(0.8), math.log(0.625)), False)
    low, high, known = known_paths_interval([path], 2, most)
    # 0.2 leaves at the first step (value 0.6 + [0, log 4]); 0.3 at the second (value 1.0 exactly)
    assert known == pytest.approx(0.5)
    assert low == pytest.approx(0.5 * 1.0 + 0.2 * 0.6 + 0.3 * 1.0)
    assert high == pytest.approx(0.5 * 1.0 + 0.2 * (0.6 + most) + 0.3 * 1.0)
    # the brief's bound p v + (1 - p) L log V is looser
    assert high < 0.5 * 1.0 + 0.5 * 2 * most
    # a path that stopped short without ending leaves its rest unknown; nothing drawn: [0, L log V]
    assert known_paths_interval([((1,), (0.6,), (0.0,), False)], 2, most) == pytest.approx((0.6, 0.6 + most, 0.0))
    assert known_paths_interval([((1,), (0.6,), (0.0,), True)], 2, most) == pytest.approx((0.6, 0.6, 1.0))
    assert known_paths_interval([], 2, most) == pytest.approx((0.0, 2 * most, 0.0))
    with pytest.raises(ValueError, match="one entropy and one log-probability per token"):
        known_paths_interval([((1, 2), (0.6,), (0.0,), False)], 2, most)


def test_a_collapsed_sequence_entropy_keeps_its_paths_through_a_stored_baseline(narrow):
    """The drawn paths ride along in the result (plain tuples): the results cache pickles them, a stored
    baseline writes them as JSON and reads them back equal."""
    import json
    import pickle

    from pytest_worldprior.baselines import codec

    result = measures.sequence_entropy(narrow, PROMPT, 24, max_new_tokens=8, seed=0)
    assert len(result.known_paths) == 1 and result.known_paths[0].count == 24
    assert pickle.loads(pickle.dumps(result)) == result
    assert codec.decode(json.loads(json.dumps(codec.encode(result), allow_nan=False))) == result


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_the_drawn_paths_log_probabilities_are_those_they_were_sampled_with(temperature):
    """Teacher-forced, at the check's temperature: the same log-probabilities the sampler drew each token with."""
    from pytest_worldprior.measures.entropy import sequence_paths

    model = RowModel("two-ways", 64, _two_ways)
    samples = {tuple(s.token_ids): s for s in model.sample(PROMPT, 24, max_new_tokens=8, temperature=temperature, seed=3)}
    paths = sequence_paths(model, PROMPT, 24, max_new_tokens=8, temperature=temperature, seed=3)
    assert sum(path.count for path in paths) == 24 and {path.tokens for path in paths} == set(samples)
    for path in paths:
        assert path.logprobs == pytest.approx(samples[path.tokens].sampling_logprobs, abs=1e-9)
        assert not path.ended
