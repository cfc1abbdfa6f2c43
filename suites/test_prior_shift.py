"""Prior shift: how differently the candidate predicts than the baseline. (docs/science.md, "Prior
shift")

- Token by token, along the candidate's own continuations of probe prompts: KL needs a shared tokenizer,
  so where the two models tokenize differently this check is skipped and the skip says why.
- Over closed answer sets: KL(baseline || candidate) over the complete answers to factual and yes/no
  questions, renormalised over the set, and how often the candidate gives one of the answers at all
  against how often the baseline does (a question the baseline answers and the candidate no longer
  answers is drift). Tokenizer-independent, so it always runs. The sample-level
  comparisons (mode share in test_mode_collapse.py, random choices) also work across tokenizers.
"""

import pytest

from pytest_worldprior import (
    TokenizerMismatchError,
    assert_distribution_close,
    assert_prior_shift_within,
    check_same_tokenizer,
    choice_distribution,
)

PROBES = ["Q: Are bugs real?\nA:", "Once upon a time, there was a", "Let us raise a glass to", "Tom: Hello!\nAnna:"]
CLOSED_PROBES = {
    "capital": ("The capital of France is", ["Paris", "Lyon", "Marseille", "London", "Berlin"]),
    "sky": ("Q: What colour is the sky on a clear day?\nA:", ["Blue", "Grey", "White", "Black"]),
    "boiling": ("Water boils at 100 degrees", ["Celsius", "Fahrenheit", "Kelvin"]),
    "yes-no": ("Q: Is the sun a star?\nA:", ["Yes", "No"]),
}


def test_prior_shift_within_limit(worldprior_model, worldprior_baseline, limits, need_logits):
    need_logits("token-level prior shift", worldprior_model, worldprior_baseline)
    try:
        check_same_tokenizer(worldprior_model, worldprior_baseline)
    except TokenizerMismatchError as mismatch:
        pytest.skip(f"token-level prior shift not measured ({mismatch}); the closed-set and sample-level checks compare these models")
    assert_prior_shift_within(worldprior_model, PROBES, baseline=worldprior_baseline,
                              max_kl_model_baseline_nats=limits.MAX_PRIOR_KL_MODEL_BASELINE_NATS)


@pytest.mark.parametrize("probe", CLOSED_PROBES, ids=CLOSED_PROBES.keys())
def test_closed_set_answers_close_to_baseline(worldprior_model, worldprior_baseline, limits, need_logits, probe):
    need_logits("the baseline's exact answer distribution", worldprior_baseline)  # the candidate may sample
    prompt, choices = CLOSED_PROBES[probe]
    base = choice_distribution(worldprior_baseline, prompt, choices)
    # The baseline's answers are the target, and how often it answers at all: a candidate that no longer
    # answers a question the baseline answers FAILs (MAX_CLOSED_SET_IN_SET_DROP_NATS).
    assert_distribution_close(worldprior_model, prompt, choices, base.probabilities,
                              max_kl_target_model_nats=limits.MAX_CLOSED_SET_KL_TARGET_MODEL_NATS,
                              min_in_set_mass=limits.MIN_IN_SET_MASS, baseline_in_set_mass=base.in_set_mass,
                              max_in_set_drop_nats=limits.MAX_CLOSED_SET_IN_SET_DROP_NATS)
