"""Prior shift: how differently the candidate predicts text than the baseline, token by token, along
the candidate's own continuations of probe prompts. Token-level KL needs a shared tokenizer; where the
two models tokenize differently the check is skipped with the reason, and the closed-set checks in
test_random_choices.py are the comparison that remains. (SCIENCE.md, "drift from the base model")"""

import pytest
from thresholds import MAX_PRIOR_KL

from pytest_worldprior import assert_prior_shift_within
from pytest_worldprior.measures import TokenizerMismatchError
from pytest_worldprior.measures.prior_shift import check_same_tokenizer

PROBES = ["Q: Are bugs real?\nA:", "Once upon a time, there was a", "Let us raise a glass to", "Tom: Hello!\nAnna:"]


def test_prior_shift_within_limit(worldprior_model, worldprior_baseline, worldprior_seed):
    try:
        check_same_tokenizer(worldprior_model, worldprior_baseline)
    except TokenizerMismatchError as mismatch:
        pytest.skip(f"token-level prior shift not measured: {mismatch}")
    assert_prior_shift_within(worldprior_model, worldprior_baseline, PROBES, max_kl=MAX_PRIOR_KL, seed=worldprior_seed)
