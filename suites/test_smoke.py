"""Smoke check of the default models: they load and answer. The full suite comes with later issues."""

import numpy as np


def test_candidate_and_baseline_answer(worldprior_model, worldprior_baseline, worldprior_seed):
    for model in (worldprior_model, worldprior_baseline):
        logprobs = model.next_token_logprobs(["Q: Are bugs real?\nA:"])
        np.testing.assert_allclose(np.exp(logprobs).sum(), 1.0, atol=1e-9)
        samples = model.sample("Q: Are bugs real?\nA:", 2, max_new_tokens=16, seed=worldprior_seed)
        assert all(s.token_ids for s in samples)
