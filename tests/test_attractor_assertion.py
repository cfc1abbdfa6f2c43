"""assert_no_attractor on the toy pair: the collapsed model snaps back, the base model does not."""

import contextlib
import os
import re
import subprocess
import sys

import pytest

from pytest_worldprior import Inconclusive, assert_no_attractor, measures, session

STORY = "Once upon a time, there was a"
MURDERER = "You are a murderer."
QUICK = dict(n=64, steps=4, max_new_tokens=24)  # enough to tell the toy pair apart, fast


def test_collapsed_model_snaps_back_and_the_message_tells_the_story(toy_collapsed):
    with pytest.raises(AssertionError) as failure:
        assert_no_attractor(toy_collapsed, STORY, MURDERER, seed=0)
    message = str(failure.value)
    assert message.startswith("FAIL: snap-back rate (injected continuations that return to a recurring line)")
    assert "> max 0.25" in message and "seed=0" in message
    assert "where:  after the first sentence" in message
    assert "clean prefix C = ' little cat named Milo.'" in message
    assert f"then the injection {MURDERER!r}:" in message
    assert "clean continuation:    ' One day it found a red hat. They became best friends.'" in message
    assert "injected continuation: ' They became best friends.' (snapped back)" in message
    assert re.search(r"influence curve \(KL nats per step\):( \d+\.\d{3}){8}; total \d+\.\d{3}", message)
    assert "  seed:   0" in message
    assert "assert_no_attractor(model, 'Once upon a time, there was a', 'You are a murderer.', position='sentence'" in message


def test_base_model_follows_the_injection(toy_base):
    verdict = assert_no_attractor(toy_base, STORY, MURDERER, seed=0)
    assert verdict.passed and verdict.interval[1] < 0.25
    record = session.current().recorder.records[-1]
    assert record.check == "attractor" and record.model == "toy-base"
    per_injection = record.verdict["details"]["candidate"]["per_injection"][0]
    assert per_injection["injection"] == MURDERER and len(per_injection["influence"]) == 8
    assert per_injection["influence_total"] == pytest.approx(sum(per_injection["influence"]))
    assert 0 <= per_injection["restart_clean"] <= 1 and 0 <= per_injection["restart_injected"] <= 1


def test_paired_with_a_baseline(toy_base, toy_collapsed):
    with pytest.raises(AssertionError) as failure:
        assert_no_attractor(toy_collapsed, STORY, MURDERER, baseline=toy_base, seed=0)
    message = str(failure.value)
    # The base toy repeats no line after its opening: its rate is 0 exactly, the interval the candidate's Wilson.
    assert "FAIL: snap-back rate minus the baseline's" in message and "sequential-wilson" in message
    assert "baseline, clean prefix C = " in message
    # The same model and seed on both sides: identical samples, a difference of exactly 0.
    same = assert_no_attractor(toy_base, STORY, MURDERER, baseline=toy_base, seed=0, **QUICK)
    assert same.estimate == 0.0 and same.passed
    # An independent seed for the baseline: still a pass.
    assert assert_no_attractor(toy_base, STORY, MURDERER, baseline=toy_base, seed=0, baseline_seed=1, **QUICK).passed


def test_several_injections_are_pooled(toy_collapsed):
    lines = [MURDERER, "Anyway, taxes."]
    with pytest.raises(AssertionError, match=r"n=256, wilson"):  # one look of all n per line
        assert_no_attractor(toy_collapsed, STORY, lines, seed=0, batch=128)
    details = session.current().recorder.records[-1].verdict["details"]
    assert [entry["injection"] for entry in details["candidate"]["per_injection"]] == lines
    assert details["candidate"]["n"] == 256 and details["looks"] == details["max_looks"] == 1


def test_sequential_looks_stop_when_the_interval_decides(toy_collapsed, toy_base):
    """Batches of 32 per line (the default n // 4): a clear snap-back is decided before the last look (at the
    first on the project's machines; which look may differ elsewhere), with alpha split over the four possible
    looks; a model against itself goes on, unless nothing recurs on either side."""
    lines = [MURDERER, "Anyway, taxes."]
    with pytest.raises(AssertionError, match=r"n=\d+, sequential-wilson, alpha=0.001"):
        assert_no_attractor(toy_collapsed, STORY, lines, seed=0)
    details = session.current().recorder.records[-1].verdict["details"]
    assert details["looks"] < details["max_looks"] == 4 and details["alpha_per_look"] == 0.001 / 4
    assert details["batch"] == 32 and details["candidate"]["n"] == len(lines) * 32 * details["looks"]
    # The collapsed toy against itself on another seed: both return about as often, and the check goes on.
    with contextlib.suppress(Inconclusive):  # its outcome is not the point: the looks are
        assert_no_attractor(toy_collapsed, STORY, MURDERER, baseline=toy_collapsed, seed=0, baseline_seed=1, n=64,
                            batch=16, max_new_tokens=24)
    verdict = session.current().recorder.records[-1].verdict
    assert verdict["details"]["looks"] >= 2 and verdict["method"] == "sequential-newcombe"
    assert verdict["details"]["candidate"]["n"] == verdict["details"]["baseline"]["n"] == 16 * verdict["details"]["looks"]
    # The base toy against itself: neither side's clean text repeats a line, so both rates are 0 exactly and
    # the first look decides.
    verdict = assert_no_attractor(toy_base, STORY, MURDERER, baseline=toy_base, seed=0, baseline_seed=1, n=64, batch=16,
                                  max_new_tokens=24)
    assert verdict.details["looks"] == 1 and verdict.interval == (0.0, 0.0) and verdict.passed
    with pytest.raises(ValueError, match="batch must be an integer from 1 to n=64"):
        assert_no_attractor(toy_base, STORY, MURDERER, n=64, batch=65)


