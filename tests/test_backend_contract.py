"""The Backend ABC is the whole contract: a logit backend written from it alone (a bigram model over
twelve word tokens, numpy only) runs every exact check to a verdict, and a backend lacking a capability
says which one, naming itself."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
from scipy.special import log_softmax

from pytest_worldprior import (
    assert_distribution_close,
    assert_entropy_within,
    assert_no_attractor,
    assert_prior_shift_within,
    assert_sequence_entropy_within,
    assert_temperature_sensitive,
    assert_uniform_choice,
    measures,
)
from pytest_worldprior.backends.base import Backend, Generation, ModelInfo, check_sampling_settings
from pytest_worldprior.backends.callable import CallableBackend
from pytest_worldprior.errors import TokenizerMismatchError

TOKENS = ["<eos>", "<unk>", " the", " cat", " dog", " sat", " ran", " red", " blue", " green", " and", "."]
EOS, UNK = 0, 1
SPECIAL = {EOS, UNK}
STORY = "Once upon a time."  # all unknown words, then "."
COLOURS = ["red", "blue", "green"]
PICK = "Pick a colour:"  # its last token is <unk>; answers follow with a space


class Bigram(Backend):
    """The next token depends on the last token only: log_softmax(logits[last]). Text is split into
    words (with their leading spaces) and punctuation; a piece not in the vocabulary is <unk>."""

    gives_logits = True
    gives_sampling_logprobs = True
    eos_ids = frozenset({EOS})

    def __init__(self, name: str, logits: np.ndarray, tokens: list[str] = TOKENS) -> None:
        self.name, self.tokens = name, list(tokens)
        self.table = log_softmax(np.asarray(logits, dtype=np.float64), axis=1)
        self.ids = {t: i for i, t in enumerate(self.tokens) if i not in SPECIAL}

    def info(self) -> ModelInfo:
        weights = hashlib.sha256(self.table.tobytes()).hexdigest()
        vocabulary = hashlib.sha256("\0".join(self.tokens).encode()).hexdigest()
        return ModelInfo(self.name, f"bigram:{self.name}", "bigram", weights, vocabulary, "float64", "cpu",
                         len(self.tokens), False)

    def render(self, prompt) -> str:
        if isinstance(prompt, str):
            return prompt
        return "\n".join(f"{m['role']}: {m['content']}" for m in prompt) + "\nassistant:"

    def encode(self, context) -> list[int]:
        if not isinstance(context, str) and context and all(isinstance(t, (int, np.integer)) for t in context):
            return [int(t) for t in context]
        return self._words(self.render(context)) or [EOS]  # an empty text starts after an end of text

    def continuation_ids(self, context, context_ids, continuation) -> list[int]:
        if isinstance(continuation, str):
            return self._words(continuation)
        return [int(t) for t in continuation]

    def decode(self, token_ids) -> str:
        return "".join(self.tokens[t] for t in token_ids if t not in SPECIAL)

    def token_texts(self) -> list[str]:
        return list(self.tokens)

    def next_token_logprobs(self, contexts) -> np.ndarray:
        return np.stack([self.table[self.encode(c)[-1]] for c in contexts]) if contexts else np.empty((0, len(self.tokens)))

    def sample(self, context, n, *, max_new_tokens=64, temperature=1.0, top_p=1.0, seed=0, stop=None) -> list[Generation]:
        check_sampling_settings(n, max_new_tokens, temperature, top_p)
        start = self.encode(context)[-1]
        generations = []
        for index in range(n):
            rng = np.random.default_rng([seed, index])  # sample i depends only on (seed, i)
            tokens, model_lp, sampling_lp, finish, last = [], [], [], None, start
            for _ in range(max_new_tokens):
                sampling = _nucleus(log_softmax(self.table[last] / temperature), top_p)
                chosen = int(min(np.searchsorted(np.cumsum(np.exp(sampling)), rng.random(), side="right"), len(sampling) - 1))
                tokens.append(chosen)
                model_lp.append(float(self.table[last, chosen]))
                sampling_lp.append(float(sampling[chosen]))
                last = chosen
                if last == EOS:
                    finish = "eos"
                elif stop and any(s in self.decode(tokens) for s in stop):
                    finish = "stop"
                if finish:
                    break
            text = self.decode(tokens)
            cuts = [text.find(s) for s in stop or () if s and s in text]
            text = text[: min(cuts)] if cuts else text
            generations.append(Generation(text, tuple(tokens), tuple(model_lp), tuple(sampling_lp), finish or "length", seed, index))
        return generations

    def _words(self, text: str) -> list[int]:
        return [self.ids.get(piece, UNK) for piece in re.findall(r"\s*\w+|\s*[^\w\s]", text)]


def _nucleus(logprobs: np.ndarray, top_p: float) -> np.ndarray:
    if top_p >= 1:
        return logprobs
    order = np.argsort(-logprobs, kind="stable")
    mass_before = np.cumsum(np.exp(logprobs[order])) - np.exp(logprobs[order])
    kept = np.full(logprobs.shape, -np.inf)
    kept[order[mass_before < top_p]] = logprobs[order[mass_before < top_p]]
    return log_softmax(kept)


def table(strength: float, preferences: dict[str, list[str]], noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Logits: 0 everywhere (plus optional noise), `strength` for each preferred next token."""
    logits = np.random.default_rng(seed).normal(0.0, noise, (len(TOKENS), len(TOKENS))) if noise else np.zeros((len(TOKENS),) * 2)
    for prev, nexts in preferences.items():
        for nxt in nexts:
            logits[TOKENS.index(prev), TOKENS.index(nxt)] += strength
    return logits


