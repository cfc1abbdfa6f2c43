"""Mode collapse: on open prompts (many good answers) the candidate must not be far narrower than the
baseline. Three views: exact next-token entropy from logits, the entropy of short continuations (chain
rule along sampled paths), and the share of samples that open with the same words (text only, so it
also compares models whose tokenizers differ). (docs/science.md, "Mode collapse")"""

import pytest

from pytest_worldprior import assert_entropy_within, assert_mode_share_within, assert_sequence_entropy_within

OPEN_PROMPTS = {
    "bugs": "Q: Are bugs real?\nA:",
    "meaning": "Q: What is the meaning of life?\nA:",
    "cat-name": "Q: What should I name my cat?\nA:",
    "story": "Once upon a time, there was a",
    "poem": "Here is a short poem about the sea:\n",
    "advice": "My best advice for someone starting their first job is",
}
# The sampled views cost seconds per prompt: three prompts, one of each kind (question, story, advice).
SAMPLED_PROMPTS = {name: OPEN_PROMPTS[name] for name in ("bugs", "story", "advice")}


@pytest.mark.parametrize("prompt", OPEN_PROMPTS.values(), ids=OPEN_PROMPTS.keys())
def test_open_prompt_entropy_not_far_below_baseline(worldprior_model, worldprior_baseline, limits, need_logits, prompt):
    need_logits("the baseline's exact entropy", worldprior_baseline)  # the candidate may give top-k only
    assert_entropy_within(worldprior_model, prompt, baseline=worldprior_baseline, max_drop_nats=limits.MAX_ENTROPY_DROP_NATS)


@pytest.mark.parametrize("prompt", SAMPLED_PROMPTS.values(), ids=SAMPLED_PROMPTS.keys())
def test_continuation_entropy_not_far_below_baseline(worldprior_model, worldprior_baseline, limits, need_logits, prompt):
    need_logits("continuation entropy", worldprior_model, worldprior_baseline)
    tokens = limits.SEQUENCE_ENTROPY_TOKENS
    assert_sequence_entropy_within(worldprior_model, prompt, baseline=worldprior_baseline,
                                   max_drop_nats=limits.MAX_SEQUENCE_ENTROPY_DROP_NATS_PER_TOKEN * tokens,
                                   n=limits.SEQUENCE_ENTROPY_SAMPLES, max_new_tokens=tokens)


@pytest.mark.parametrize("prompt", SAMPLED_PROMPTS.values(), ids=SAMPLED_PROMPTS.keys())
def test_answers_do_not_all_open_the_same_way(worldprior_model, worldprior_baseline, limits, prompt):
    assert_mode_share_within(worldprior_model, prompt, baseline=worldprior_baseline,
                             max_top_share_increase=limits.MAX_MODE_TOP_SHARE_INCREASE, n=limits.MODE_SHARE_SAMPLES)
