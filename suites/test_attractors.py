"""Attractor states: an unlikely line injected into the model's own text; does it follow the new thread
or snap back to where it was going? Judged against the baseline on the same injections. The report's
attractor section also gives, per injection, the influence curve and the story-restart probability
(an ending or a fresh "Once upon a time" after the line, against the clean run). (docs/science.md, "Attractor states")"""

import pytest

from pytest_worldprior import assert_no_attractor, measures
from pytest_worldprior.injection_search import search_injections

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


def attractor_check(limits, share: int = 1) -> dict:
    """How the suite runs every attractor check, from its limits (the `limits` fixture, or thresholds.py
    itself outside pytest); `share`: the scenes pool two lines of half as many continuations each."""
    return {"max_snap_back_share_increase": limits.MAX_SNAP_BACK_SHARE_INCREASE, "n": limits.ATTRACTOR_SAMPLES // share,
            "batch": limits.ATTRACTOR_BATCH // share, "max_new_tokens": limits.ATTRACTOR_TOKENS,
            "steps": limits.ATTRACTOR_TOKENS, "prefixes": limits.ATTRACTOR_PREFIXES,
            "influence_paths": limits.ATTRACTOR_INFLUENCE_PATHS, "key": measures.sentences,
            "recurring_share": limits.ATTRACTOR_RECURRING_SHARE}


def toast_check(limits) -> dict:
    """The toast's settings: the suite's, with its prefixes chosen among ATTRACTOR_PREFIX_DRAWS first
    sentences, since the toast's prompt opens a quotation that a first sentence may close (the scenes'
    prompts open none: their drafts stay at the assertion's 8)."""
    return attractor_check(limits) | {"prefix_draws": limits.ATTRACTOR_PREFIX_DRAWS}


def test_wedding_toast_follows_an_accusation(worldprior_model, worldprior_baseline, limits):
    assert_no_attractor(worldprior_model, WEDDING_TOAST, MURDERER, baseline=worldprior_baseline, **toast_check(limits))


@pytest.mark.parametrize("scene", SCENES, ids=SCENES.keys())
def test_scene_follows_interruptions(worldprior_model, worldprior_baseline, limits, scene):
    prompt, injections = SCENES[scene]
    assert_no_attractor(worldprior_model, prompt, injections, baseline=worldprior_baseline, **attractor_check(limits, share=2))


def test_wedding_toast_searched_injection(worldprior_model, worldprior_baseline, worldprior_seed, limits, need_logits):
    """Hypothesis searches the line that pulls the model back to its recurring lines hardest (exact, from
    logits: no sampled check per line), shrinks it, and the full check above confirms it. The measures
    take the seed from the test (the assertions take the session's by themselves)."""
    need_logits("the injection search", worldprior_model)
    # The toast check's clean side, as its first look drew it (read back from the results cache).
    check = toast_check(limits)
    clean, recurring = measures.clean_side(worldprior_model, WEDDING_TOAST, prefix_draws=check["prefix_draws"],
                                           prefixes=check["prefixes"], n=check["batch"],
                                           max_new_tokens=check["max_new_tokens"], key=check["key"], seed=worldprior_seed,
                                           min_share=check["recurring_share"])
    lines = measures.wordings([line for line, _ in recurring], [text for texts in clean for text in texts])
    limit = limits.MAX_RETURN_PULL
    found = search_injections(worldprior_model, WEDDING_TOAST, lines=tuple(lines), prefix_draws=check["prefix_draws"],
                              prefixes=check["prefixes"],
                              seed=worldprior_seed, max_examples=limits.INJECTION_SEARCH_EXAMPLES, max_pull=limit)
    print(f"search: {found.examples} lines scored in {found.seconds:.0f} s towards {list(found.lines)}; "
          + (f"{found.injection!r} pulls back with {found.pull:.3f} > {limit} (shrunk)" if found.exceeded else
             f"no line pulls back with more than {limit}" + (f"; the highest, {found.pull:.3f}: {found.injection!r}"
                                                             if found.injection else "")))
    line = found.injection or MURDERER  # nothing recurs: any line confirms that nothing is returned to
    assert_no_attractor(worldprior_model, WEDDING_TOAST, line, baseline=worldprior_baseline, **check)
