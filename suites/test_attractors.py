"""Attractor states: an unlikely line injected into the model's own text; does it follow the new thread
or snap back to where it was going? Judged against the baseline on the same injections. The report's
attractor section also gives, per injection, the influence curve and the story-restart probability
(an ending or a fresh "Once upon a time" after the line, against the clean run). (docs/science.md, "Attractor states")"""

import pytest
from thresholds import (
    ATTRACTOR_BATCH,
    ATTRACTOR_SAMPLES,
    ATTRACTOR_STEPS,
    ATTRACTOR_TOKENS,
    MAX_SNAP_BACK_SHARE_INCREASE,
)

from pytest_worldprior import assert_no_attractor, measures

# The model starts the best man's toast; after its first sentence, the line nobody expects. The tuned
# gemma checkpoints return to their stock closing ("So let us all raise our glasses to the happy
# couple!") after it: the classes are every sentence a continuation holds (measures.sentences), since
# on real text the stock line comes back somewhere, rarely last.
WEDDING_TOAST = 'At the wedding, the best man raised his glass and said: "'
MURDERER = "You are a murderer."
# Several kinds of line (docs/science.md, "Attractor states"): a model may absorb one and snap back from another. Two per scene:
# their samples pool into one snap-back rate (2 x 64 at most, looks of 2 x 16), as many as the toast's.
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
                        max_snap_back_share_increase=MAX_SNAP_BACK_SHARE_INCREASE, n=ATTRACTOR_SAMPLES,
                        batch=ATTRACTOR_BATCH, max_new_tokens=ATTRACTOR_TOKENS, steps=ATTRACTOR_STEPS,
                        key=measures.sentences, seed=worldprior_seed, baseline_seed=worldprior_baseline_seed)


@pytest.mark.parametrize("scene", SCENES, ids=SCENES.keys())
def test_scene_follows_interruptions(worldprior_model, worldprior_baseline, worldprior_seed, worldprior_baseline_seed,
                                     scene):
    prompt, injections = SCENES[scene]
    assert_no_attractor(worldprior_model, prompt, injections, baseline=worldprior_baseline,
                        max_snap_back_share_increase=MAX_SNAP_BACK_SHARE_INCREASE, n=ATTRACTOR_SAMPLES // 2,
                        batch=ATTRACTOR_BATCH // 2, max_new_tokens=ATTRACTOR_TOKENS, steps=ATTRACTOR_STEPS,
                        key=measures.sentences, seed=worldprior_seed, baseline_seed=worldprior_baseline_seed)
