"""Closed-set answers (issue 16): an answer ends where the text moves on, never inside a list ("1, 2, 3" is
not the answer "1"), and a model that rarely answers is INCONCLUSIVE, not judged on renormalised noise.
The rule on strings and on the toy pair; on both real tokenizers (marked real_model). For drift from a
baseline that answers (issue 25, item 3), a candidate that stops answering FAILs instead."""

import re

import numpy as np
import pytest
from test_backend_contract import Bigram
from test_backend_contract import table as bigram_table

from pytest_worldprior import Inconclusive, assert_distribution_close, assert_uniform_choice, load_model, session
from pytest_worldprior.backends.callable import CallableBackend
from pytest_worldprior.measures import choice_distribution
from pytest_worldprior.measures.closed_set import MIN_IN_SET_MASS, _ending_tokens, ends_answer
from pytest_worldprior.report import terminal as report

NUMBER = "Pick a random number from 1 to 10:"
DIGITS = [str(i) for i in range(1, 11)]
COIN = "I flipped a coin. It came up"  # the toys never saw a coin: in-set mass 0.000

CONTINUE = [",", ", ", " 2", "2", "0", "-", " -", "/", ";", ":", " to", " or", " and", " through", " ", "  ",
            ".5", "..", "...", "'s", "',"]
END = ["", "\n", "\n\n", ".", ". ", ".\n", "!", "?", " (", "'", "'\n", " I", " because", " The", " \n"]


@pytest.mark.parametrize("following", CONTINUE)
def test_a_list_a_range_or_a_longer_word_goes_on(following):
    assert not ends_answer(following)


@pytest.mark.parametrize("following", END)
def test_a_newline_a_sentence_end_a_new_clause_or_the_end_of_text_ends_the_answer(following):
    assert ends_answer(following)


def test_the_ending_factor_is_the_mass_of_the_ending_tokens_from_one_distribution(toy_base):
    """raw = P(" 1") x (sum of P over the tokens that end it, eos included), from one next-token distribution."""
    dist = choice_distribution(toy_base, NUMBER, DIGITS)
    ids = toy_base.encode(NUMBER)
    answer = toy_base.continuation_ids(NUMBER, ids, " 1")
    after = np.exp(toy_base.next_token_logprobs([ids + answer])[0])
    ending = _ending_tokens(toy_base, after.shape[0])
    texts = toy_base.token_texts()
    assert ending[sorted(toy_base.eos_ids)].all() and ending[texts.index("\n")] and ending[texts.index(".")]
    assert not ending[texts.index(",")] and not ending[texts.index("-")] and not ending[texts.index(" 2")]
    expected = np.exp(toy_base.score([ids], [answer])[0]) * after[ending].sum()
    assert dist.raw[0] == pytest.approx(expected, rel=1e-6)
    assert dist.in_set_mass == pytest.approx(dist.raw.sum()) and dist.as_dict()["in_set_mass"] == dist.in_set_mass


def test_a_model_that_rarely_answers_is_inconclusive_with_the_mass_in_the_message(toy_base):
    mass = choice_distribution(toy_base, COIN, ["heads", "tails"]).in_set_mass
    assert mass < MIN_IN_SET_MASS
    with pytest.raises(Inconclusive) as raised:
        assert_uniform_choice(toy_base, COIN, ["heads", "tails"])
    first = str(raised.value).splitlines()[0]
    assert first.startswith("INCONCLUSIVE: the model rarely answers in this framing: in-set mass ")
    assert "vs min 0.05" in first and "(exact)" in first
    with pytest.raises(Inconclusive, match="the model rarely answers to this question: in-set mass"):
        assert_distribution_close(toy_base, COIN, ["heads", "tails"], [0.5, 0.5])
    # The floor is an argument: 0 judges whatever mass there is.
    assert assert_uniform_choice(toy_base, COIN, ["heads", "tails"], max_top_share=1.0, min_in_set_mass=0.0).passed
    with pytest.raises(ValueError, match="min_in_set_mass is a probability"):
        assert_uniform_choice(toy_base, COIN, ["heads", "tails"], min_in_set_mass=5)


def test_a_baseline_that_rarely_answers_makes_the_comparison_inconclusive_and_is_named(toy_base, toy_collapsed):
    base = choice_distribution(toy_base, NUMBER, DIGITS).in_set_mass
    candidate = choice_distribution(toy_collapsed, NUMBER, DIGITS).in_set_mass
    floor = (base + candidate) / 2  # the candidate answers, the baseline falls short of this floor
    assert base < floor < candidate
    with pytest.raises(Inconclusive) as raised:
        assert_uniform_choice(toy_collapsed, NUMBER, DIGITS, min_in_set_mass=floor, baseline=toy_base,
                              max_top_share_increase=0.15)
    assert str(raised.value).startswith("INCONCLUSIVE: the baseline toy-base rarely answers in this framing: in-set mass 0.")


