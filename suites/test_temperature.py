"""Temperature: raising T must restore diversity, and soon enough to reach the baseline's T=1 entropy.
(docs/science.md, "Temperature insensitivity")"""

import pytest

from pytest_worldprior import assert_temperature_sensitive

PROMPTS = {
    "bugs": "Q: Are bugs real?\nA:",
    "story": "Once upon a time, there was a",
    "color": "My favorite color is",
}


@pytest.mark.parametrize("prompt", PROMPTS.values(), ids=PROMPTS.keys())
def test_temperature_restores_the_baselines_diversity(worldprior_model, worldprior_baseline, limits, need_logits, prompt):
    need_logits("the temperature check", worldprior_model, worldprior_baseline)
    assert_temperature_sensitive(worldprior_model, prompt, temperatures=limits.TEMPERATURES,
                                 min_gain_nats=limits.MIN_TEMPERATURE_GAIN_NATS, baseline=worldprior_baseline,
                                 max_matching_temperature=limits.MAX_MATCHING_TEMPERATURE)