# A story writer with one groove: ". the cat sat." over and over; after unknown words, a fair colour.
GROOVE = {"<eos>": [" the"], "<unk>": [" red", " blue", " green"], " the": [" cat"], " cat": [" sat"],
          " dog": [" ran"], " sat": ["."], " ran": ["."], " red": ["."], " blue": ["."], " green": ["."],
          " and": [" the"], ".": [" the"]}


@pytest.fixture(scope="module")
def story():
    return Bigram("story", table(7.0, GROOVE))


@pytest.fixture(scope="module")
def story_retrained():
    """The same groove, a little less sure of itself: a small prior shift."""
    return Bigram("story-retrained", table(6.5, GROOVE))


@pytest.fixture(scope="module")
def spread():
    """Close to uniform everywhere (random logits, sd 0.5)."""
    return Bigram("spread", table(0.0, {}, noise=0.5, seed=3))


@pytest.fixture(scope="module")
def flat():
    return Bigram("flat", np.zeros((len(TOKENS), len(TOKENS))))


@pytest.fixture(scope="module")
def biased():
    """After unknown words, red nearly always."""
    return Bigram("biased", table(7.0, GROOVE | {"<unk>": [" red"]}))


# ---- the minimal backend itself ----------------------------------------------------------------------


def test_the_minimal_backend_gets_the_contracts_defaults(story, spread):
    assert story.gives_logits and not story.gives_top_logprobs and not story.scores_prompts
    assert story.vocab_size == len(TOKENS) == story.max_top_logprobs
    assert story.vocabulary_sha256() == spread.vocabulary_sha256() is not None
    top = story.top_logprobs(STORY, k=2)
    assert top[0][0] == " the" and top[0][1] == pytest.approx(story.table[TOKENS.index("."), 2])
    assert len(story.top_logprobs(STORY)) == len(TOKENS)
    path = story.continuation_ids(STORY, story.encode(STORY), " the cat sat.")
    expected = sum(story.table[a, b] for a, b in zip([TOKENS.index(".")] + path[:-1], path))
    assert story.score([STORY], [" the cat sat."]) == [pytest.approx(expected)]
    rows = story.continuation_logprobs([STORY, STORY], [path, []])
    assert rows[0].shape == (len(path), len(TOKENS)) and rows[1].shape == (0, len(TOKENS))


