"""Mode collapse: on open prompts (many good answers) the candidate must not be far narrower than the
baseline. Exact next-token entropy from logits. (SCIENCE.md, "mode collapse")"""

import pytest
from thresholds import MAX_ENTROPY_DROP_NATS

from pytest_worldprior import assert_entropy_within

OPEN_PROMPTS = {
    "bugs": "Q: Are bugs real?\nA:",
    "meaning": "Q: What is the meaning of life?\nA:",
    "cat-name": "Q: What should I name my cat?\nA:",
    "story": "Once upon a time, there was a",
    "poem": "Here is a short poem about the sea:\n",
    "advice": "My best advice for someone starting their first job is",
}


@pytest.mark.parametrize("prompt", OPEN_PROMPTS.values(), ids=OPEN_PROMPTS.keys())
def test_open_prompt_entropy_not_far_below_baseline(worldprior_model, worldprior_baseline, prompt):
    assert_entropy_within(worldprior_model, prompt, baseline=worldprior_baseline, max_drop_nats=MAX_ENTROPY_DROP_NATS)
