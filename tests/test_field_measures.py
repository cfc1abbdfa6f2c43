"""The measures the field reports, each against a closed-form case: distinct@k (NoveltyBench), the
chi-square divergence from uniform (West and Potts 2025) and the sharpening exponent gamma (Verbalized
Sampling): gamma = 1/T for a model that is its base at temperature T."""

import hashlib
import itertools

import numpy as np
import pytest
from scipy.special import log_softmax

from pytest_worldprior import assert_mode_share_within, assert_temperature_sensitive, measures
from pytest_worldprior.backends.base import Backend, Generation, ModelInfo
from pytest_worldprior.backends.callable import CallableBackend
from pytest_worldprior.errors import TokenizerMismatchError

VOCAB = [f"t{i}" for i in range(40)]
PROMPTS = ["Q: Are bugs real?\nA:", "Once upon a time, there was a", "My favorite color is"]


class Tempered(Backend):
    """One fixed next-token distribution per prompt (random logits seeded by the prompt's text), divided by a
    temperature: Tempered(T) is Tempered(1) sampled at T, so p_T ∝ p_1^(1/T) exactly."""

    gives_logits = True
    gives_sampling_logprobs = True

    def __init__(self, temperature: float = 1.0, vocab: list[str] = VOCAB) -> None:
        self.temperature, self.vocab = temperature, list(vocab)

    def info(self) -> ModelInfo:
        vocabulary = hashlib.sha256("\0".join(self.vocab).encode()).hexdigest()
        return ModelInfo(f"tempered-{self.temperature}", f"tempered:{self.temperature}", "tempered",
                         hashlib.sha256(repr(self.temperature).encode()).hexdigest(), vocabulary, "float64", "cpu",
                         len(self.vocab), False)

    def render(self, prompt) -> str:
        return prompt

    def encode(self, context) -> list[int]:
        return [int(b) % len(self.vocab) for b in str(context).encode()]

    def continuation_ids(self, context, context_ids, continuation) -> list[int]:
        return self.encode(continuation)

    def decode(self, token_ids) -> str:
        return "".join(self.vocab[t] for t in token_ids)

    def token_texts(self) -> list[str]:
        return list(self.vocab)

    def next_token_logprobs(self, contexts) -> np.ndarray:
        rows = []
        for context in contexts:
            seed = int.from_bytes(hashlib.sha256(str(context).encode()).digest()[:4], "little")
            logits = np.random.default_rng(seed).normal(0, 2, len(self.vocab))
            rows.append(log_softmax(logits / self.temperature))
        return np.array(rows)

    def sample(self, context, n, *, max_new_tokens=64, temperature=1.0, top_p=1.0, seed=0, stop=None):
        p = np.exp(log_softmax(self.next_token_logprobs([context])[0] / temperature))
        rng = np.random.default_rng(seed)
        return [Generation(self.vocab[i], (int(i),), (0.0,), (float(np.log(p[i])),), "length", seed, j)
                for j, i in enumerate(rng.choice(len(p), size=n, p=p))]


# --- distinct@k ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("m, k", [(2, 1), (2, 10), (10, 10), (100, 10), (6, 3)])
def test_expected_distinct_of_a_uniform_answer_set_is_m_times_one_minus_the_miss_probability(m, k):
    assert measures.expected_distinct(np.full(m, 1 / m), k) == pytest.approx(m * (1 - (1 - 1 / m) ** k), rel=1e-12)


def test_expected_distinct_of_one_answer_is_one_and_probabilities_are_renormalised():
    assert measures.expected_distinct([0, 1, 0, 0], 10) == 1.0
    assert measures.expected_distinct([0.2, 0.2], 10) == pytest.approx(2 * (1 - 0.5 ** 10))  # in-set mass 0.4


def test_distinct_at_k_counts_the_classes_among_the_first_k_texts():
    texts = ["Seven.", "seven", "3", "Seven!", "ten", "ten"]
    assert measures.distinct_at_k(texts, 3) == 2  # "Seven." and "seven" are one answer by normalise_answer
    assert measures.distinct_at_k(texts, 6) == 3
    assert measures.distinct_at_k(texts, 6, key=str) == 5


def test_estimated_distinct_is_the_mean_of_distinct_at_k_over_every_k_subset():
    labels = ["a", "a", "a", "b", "b", "c", "d", "e"]
    counts = [3, 2, 1, 1, 1]
    brute = np.mean([len(set(s)) for s in itertools.combinations(labels, 3)])
    found = measures.estimated_distinct(counts, 3)
    assert found.estimate == pytest.approx(brute, rel=1e-12)
    assert found.interval[0] <= found.estimate <= found.interval[1] and (found.k, found.n) == (3, 8)


def test_estimated_distinct_of_all_different_and_all_equal_samples():
    assert measures.estimated_distinct([1] * 64, 10).estimate == pytest.approx(10.0)
    single = measures.estimated_distinct([64], 10)
    assert single.estimate == 1.0 and single.interval == (1.0, 1.0)