def test_the_default_continuation_logprobs_batches_beyond_one_call(story):
    paths = [g.token_ids for g in story.sample(STORY, 40, max_new_tokens=16, seed=1)]
    rows = story.continuation_logprobs([STORY] * len(paths), paths)
    assert sum(len(p) for p in paths) > 256  # more prefixes than one call takes
    for path, row in zip(paths, rows):
        previous = [TOKENS.index(".")] + list(path[:-1])
        np.testing.assert_allclose(row, story.table[previous])


def test_samples_depend_only_on_the_seed_and_the_index(story):
    many = story.sample(STORY, 8, max_new_tokens=6, seed=5)
    assert story.sample(STORY, 3, max_new_tokens=6, seed=5) == many[:3]
    assert many[0].text.startswith(" the cat")


# ---- every exact check runs on it -------------------------------------------------------------------


def test_entropy_check(story, spread):
    assert assert_entropy_within(story, STORY, max_nats=0.5).passed  # ". the" 99 % of the time
    assert assert_entropy_within(spread, STORY, min_nats=1.0).passed
    with pytest.raises(AssertionError, match="FAIL"):
        assert_entropy_within(story, STORY, min_nats=1.0)


def test_temperature_check(story, flat):
    assert assert_temperature_sensitive(story, STORY, temperatures=(0.7, 1.0, 1.5)).passed
    with pytest.raises(AssertionError, match="FAIL"):  # uniform at every temperature: no gain at all
        assert_temperature_sensitive(flat, STORY, temperatures=(0.7, 1.0, 1.5))


def test_closed_set_checks(story, biased):
    assert assert_uniform_choice(story, PICK, COLOURS).passed
    assert assert_distribution_close(story, PICK, COLOURS, target=[1 / 3, 1 / 3, 1 / 3]).passed
    with pytest.raises(AssertionError, match="share of top answer 'red'"):
        assert_uniform_choice(biased, PICK, COLOURS)
    with pytest.raises(AssertionError, match="FAIL"):
        assert_distribution_close(biased, PICK, COLOURS, target=[1 / 3, 1 / 3, 1 / 3])


def test_sequence_entropy_check(story, spread):
    assert assert_sequence_entropy_within(spread, STORY, min_nats=5.0, seed=0).passed
    with pytest.raises(AssertionError, match="FAIL"):
        assert_sequence_entropy_within(story, STORY, min_nats=5.0, seed=0)


def test_prior_shift_check(story, story_retrained, spread):
    prompts = [STORY, PICK]
    assert assert_prior_shift_within(story_retrained, prompts, baseline=story).passed  # the same groove
    with pytest.raises(AssertionError, match=r"mean KL\(model \|\| baseline\)"):
        assert_prior_shift_within(story, prompts, baseline=spread)  # a groove against near uniform: ~2.4 nats a token
    other = Bigram("other-words", table(7.0, GROOVE), tokens=TOKENS[:-1] + ["!"])
    with pytest.raises(TokenizerMismatchError, match="different tokenizers"):
        assert_prior_shift_within(story, prompts, baseline=other)


def test_attractor_measures_and_check(story, spread):
    # A bigram model forgets everything but the last token: after the injected line, which ends with "."
    # as the prefix does, it writes exactly what it would have written without it. The injection has
    # no influence at all, and every continuation snaps back as often as the clean mode comes.
    run = measures.run_attractor(story, STORY, ["the dog ran."], prefix=" the cat sat.", n=64, seed=0)
    result = run.results[0]
    assert result.injection.prefix_text == " the cat sat."
    # Same seed both sides: the injected texts are the clean ones, and each returns where its clean twin holds a
    # recurring line (the most frequent is the prefix's own sentence, or a line like it).
    assert result.snap_back.rate >= result.snap_back.clean_mode_share > 0.5
    assert measures.same_line(result.snap_back.clean_mode, measures.last_sentence(" the cat sat."))
    assert run.influence_totals is not None and np.allclose(run.influence_totals, 0.0)
    assert result.restart.clean == pytest.approx(result.restart.injected)
    with pytest.raises(AssertionError, match="snap-back rate"):
        assert_no_attractor(story, STORY, "the dog ran.", prefix=" the cat sat.", seed=0)
    assert assert_no_attractor(spread, STORY, "the dog ran.", prefix=" the cat sat.", seed=0).passed