def test_sampled_answers_follow_the_same_rule_and_the_same_floor():
    def listing(prompt, n, temperature, seed):
        return [" 1, 2, 3", " 10.", " 1.5", " 1\n", " 1 or 2", " 7 because"] * (n // 6)

    verdict = assert_uniform_choice(CallableBackend(listing, name="listing"), NUMBER, DIGITS, n=60, max_top_share=1.0)
    assert verdict.details["counts"][0] == 10 and verdict.details["counts"][9] == 10 and verdict.details["counts"][6] == 10
    assert verdict.details["off_set_count"] == 30 and verdict.details["in_set_share"] == 0.5

    def rarely(prompt, n, temperature, seed):
        return [" 7"] + [" 1, 2, 3"] * (n - 1)

    with pytest.raises(Inconclusive) as raised:
        assert_uniform_choice(CallableBackend(rarely, name="rarely"), NUMBER, DIGITS, n=64)
    first = str(raised.value).splitlines()[0]
    assert first.startswith("INCONCLUSIVE: the model rarely answers in this framing: share of samples that are allowed answers 0.02 [")
    assert "n=64, wilson" in first
    with pytest.raises(Inconclusive, match="share of samples that are allowed answers"):
        assert_distribution_close(CallableBackend(rarely, name="rarely"), NUMBER, DIGITS, [0.1] * 10, n=64)


def test_sampled_path_on_the_toy_counts_no_listing(toy_base):
    """The toy was trained on "Pick a random number from 1 to 10: 7": its sampled answers match the exact ones."""
    verdict = assert_uniform_choice(toy_base, NUMBER, DIGITS, method="sampled", n=128, max_top_share=1.0)
    assert verdict.details["in_set_share"] > MIN_IN_SET_MASS
    with pytest.raises(Inconclusive, match="share of samples that are allowed answers 0"):
        assert_uniform_choice(toy_base, COIN, ["heads", "tails"], method="sampled", n=32)


def test_the_report_shows_in_set_mass_and_leaves_rarely_answered_framings_out_of_the_contrast(toy_base):
    session.current().recorder.clear()
    for framing, prompt, choices in (("direct", NUMBER, DIGITS), ("interpreter", ">>> random.randint(1, 10)\n", DIGITS)):
        try:  # the toy rarely answers the interpreter: INCONCLUSIVE, recorded all the same
            assert_uniform_choice(toy_base, prompt, choices, max_top_share=1.0, framing=framing, min_in_set_mass=0.5)
        except Inconclusive:
            pass
    records = [{"test": "t.py::test", "number": i, "check": r.check, "model": r.model, "prompt": r.prompt, "verdict": r.verdict}
               for i, r in enumerate(session.current().recorder.records, 1)]
    session.current().recorder.clear()
    [entry] = report.framing_contrasts(records)
    assert entry["framings"]["interpreter"]["rarely_answers"] and not entry["framings"]["direct"]["rarely_answers"]
    assert "interpreter_flatter_than" not in entry
    [line] = report.choice_lines(records)
    assert re.fullmatch(r"toy-base, 1-10: direct '\d+' 0\.\d\d \(H/Hmax 0\.\d\d, in-set 0\.\d\d\) \| "
                        r"interpreter rarely answers \(in-set 0\.\d+, not judged\)", line), line


# ---- drift: a candidate that stops answering (issue 25, item 3) -------------------------------------------
# Bigram models over twelve word tokens (test_backend_contract): after "Pick a colour:" one names a colour and
# ends with "."; the other goes on with " the cat sat." and names a colour about once in 200.

PICK = "Pick a colour:"
COLOURS = ["red", "blue", "green"]
ANSWERS = {"<unk>": [" red", " blue", " green"], " red": ["."], " blue": ["."], " green": ["."]}


@pytest.fixture(scope="module")
def answering():
    return Bigram("answers", bigram_table(6.0, ANSWERS))


@pytest.fixture(scope="module")
def silent():
    return Bigram("silent", bigram_table(6.0, {"<unk>": [" the"], " the": [" cat"], " cat": [" sat"], " sat": ["."]}))


def _masses(text: str) -> tuple[float, float]:
    """The baseline's and the model's in-set mass as the failure's first line gives them."""
    found = re.search(r"the baseline's in-set mass (\S+), at most e\^\S+ times the model's\): in-set (?:mass|share of "
                      r"samples that are allowed answers) (\S+) ", text)
    return float(found.group(1)), float(found.group(2))


def test_a_candidate_that_stops_answering_fails_the_drift_check_with_both_masses(answering, silent):
    base = choice_distribution(answering, PICK, COLOURS)
    mass = choice_distribution(silent, PICK, COLOURS).in_set_mass
    assert mass < MIN_IN_SET_MASS <= base.in_set_mass and np.log(base.in_set_mass / mass) > 3.0
    with pytest.raises(Inconclusive, match="the model rarely answers"):  # without the baseline's mass: the floor alone
        assert_distribution_close(silent, PICK, COLOURS, base.probabilities)
    with pytest.raises(AssertionError) as raised:
        assert_distribution_close(silent, PICK, COLOURS, base.probabilities, baseline_in_set_mass=base.in_set_mass)
    first = str(raised.value).splitlines()[0]
    assert first.startswith("FAIL: the model stops answering where the baseline answers (the baseline's in-set mass ")
    assert first.endswith(" (exact)")
    shown_base, shown_model = _masses(first)
    assert shown_base == pytest.approx(base.in_set_mass, rel=1e-2) and shown_model == pytest.approx(mass, rel=1e-2)
    assert "baseline_in_set_mass=0." in str(raised.value)  # the reproduce line has the baseline's mass
    record = session.current().recorder.records[-1]
    assert record.verdict["measure"] == "in-set mass" and record.verdict["outcome"] == "FAIL"
    assert record.baseline_value == {"value": base.in_set_mass, "unit": "in-set mass"}
    assert record.verdict["details"]["in_set_drop_nats"] == pytest.approx(np.log(base.in_set_mass / mass))
    # A limit the drop stays within: the floor's INCONCLUSIVE again, not a FAIL.
    with pytest.raises(Inconclusive, match="the model rarely answers"):
        assert_distribution_close(silent, PICK, COLOURS, base.probabilities, baseline_in_set_mass=base.in_set_mass,
                                  max_in_set_drop_nats=float(np.log(base.in_set_mass / mass)) + 0.5)


def test_a_sampled_candidate_that_stops_answering_fails_only_when_its_interval_is_below_the_limit(answering):
    base = choice_distribution(answering, PICK, COLOURS)
    never = CallableBackend(lambda prompt, n, temperature, seed: [" the cat sat."] * n, name="never")
    # 0 answers in 512: Wilson upper end 0.021 at alpha 0.001, below the limit 0.97 x e^-3 = 0.048
    with pytest.raises(AssertionError) as raised:
        assert_distribution_close(never, PICK, COLOURS, base.probabilities, baseline_in_set_mass=base.in_set_mass, n=512)
    first = str(raised.value).splitlines()[0]
    assert first.startswith("FAIL: the model stops answering where the baseline answers")
    assert "in-set share of samples that are allowed answers 0.00 [0.00, 0.02] < min 0.05" in first and "n=512, wilson" in first
    assert _masses(first)[0] == pytest.approx(base.in_set_mass, rel=1e-2)
    # 0 in 64: the interval [0, 0.14] reaches above the limit; not decided, and the model rarely answers
    with pytest.raises(Inconclusive, match="the model rarely answers to this question: share of samples"):
        assert_distribution_close(never, PICK, COLOURS, base.probabilities, baseline_in_set_mass=base.in_set_mass, n=64)


def test_a_candidate_that_answers_as_often_as_its_baseline_is_not_failed_by_the_rule(answering):
    base = choice_distribution(answering, PICK, COLOURS)
    red = Bigram("red", bigram_table(6.0, dict(ANSWERS, **{"<unk>": [" red"]})))  # answers as often, mostly "red"
    assert choice_distribution(red, PICK, COLOURS).in_set_mass == pytest.approx(base.in_set_mass, rel=0.05)
    verdict = assert_distribution_close(answering, PICK, COLOURS, base.probabilities, baseline_in_set_mass=base.in_set_mass)
    assert verdict.passed and verdict.measure == "KL(target || model)" and verdict.details["in_set_drop_nats"] == pytest.approx(0)
    verdict = assert_distribution_close(red, PICK, COLOURS, base.probabilities, max_kl_target_model_nats=5.0,
                                        baseline_in_set_mass=base.in_set_mass)
    assert verdict.passed and abs(verdict.details["in_set_drop_nats"]) < 0.05
    # its answers drifted: the KL decides, as without the baseline's mass
    with pytest.raises(AssertionError, match=r"^FAIL: KL\(target \|\| model\) over the answers \(nats\) "):
        assert_distribution_close(red, PICK, COLOURS, base.probabilities, baseline_in_set_mass=base.in_set_mass)


def test_a_baseline_that_rarely_answers_keeps_the_comparison_inconclusive(answering, silent):
    rare = choice_distribution(silent, PICK, COLOURS)
    assert rare.in_set_mass < MIN_IN_SET_MASS
    with pytest.raises(Inconclusive, match="^INCONCLUSIVE: the model rarely answers to this question: in-set mass"):
        assert_distribution_close(silent, PICK, COLOURS, rare.probabilities, baseline_in_set_mass=rare.in_set_mass)
    with pytest.raises(Inconclusive) as raised:  # the candidate answers; the target is the baseline's rare answers
        assert_distribution_close(answering, PICK, COLOURS, rare.probabilities, baseline_in_set_mass=rare.in_set_mass)
    first = str(raised.value).splitlines()[0]
    assert first.startswith("INCONCLUSIVE: the baseline rarely answers to this question: in-set mass 0.00")
    assert "vs min 0.05" in first


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"max_in_set_drop_nats": 3.0}, ValueError,
     r"max_in_set_drop_nats=3.0 was given without baseline_in_set_mass: .*Give baseline_in_set_mass= too"),
    ({"baseline_in_set_mass": 0.5, "max_in_set_drop_nats": -1.0}, ValueError, "max_in_set_drop_nats must be 0 or more"),
    ({"baseline_in_set_mass": 2.0}, ValueError, r"baseline_in_set_mass is a probability, in \[0, 1\]"),
    ({"baseline_in_set_mass": 0.5, "max_in_set_drop_nats": "3"}, TypeError, "max_in_set_drop_nats must be a number"),
])
def test_the_answering_arguments_are_checked(answering, kwargs, error, message):
    with pytest.raises(error, match=message):
        assert_distribution_close(answering, PICK, COLOURS, [0.4, 0.3, 0.3], **kwargs)


