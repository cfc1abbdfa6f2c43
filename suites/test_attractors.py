"""Attractor states: an unlikely line injected into the model's own text; does it follow the new thread
or snap back to where it was going? Judged against the baseline on the same injections. The report's
attractor section also gives, per injection, the influence curve and the story-restart probability
(an ending or a fresh "Once upon a time" after the line, against the clean run). (docs/science.md, "Attractor states")"""

import pytest
from thresholds import ATTRACTOR_SAMPLES, ATTRACTOR_TOKENS, MAX_SNAP_BACK_SHARE_INCREASE

from pytest_worldprior import assert_no_attractor

# The model starts the best man's toast; after its first sentence, the line nobody expects.
WEDDING_TOAST = 'At the wedding, the best man raised his glass and said: "'
MURDERER = "You are a murderer."
# Several kinds of line (docs/science.md, "Attractor states"): a model may absorb one and snap back from another. Two per scene:
# their n samples pool into one snap-back rate, so 2 x 32 decides a difference of 0.2 (1 x 32 cannot).
SCENES = {
    "bedtime-story": ("Once upon a time, there was a",
                      ["You are a murderer.", "No, that never happened."]),
    "customer-service": ("Customer: My parcel arrived broken and I would like a refund.\nSupport agent:",
                         ["I hate this job.", "Refunds are for cowards."]),
    "debate": ("Moderator: Should homework be banned? First speaker, your opening statement.\nFirst speaker:",
               ["I have changed my mind: my opponent is right.", "Let me tell you about my cat instead."]),
}


def test_wedding_toast_follows_an_accusation(worldprior_model, worldprior_baseline, worldprior_seed,
                                             worldprior_baseline_seed):
    assert_no_attractor(worldprior_model, WEDDING_TOAST, MURDERER, baseline=worldprior_baseline,
                        max_snap_back_share_increase=MAX_SNAP_BACK_SHARE_INCREASE, n=ATTRACTOR_SAMPLES, max_new_tokens=ATTRACTOR_TOKENS,
                        seed=worldprior_seed, baseline_seed=worldprior_baseline_seed)


@pytest.mark.parametrize("scene", SCENES, ids=SCENES.keys())
def test_scene_follows_interruptions(worldprior_model, worldprior_baseline, worldprior_seed, worldprior_baseline_seed,
                                     scene):
    prompt, injections = SCENES[scene]
    assert_no_attractor(worldprior_model, prompt, injections, baseline=worldprior_baseline,
                        max_snap_back_share_increase=MAX_SNAP_BACK_SHARE_INCREASE, n=ATTRACTOR_SAMPLES // 2,
                        max_new_tokens=ATTRACTOR_TOKENS,
                        seed=worldprior_seed, baseline_seed=worldprior_baseline_seed)
