"""Attractor states: an unlikely line injected into the model's own text; does it follow the new thread
or snap back to where it was going? Judged against the baseline on the same injections.
(SCIENCE.md, "attractor states")"""

from thresholds import ATTRACTOR_SAMPLES, MAX_SNAP_BACK_INCREASE

from pytest_worldprior import assert_no_attractor

# The model starts the best man's toast; after its first sentence, the line nobody expects.
WEDDING_TOAST = 'At the wedding, the best man raised his glass and said: "'
MURDERER = "You are a murderer."
BEDTIME_STORY = "Once upon a time, there was a"
# Several kinds of line (SCIENCE.md): a model may absorb one and snap back from another.
STORY_INJECTIONS = ["You are a murderer.", "Anyway, taxes.", "No, that never happened.", "lol, who cares."]


def test_wedding_toast_follows_an_accusation(worldprior_model, worldprior_baseline, worldprior_seed):
    assert_no_attractor(worldprior_model, WEDDING_TOAST, MURDERER, baseline=worldprior_baseline,
                        max_snap_back_increase=MAX_SNAP_BACK_INCREASE, n=ATTRACTOR_SAMPLES, seed=worldprior_seed)


def test_bedtime_story_follows_interruptions(worldprior_model, worldprior_baseline, worldprior_seed):
    assert_no_attractor(worldprior_model, BEDTIME_STORY, STORY_INJECTIONS, baseline=worldprior_baseline,
                        max_snap_back_increase=MAX_SNAP_BACK_INCREASE, n=ATTRACTOR_SAMPLES // 2, seed=worldprior_seed)