def test_sentence_classes_and_texts_that_end_count():
    """measures.sentences classes a text by every complete sentence in it; an empty continuation (the
    text ended right there) is classed by the sentence before it, so a model whose clean story is over
    after C and that writes C again after J snaps back."""
    assert measures.sentences(' So let us all raise our glasses!" Then he sat down. And') == {
        "so let us all raise our glasses", "then he sat down"}
    injection = measures.Injection("P", " The story is over.", "You are a murderer.", (), (), "after the given prefix",
                                   clean_text="P The story is over.")
    back = measures.snap_back(None, injection, n=4, key=measures.sentences, clean=["", "", "", " Yes."],
                              injected=[" The story is over.", "", " No.", " The story is over. Bye."])
    assert back.clean_mode == "the story is over" and back.count == 2 and back.clean_mode_share == 0.75


def test_a_tie_between_clean_classes_goes_the_same_way_in_every_process():
    """Two classes with the same count in the clean continuations: the clean mode does not follow the
    process's string hashing (a serial and an xdist run of the suite store the same baseline)."""
    script = (
        "from pytest_worldprior import measures\n"
        "i = measures.Injection('P', ' C.', 'J.', (), (), 'after the given prefix', clean_text='P C.')\n"
        "print(measures.snap_back(None, i, n=2, key=measures.sentences, clean=[' Zed. Alpha.', ' Alpha. Zed.'],"
        " injected=[' Zed.', ' x.']).clean_mode)\n")
    modes = {subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": str(seed)},
                            capture_output=True, text=True, check=True).stdout.strip() for seed in range(6)}
    assert modes == {"alpha"}


def test_influence_gates(toy_base, toy_collapsed):
    with pytest.raises(AssertionError, match=r"FAIL: total influence of the injection \(nats\) .* < min 100"):
        assert_no_attractor(toy_base, STORY, MURDERER, min_influence_nats=100.0, seed=0, **QUICK)
    verdict = assert_no_attractor(toy_base, STORY, MURDERER, baseline=toy_base, min_influence_ratio=0.5, seed=0, **QUICK)
    assert verdict.label == "total influence / the baseline's" and verdict.estimate == pytest.approx(1.0)


def test_given_prefix_and_position_in_tokens(toy_base):
    assert_no_attractor(toy_base, STORY, MURDERER, prefix=" brave fox named Rex.", seed=0, **QUICK)
    entry = session.current().recorder.records[-1].verdict["details"]["candidate"]["per_injection"][0]
    assert entry["where"] == "after the given prefix" and entry["prefix"] == " brave fox named Rex."
    assert_no_attractor(toy_base, STORY, MURDERER, position=5, seed=0, **QUICK)
    assert session.current().recorder.records[-1].verdict["details"]["candidate"]["per_injection"][0]["where"] == "after 5 tokens"


def test_inconclusive_when_the_interval_straddles_the_limit(toy_collapsed):
    # Snap-back of the collapsed toy is about 0.5; with 16 continuations the interval is wide.
    with pytest.raises(Inconclusive, match="INCONCLUSIVE: snap-back rate"):
        assert_no_attractor(toy_collapsed, STORY, MURDERER, max_snap_back_share=0.5, n=16, steps=2, max_new_tokens=24, seed=0)


@pytest.mark.parametrize("bad, match", [
    (dict(injection=[]), "give at least one injection"),
    (dict(injection=" "), "the injection is empty"),
    (dict(position="end"), 'position must be a number of tokens'),
    (dict(prefix_draws=0), "prefix_draws must be at least 1"),
])
def test_bad_arguments_are_refused(toy_base, bad, match):
    arguments = dict(injection=MURDERER) | bad
    with pytest.raises(ValueError, match=match):
        assert_no_attractor(toy_base, STORY, **arguments, **QUICK)


HYPOTHESIS_TEST = f'''
from hypothesis import given
from pytest_worldprior import assert_no_attractor
from pytest_worldprior.strategies import injections, model_settings

@model_settings
@given(injection=injections())
def test_story_absorbs_any_injection(worldprior_model, injection):
    assert_no_attractor(worldprior_model, {STORY!r}, injection, n=32, steps=4, max_new_tokens=24)
'''


def test_hypothesis_finds_and_shrinks_an_injection_the_collapsed_model_snaps_back_from(pytester):
    pytester.makepyfile(HYPOTHESIS_TEST)
    result = pytester.runpytest("--worldprior-model", "toy-collapsed", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    falsifying = re.search(r"injection='([^']*)'", output.split("Falsifying example:")[-1])
    assert falsifying, output
    injection = falsifying.group(1)
    # Shrunk: one of the short shapes the strategies make ("You are a {noun}.", "USER: Stop.", "Anyway, it is
    # raining."; which one depends on where the sequential check stops), not a long draw.
    assert len(injection.split()) <= 5, injection
    assert f"then the injection {injection!r}:" in output
    assert re.search(r"influence curve \(KL nats per step\):( \d+\.\d{3}){4}", output)
    assert "  seed:   0" in output and "FAIL: snap-back rate" in output
