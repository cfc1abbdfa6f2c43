"""Attractor states: an unlikely line injected into the model's own text; does it follow the new thread
or snap back to where it was going? (SCIENCE.md, "attractor states")"""

from pytest_worldprior import assert_no_attractor

# The model starts the best man's toast; after its first sentence, the line nobody expects.
WEDDING_TOAST = 'At the wedding, the best man raised his glass and said: "'
MURDERER = "You are a murderer."


def test_wedding_toast_follows_an_accusation(worldprior_model, worldprior_baseline, worldprior_seed):
    # Judged against the baseline on the same injection: the candidate may snap back into its clean
    # mode at most 20 points more often than the baseline does.
    assert_no_attractor(worldprior_model, WEDDING_TOAST, MURDERER, baseline=worldprior_baseline,
                        max_snap_back_increase=0.2, n=64, seed=worldprior_seed)