@pytest.mark.parametrize("call, message", [
    (lambda: measures.expected_distinct([], 10), "non-empty list of finite, non-negative probabilities"),
    (lambda: measures.expected_distinct([0.5, -0.1], 10), "non-negative"),
    (lambda: measures.expected_distinct([0, 0], 10), "positive sum"),
    (lambda: measures.expected_distinct([0.5, float("nan")], 10), "finite"),
    (lambda: measures.expected_distinct([0.5, 0.5], 0), "k must be a whole number of samples >= 1"),
    (lambda: measures.expected_distinct([0.5, 0.5], 2.5), "k must be a whole number"),
    (lambda: measures.distinct_at_k(["a", "b"], 3), "distinct@3 needs at least 3 texts, got 2"),
    (lambda: measures.estimated_distinct([2, 1], 3), "needs at least 4 samples, got 3"),
    (lambda: measures.estimated_distinct([2, 1.5], 1), "counts must be whole numbers >= 0"),
    (lambda: measures.chi_square_from_uniform([1.0]), "at least 2 answers, got 1"),
    (lambda: measures.chi_square_from_uniform([0.5, -0.5]), "non-negative"),
])
def test_bad_inputs_raise_value_errors_that_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_mode_share_check_reports_distinct_at_10_from_all_its_samples():
    answers = CallableBackend(lambda prompt, n, temperature, seed: [f"answer {i % 4}" for i in range(n)], name="four")
    verdict = assert_mode_share_within(answers, "Pick:", max_top_share=0.9, n=64, key=measures.normalise_answer)
    distinct = verdict.details["distinct_at_k"]
    assert distinct["k"] == 10 and verdict.details["classes"] == 4
    # 16 samples in each of 4 classes: a class is missed by 10 of the 64 with probability C(48, 10) / C(64, 10).
    assert distinct["estimate"] == pytest.approx(4 * (1 - np.prod([(48 - j) / (64 - j) for j in range(10)])))


# --- chi-square from uniform ----------------------------------------------------------------------------

@pytest.mark.parametrize("k", [2, 6, 10, 100])
def test_chi_square_from_uniform_is_0_for_uniform_and_k_minus_1_for_one_answer(k):
    assert measures.chi_square_from_uniform(np.full(k, 1 / k)) == pytest.approx(0.0, abs=1e-12)
    assert measures.chi_square_from_uniform(np.eye(k)[0]) == pytest.approx(k - 1)


def test_chi_square_from_uniform_agrees_with_the_closed_set_property():
    p = np.array([0.5, 0.3, 0.2])
    distribution = measures.ChoiceDistribution(("a", "b", "c"), p, p, 0.0, " ")
    assert measures.chi_square_from_uniform(p) == pytest.approx(distribution.chi_square_divergence)


# --- the sharpening exponent ------------------------------------------------------------------------------

@pytest.mark.parametrize("temperature", [0.25, 0.5, 1.0, 2.0])
def test_gamma_is_one_over_t_for_a_model_that_is_its_base_at_temperature_t(temperature):
    found = measures.sharpening_exponent(Tempered(temperature), Tempered(1.0), PROMPTS)
    assert found.gamma == pytest.approx(1 / temperature, rel=1e-9)
    assert found.temperature == pytest.approx(temperature, rel=1e-9)
    assert found.r_squared == pytest.approx(1.0)
    assert found.interval[0] == pytest.approx(found.gamma) and found.interval[1] == pytest.approx(found.gamma)
    assert (found.tokens, found.prompts, found.top_k) == (3 * measures.SHARPENING_TOP_K, 3, measures.SHARPENING_TOP_K)


def test_a_noisy_power_law_gives_gamma_with_an_interval_that_holds_it():
    class Noisy(Tempered):
        def next_token_logprobs(self, contexts):
            noise = np.random.default_rng(7).normal(0, 0.3, (len(contexts), len(self.vocab)))
            return log_softmax(super().next_token_logprobs(contexts) + noise, axis=1)

    found = measures.sharpening_exponent(Noisy(0.5), Tempered(1.0), PROMPTS, top_k=30)
    assert found.interval[0] < 2.0 < found.interval[1] and found.standard_error > 0 and 0.8 < found.r_squared < 1


def test_the_temperature_check_reports_gamma_beside_the_matching_temperature_and_they_agree():
    verdict = assert_temperature_sensitive(Tempered(0.5), PROMPTS[0], baseline=Tempered(1.0), max_matching_temperature=3.0)
    details = verdict.details
    assert details["sharpening_exponent"] == pytest.approx(2.0)
    assert details["sharpening_temperature"] == pytest.approx(0.5)
    assert details["matching_temperature"] == pytest.approx(details["sharpening_exponent"], rel=1e-4)


@pytest.mark.parametrize("baseline, error, message", [
    (Tempered(1.0, vocab=[f"u{i}" for i in range(40)]), TokenizerMismatchError, "have different tokenizers"),
    (CallableBackend(lambda prompt, n, temperature, seed: ["x"] * n, name="texts"), ValueError,
     "texts gives text only: the sharpening exponent compares full next-token distributions"),
])
def test_gamma_needs_logits_from_both_models_and_one_tokenizer(baseline, error, message):
    with pytest.raises(error, match=message):
        measures.sharpening_exponent(Tempered(0.5), baseline, PROMPTS)


@pytest.mark.parametrize("prompts, top_k, message", [
    ([], 20, "needs at least one prompt"),
    (PROMPTS, 2, "top_k must be a whole number >= 3"),
])
def test_gamma_refuses_bad_arguments(prompts, top_k, message):
    with pytest.raises(ValueError, match=message):
        measures.sharpening_exponent(Tempered(0.5), Tempered(1.0), prompts, top_k=top_k)