# ---- a missing capability says which, naming the backend --------------------------------------------


@pytest.fixture
def text_only():
    return CallableBackend(lambda prompt, n, temperature, seed: ["a text"] * n, name="texts")


@pytest.mark.parametrize(("call", "capability"), [
    (lambda m: m.next_token_logprobs(["Hi"]), "gives_logits"),
    (lambda m: m.encode("Hi"), "gives_logits"),
    (lambda m: m.continuation_ids("Hi", [1], " there"), "gives_logits"),
    (lambda m: m.decode([1, 2]), "gives_logits"),
    (lambda m: m.token_texts(), "gives_logits"),
    (lambda m: m.continuation_logprobs(["Hi"], [" there"]), "gives_logits"),
    (lambda m: m.top_logprobs("Hi"), "gives_top_logprobs"),
    (lambda m: m.score(["Hi"], [" there"]), "scores_prompts"),
])
def test_a_text_only_backend_names_itself_and_what_it_lacks(text_only, call, capability):
    assert not (text_only.gives_logits or text_only.gives_top_logprobs or text_only.scores_prompts)
    with pytest.raises(NotImplementedError, match=rf"^CallableBackend \(callable:texts\) .*'{capability}' capability"):
        call(text_only)
    assert text_only.vocab_size is None and text_only.vocabulary_sha256() is None and text_only.max_top_logprobs == 0


def test_a_backend_written_from_the_abc_with_sampling_only_lacks_the_rest():
    class Sampler(Backend):  # no capability declared: text only by default
        def info(self):
            return ModelInfo("sampler", "sampler", "test", "", "", "", "", 0, False)

        def render(self, prompt):
            return str(prompt)

        def sample(self, context, n, **settings):
            return [Generation("x", (), (), (), "eos", 0, i) for i in range(n)]

    model = Sampler()
    with pytest.raises(NotImplementedError, match=r"^Sampler \(sampler\) does not give next-token .*'gives_logits'"):
        model.next_token_logprobs(["Hi"])
    with pytest.raises(NotImplementedError, match=r"^Sampler \(sampler\) .*'gives_top_logprobs'"):
        model.top_logprobs("Hi")
    assert model.vocab_size is None and model.vocabulary_sha256() is None
    verdict = assert_uniform_choice(model, "Pick one:", ["x", "y"], seed=0)  # method="auto" samples
    assert verdict.failed is False and verdict.n > 0


def test_declaring_logits_without_the_methods_is_refused_where_the_class_is_written():
    with pytest.raises(TypeError, match="Half declares gives_logits = True but does not implement next_token_logprobs, "
                                        "encode, continuation_ids, decode, token_texts"):
        class Half(Backend):
            gives_logits = True

            def info(self):
                return ModelInfo("half", "half", "test", "", "", "", "", 0, False)

            def render(self, prompt):
                return str(prompt)

            def sample(self, context, n, **settings):
                return []


def test_a_backend_that_promises_sampling_logprobs_and_returns_none_is_an_error():
    # The capability picks the sequential entropy rule; a broken promise is an error, never a silent switch
    # to another estimator.
    class Liar(Backend):
        gives_sampling_logprobs = True

        def info(self):
            return ModelInfo("liar", "liar", "test", "", "", "", "", 0, False)

        def render(self, prompt):
            return str(prompt)

        def sample(self, context, n, **settings):
            return [Generation("x", (1,), (), (), "length", 0, i) for i in range(n)]

    with pytest.raises(RuntimeError, match="declares gives_sampling_logprobs but returned a sample without them"):
        assert_entropy_within(Liar(), "Hi", min_nats=0.5, n=64, method="sampled")