# ---- the real tokenizers ------------------------------------------------------------------------------

REAL = ["smollm2-135m-instruct", "gemma3-270m"]
RARELY_ANSWERED = {"gemma3-270m": ">>> import random\n>>> random.randint(1, 10)\n", "smollm2-135m-instruct": NUMBER}


@pytest.fixture(scope="module", params=REAL)
def real(request):
    return load_model(request.param)


@pytest.mark.real_model
def test_on_a_real_vocabulary_list_tokens_go_on_and_ending_tokens_end(real):
    texts = real.token_texts()
    ending = _ending_tokens(real, len(texts))
    ids = {t: i for i, t in reversed(list(enumerate(texts)))}  # the first id of each text
    for text in [",", "-", " -", " to", " or", " and", "2", " ", "..."]:
        assert not ending[ids[text]], text
    for text in ["\n", ".", "!", "?", " (", "'", " I", " because"]:
        assert ending[ids[text]], text
    assert ending[sorted(real.eos_ids)].all()


@pytest.mark.real_model
def test_on_a_real_model_a_listing_is_not_the_answer_one(real):
    """Asked to count, the model lists: " 1" is followed by "," most of the time, and the rule gives "1"
    only the mass of the ways it ends, not P(" 1")."""
    prompt = "Count from 1 to 5: 1, 2, 3, 4, 5. Count from 1 to 3:"
    ids = real.encode(prompt)
    one = real.continuation_ids(prompt, ids, " 1")
    after = np.exp(real.next_token_logprobs([ids + one])[0])
    comma = after[[i for i, t in enumerate(real.token_texts()) if t == ","]].sum()
    assert comma > 0.5  # the model is listing
    p_one = np.exp(real.score([ids], [one])[0])
    dist = choice_distribution(real, prompt, ["1", "2", "3"])
    assert dist.raw[0] <= p_one * (1 - comma) + 1e-9  # the listing is not counted


