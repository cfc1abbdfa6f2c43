"""Half precision (--worldprior-dtype float16 / bfloat16): logits checked for NaN and infinity without
overflow, entropies computed in float64 from half-precision logits."""

import numpy as np
import pytest
import torch

from pytest_worldprior import NonFiniteLogitsError, load_model
from pytest_worldprior.measures import next_token_entropy

PROMPTS = ["Q: Are bugs real?\nA:", "The capital of France is", "Once upon a time"]


@pytest.fixture(scope="module")
def toy_half():
    return load_model("toy-base", dtype="float16")


def test_large_finite_half_precision_logits_pass_the_finiteness_check(toy_base):
    # 49,152 logits of 30 sum to 1.5 million, past float16's largest value (65,504): a sum would say "inf".
    logits = torch.full((2, 3, 49152), 30.0, dtype=torch.float16)
    assert not torch.isfinite(logits.sum())
    toy_base._check_finite(logits)  # no error: every logit is finite
    toy_base._check_finite(logits.to(torch.bfloat16))
    for bad in (float("nan"), float("inf"), float("-inf")):
        damaged = logits.clone()
        damaged[1, 2, 40000] = bad
        with pytest.raises(NonFiniteLogitsError, match="NaN or infinite logits"):
            toy_base._check_finite(damaged)


def test_a_float16_model_measures_like_float32(toy_base, toy_half):
    assert toy_half.info().dtype == "float16"
    half = toy_half.next_token_logprobs(PROMPTS)
    assert half.dtype == np.float64  # the log-softmax runs in float64 from the half-precision logits
    np.testing.assert_allclose(np.exp(half).sum(axis=1), 1.0, atol=1e-9)
    entropies = next_token_entropy(toy_half, PROMPTS)
    assert np.abs(entropies - next_token_entropy(toy_base, PROMPTS)).max() < 0.05
    samples = toy_half.sample(PROMPTS[0], 4, max_new_tokens=6, seed=0)
    assert all(s.token_ids and np.isfinite(s.logprobs).all() for s in samples)


def test_a_real_non_finite_logit_of_a_float16_model_still_raises():
    damaged = load_model("toy-base", dtype="float16")
    with torch.no_grad():
        damaged.model.transformer.h[0].mlp.c_fc.weight[0, 0] = float("nan")
    with pytest.raises(NonFiniteLogitsError, match="dtype torch.float16"):
        damaged.next_token_logprobs(["Once upon a time"])


@pytest.fixture(scope="module")
def smollm2_entropies():
    """Next-token entropies of PROMPTS under each dtype, each model loaded once and let go after."""
    def entropies(dtype: str) -> np.ndarray:
        model = load_model("smollm2-135m-instruct", dtype=dtype)
        try:
            return next_token_entropy(model, PROMPTS)
        finally:
            model.close()

    return {dtype: entropies(dtype) for dtype in ("float32", "float16", "bfloat16")}


@pytest.mark.real_model
@pytest.mark.parametrize(("dtype", "nats"), [("float16", 0.05), ("bfloat16", 0.1)])
def test_smollm2_in_half_precision_gives_the_float32_entropies(smollm2_entropies, dtype, nats):
    # Measured: float16 within 0.007 nats; bfloat16 (8-bit mantissa) 0.048-0.053, the model's own arithmetic
    # in bfloat16 (its weights rounded to bfloat16 but run in float32 move the entropies 0.015 at most).
    exact = smollm2_entropies["float32"]
    assert np.all(exact > 0.1)  # real distributions, not collapsed to one token
    assert np.abs(smollm2_entropies[dtype] - exact).max() < nats, (dtype, smollm2_entropies[dtype], exact)
