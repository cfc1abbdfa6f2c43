"""Snap-back returns to what the clean text keeps saying (a set of recurring lines, matched in other
words), over several clean prefixes: text-only function models whose behaviour is written out, so each
case is exact."""

import random

import pytest

from pytest_worldprior import assert_no_attractor, measures
from pytest_worldprior.backends.callable import CallableBackend
from pytest_worldprior.measures import line_match

STORY = "Once upon a time, there was a"
MURDERER = "You are a murderer."
SETTINGS = dict(n=64, batch=64, max_new_tokens=16, key=measures.sentences, seed=0)


def scripted(first_sentences, clean, injected):
    """A model that opens with one of `first_sentences`, writes `clean(rng)` after its own opening and
    `injected(rng)` after the murderer line."""
    def sample_texts(prompt, n, temperature, seed):
        rng = random.Random(f"{prompt}|{seed}")
        if prompt == STORY:
            return [f" {rng.choice(first_sentences)} More." for _ in range(n)]
        return [injected(rng) if prompt.rstrip().endswith(MURDERER) else clean(rng) for _ in range(n)]
    return sample_texts


WORDS = "apple river stone cloud lamp ember frost garden harbor island jungle kettle meadow needle orchard".split()


def wandering(rng):
    """A base model that writes no line twice: three random words a sentence."""
    return " " + " ".join(f"{' '.join(rng.sample(WORDS, 3)).capitalize()}." for _ in range(2))


def model(name, clean, injected, openings=("fox named Rex.",)):
    return CallableBackend(scripted(list(openings), clean, injected), name=name)


def test_a_return_in_other_words_is_a_snap_back():
    """The clean text ends right after C's "Everyone was happy." (so it is classed by that sentence); after
    the line the model writes "Then everyone was happy.": the same line, one word more."""
    tuned = model("ends-happy", lambda rng: "", lambda rng: " Then everyone was happy.")
    base = model("wanders", wandering, wandering)
    prefix = " fox named Rex. Everyone was happy."
    with pytest.raises(AssertionError, match="snap-back rate minus the baseline's") as failed:
        assert_no_attractor(tuned, STORY, MURDERER, baseline=base, prefix=prefix, max_snap_back_share_increase=0.2,
                            **SETTINGS)
    assert "'everyone was happy' (100%)" in str(failed.value) and "64/64" in str(failed.value)
    # With exact string classes alone it would not count: "then everyone was happy" is another string.
    assert not line_match.same_line("then everyone was happy", "everyone was happy", threshold=1.0)


def test_every_recurring_line_counts_not_one_winner():
    """Clean text "A. B." in every continuation; after the line the model skips A and writes B."""
    tuned = model("a-then-b", lambda rng: " The lamp is lit. The door is shut.", lambda rng: " The door is shut.")
    base = model("wanders", wandering, wandering)
    with pytest.raises(AssertionError, match="snap-back rate minus the baseline's"):
        assert_no_attractor(tuned, STORY, MURDERER, baseline=base, max_snap_back_share_increase=0.2, **SETTINGS)
    verdict = measures.snap_back(None, measures.Injection(STORY, " fox.", MURDERER, (), (), "after the given prefix",
                                                          clean_text=STORY + " fox."),
                                 n=4, key=measures.sentences, clean=[" The lamp is lit. The door is shut."] * 4,
                                 injected=[" The door is shut."] * 4)
    assert verdict.count == 4 and {line for line, _ in verdict.recurring} == {"the lamp is lit", "the door is shut"}


def test_a_base_that_writes_unrelated_sentences_does_not_snap_back():
    base = model("wanders", wandering, wandering)
    verdict = assert_no_attractor(base, STORY, MURDERER, max_snap_back_share=0.25, **SETTINGS)
    assert verdict.estimate == 0
    # ... and a model that keeps its line in clean text but follows the injection instead passes too.
    follows = model("follows", lambda rng: " The lamp is lit. The door is shut.", wandering)
    assert assert_no_attractor(follows, STORY, MURDERER, max_snap_back_share=0.25, **SETTINGS).estimate == 0


def test_the_verdict_spreads_over_several_prefixes_and_says_how_each_returned():
    """Two openings: after one the model returns, after the other it does not; prefixes=2 averages them."""
    def clean(rng):
        return " The lamp is lit."

    def sample_texts(prompt, n, temperature, seed):
        rng = random.Random(f"{prompt}|{seed}")
        if prompt == STORY:
            return [f" {['fox named Rex.', 'cat named Tom.'][i % 2]} More." for i in range(n)]
        if prompt.rstrip().endswith(MURDERER):
            return [" The lamp is lit." if "Rex" in prompt else wandering(rng) for _ in range(n)]
        return [clean(rng) for _ in range(n)]

    both = CallableBackend(sample_texts, name="two-openings")
    verdict = assert_no_attractor(both, STORY, MURDERER, max_snap_back_share=0.75, prefixes=2, prefix_draws=4, **SETTINGS)
    assert verdict.estimate == pytest.approx(0.5)
    prefixes = verdict.details["candidate"]["per_injection"][0]["prefixes"]
    assert [(p["prefix"].strip(), p["returned"], p["n"]) for p in prefixes] == [("fox named Rex.", 32, 32),
                                                                                ("cat named Tom.", 0, 32)]
    with pytest.raises(ValueError, match="prefixes=5 is more than prefix_draws=4"):
        assert_no_attractor(both, STORY, MURDERER, max_snap_back_share=0.75, prefixes=5, prefix_draws=4, **SETTINGS)
    with pytest.raises(ValueError, match="prefixes=2 was given with prefix="):
        assert_no_attractor(both, STORY, MURDERER, max_snap_back_share=0.75, prefixes=2, prefix=" fox.", **SETTINGS)


def test_the_line_rule():
    assert line_match.same_line("then everyone was happy", "everyone was happy")
    assert line_match.same_line("so let us raise our glasses to the happy couple",
                                "so let us all raise our glasses to the happy couple")
    assert not line_match.same_line("everyone was sad", "everyone was happy")
    assert not line_match.same_line("yes", "no") and not line_match.same_line("", "")
    # A line held by one text alone does not recur, however few texts there are.
    assert line_match.recurring_lines([{"a b c"}, {"x"}, {"a b c d"}, {"y"}]) == (("a b c", 0.5),)
    with pytest.raises(ValueError, match="min_share must be in"):
        line_match.recurring_lines([{"a"}], min_share=0)


def test_the_last_sentence_ends_at_a_closing_quote():
    """A clean prefix that closes a quote ('always."') and the injected line after it are two sentences: an
    injected text that ends at once is classed by the line J, not by C and J run together (which matched C,
    a recurring line where the clean text is over after C, and counted a return that was none)."""
    before = 'No dia van, no dia contaño, the sun shines on me always." You are a murderer.'
    assert measures.last_sentence(before) == "you are a murderer"
    assert measures.last_sentence('He said: "Go.") Then. And') == "then"