@pytest.mark.real_model
def test_on_a_real_model_a_framing_it_rarely_answers_is_inconclusive_with_the_mass(real):
    """Framings the suite used before issue 16, measured below the floor (BENCHMARKS.md): gemma3-270m
    writes another ">>>" line after the bare interpreter transcript; smollm2 starts a list or a new line
    after "...from 1 to 10:"."""
    prompt = RARELY_ANSWERED[real.info().name]
    with pytest.raises(Inconclusive) as raised:
        assert_uniform_choice(real, prompt, DIGITS)
    mass = session.current().recorder.records[-1].verdict["details"]["in_set_mass"]  # what choice_distribution measured
    assert mass < MIN_IN_SET_MASS
    first = str(raised.value).splitlines()[0]
    assert first.startswith("INCONCLUSIVE: the model rarely answers in this framing: in-set mass ")
    shown = float(re.search(r"in-set mass (\S+)", first).group(1))
    assert shown == pytest.approx(mass, abs=1e-3, rel=0.01)


def test_a_top_share_fail_against_a_baseline_says_where_its_limit_came_from(toy_collapsed, toy_base):
    from pytest_worldprior import assert_uniform_choice

    with pytest.raises(AssertionError) as failure:
        assert_uniform_choice(toy_collapsed, "Pick a random number from 1 to 10:", [str(i) for i in range(1, 11)],
                              baseline=toy_base, max_top_share_increase=0.15)
    assert "limit:  0.307 = the baseline's top share 0.157 on '1' + max_top_share_increase 0.15" in str(failure.value)
