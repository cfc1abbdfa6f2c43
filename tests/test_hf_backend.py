"""The transformers backend on the toy models: exactness, batching, seeding, chat prompts and bad input."""

import math

import numpy as np
import pytest
import torch

from pytest_worldprior import ChatTemplateError, NonFiniteLogitsError, load_model
from pytest_worldprior.backends.hf import teacher_forcing
from pytest_worldprior.toy import BROAD_PROMPTS, NARROW_PROMPTS

# Different lengths, so batches need left padding.
CONTEXTS = ["Once", "Once upon a time, there was a", "Q: Are bugs real?\nA:", "Pick a random number from 1 to 10:", "Hi"]


def entropy(logprobs: np.ndarray) -> np.ndarray:
    return -(np.exp(logprobs) * logprobs).sum(axis=-1)


def test_batched_logprobs_equal_one_by_one(toy_base):
    batched = toy_base.next_token_logprobs(CONTEXTS)
    single = np.stack([toy_base.next_token_logprobs([c])[0] for c in CONTEXTS])
    assert batched.shape == (len(CONTEXTS), toy_base.info().vocab_size)
    assert np.abs(batched - single).max() < 1e-4
    np.testing.assert_allclose(np.exp(batched).sum(axis=1), 1.0, atol=1e-9)


def test_batch_size_does_not_change_scores(toy_base):
    continuations = [" upon", " a cat", " Yes.", " 7", " there"]
    one = load_model("toy-base", batch_size=1).score(CONTEXTS, continuations)
    many = toy_base.score(CONTEXTS, continuations)
    assert np.abs(np.array(one) - np.array(many)).max() < 1e-4


def test_continuations_of_one_context_share_its_pass_and_give_the_same_numbers(toy_base, monkeypatch):
    context = "Once upon a time"
    continuations = [" there", " was a little cat", " a", " 7 8 9 10 11", " upon"]
    alone = [toy_base.continuation_logprobs([context], [c])[0] for c in continuations]  # one each: no sharing
    monkeypatch.setattr(teacher_forcing, "SUFFIX_TOKENS_PER_BATCH", 6)  # several batches after the shared prefix
    shared = toy_base.continuation_logprobs([context] * len(continuations), continuations)
    for one, many in zip(alone, shared):
        assert one.shape == many.shape
        assert np.abs(one - many).max() < 1e-4
    mixed = toy_base.score([context, "Q: Are bugs real?\nA:", context], [" there", " Yes.", " a"])
    assert mixed == pytest.approx([toy_base.score([c], [t])[0] for c, t in
                                   [(context, " there"), ("Q: Are bugs real?\nA:", " Yes."), (context, " a")]], abs=1e-4)


def test_contexts_with_a_long_common_start_share_its_pass_and_give_the_same_numbers(toy_base, monkeypatch):
    """Paths after one P + C + J (the attractor check's return probability scores a line after each): the
    common start runs once, the rest in left-padded batches after its cache, the same numbers as alone."""
    start = "Once upon a time, there was a little fox named Rex. You are a murderer."
    contexts = [start, start + " It ran", start + " It ran home. The sun", start + " No"]
    continuations = [" They became best friends.", " They became best friends.", " a", " 7 8"]
    monkeypatch.setattr(teacher_forcing, "SHARED_START_ROWS", 3)  # several batches after the common start
    shared = toy_base.score(contexts, continuations)
    monkeypatch.setattr(teacher_forcing, "MIN_SHARED_PREFIX", 10**9)  # each context run whole
    assert shared == pytest.approx(toy_base.score(contexts, continuations), abs=1e-4)
    assert teacher_forcing.shared_length([[1, 2, 3], [1, 2, 3, 4], [1, 2, 5]]) == 1  # one token of its own before the tail


def test_sample_logprobs_sum_to_score_of_same_tokens(toy_base):
    samples = toy_base.sample("Once upon a time", 6, max_new_tokens=24, seed=3)
    scores = toy_base.score(["Once upon a time"] * len(samples), [list(s.token_ids) for s in samples])
    for sample, score in zip(samples, scores):
        assert len(sample.token_ids) == len(sample.logprobs) == len(sample.sampling_logprobs) > 0
        assert abs(sample.logprob - score) < 1e-4


def test_score_of_text_equals_score_of_its_tokens(toy_base):
    context, text = "Q: Are bugs real?\nA:", " Yes, they are."
    ids = toy_base.continuation_ids(context, toy_base.encode(context), text)
    assert toy_base.score([context], [text])[0] == pytest.approx(toy_base.score([context], [ids])[0], abs=1e-9)
    assert toy_base.score([context], [""]) == [0.0]
    assert toy_base.score([context], [text])[0] < 0


def test_score_is_the_chain_rule_of_next_token_logprobs(toy_base):
    context = "Once upon a time"
    ids = toy_base.encode(context)
    continuation = toy_base.continuation_ids(context, ids, " there was a cat")
    by_steps = sum(toy_base.next_token_logprobs([ids + continuation[:i]])[0][t] for i, t in enumerate(continuation))
    assert toy_base.score([context], [continuation])[0] == pytest.approx(by_steps, abs=1e-4)


def test_same_seed_same_samples_and_different_seeds_differ(toy_base):
    first = toy_base.sample("Once upon a time", 8, max_new_tokens=20, seed=11)
    again = toy_base.sample("Once upon a time", 8, max_new_tokens=20, seed=11)
    other = toy_base.sample("Once upon a time", 8, max_new_tokens=20, seed=12)
    assert [g.token_ids for g in first] == [g.token_ids for g in again]
    assert [g.text for g in first] == [g.text for g in again]
    assert [g.token_ids for g in first] != [g.token_ids for g in other]
    assert len({g.token_ids for g in first}) > 1  # the samples within one call differ too


def test_sample_i_does_not_depend_on_n_or_batch_size(toy_base):
    few = toy_base.sample("Once upon a time", 3, max_new_tokens=16, seed=5)
    many = load_model("toy-base", batch_size=2).sample("Once upon a time", 7, max_new_tokens=16, seed=5)
    assert [g.token_ids for g in few] == [g.token_ids for g in many[:3]]
    assert [g.index for g in many] == list(range(7))


def test_sampling_logprobs_follow_temperature_and_top_p(toy_base):
    plain = toy_base.sample("Once upon a time", 4, max_new_tokens=12, seed=1)
    for g in plain:  # at T=1 and top_p=1 the sampling distribution is the model's
        np.testing.assert_allclose(g.logprobs, g.sampling_logprobs, atol=1e-9)
    context = "Once upon a time"
    cold = toy_base.sample(context, 4, max_new_tokens=1, seed=1, temperature=0.5)
    full = toy_base.next_token_logprobs([context])[0]
    tempered = full / 0.5 - np.logaddexp.reduce(full / 0.5)
    for g in cold:
        assert g.sampling_logprobs[0] == pytest.approx(tempered[g.token_ids[0]], abs=1e-6)
    nucleus = toy_base.sample(context, 16, max_new_tokens=1, seed=2, top_p=0.5)
    order = np.argsort(-full)
    kept = order[: int(np.searchsorted(np.cumsum(np.exp(full[order])), 0.5)) + 1]
    assert {g.token_ids[0] for g in nucleus} <= set(kept.tolist())
    for g in nucleus:
        expected = full[g.token_ids[0]] - np.logaddexp.reduce(full[kept])
        assert g.sampling_logprobs[0] == pytest.approx(expected, abs=1e-6)


def test_stop_strings_and_finish_reasons(toy_base):
    samples = toy_base.sample("Once upon a time", 8, max_new_tokens=60, seed=0, stop=["."])
    assert {g.finish_reason for g in samples} <= {"stop", "eos", "length"}
    assert any(g.finish_reason == "stop" for g in samples)
    for g in samples:
        assert "." not in g.text
    short = toy_base.sample("Once upon a time", 2, max_new_tokens=3, seed=0)
    assert all(len(g.token_ids) <= 3 for g in short)


def test_collapsed_model_has_lower_entropy_on_its_narrow_prompts(toy_base, toy_collapsed):
    base = entropy(toy_base.next_token_logprobs(NARROW_PROMPTS))
    collapsed = entropy(toy_collapsed.next_token_logprobs(NARROW_PROMPTS))
    print("base", base.round(3), "collapsed", collapsed.round(3))
    assert collapsed.mean() < 0.5 * base.mean()
    assert (collapsed < base).mean() >= 0.8
    # On prompts the fine-tuning did not cover, the two stay comparable (no blanket collapse).
    broad = entropy(toy_base.next_token_logprobs(BROAD_PROMPTS)), entropy(toy_collapsed.next_token_logprobs(BROAD_PROMPTS))
    assert broad[1].mean() > 0.2 * broad[0].mean()


def test_chat_prompts_use_the_template_or_fail_clearly(toy_base, toy_collapsed):
    chat = [{"role": "user", "content": "Are bugs real?"}]
    rendered = toy_collapsed.render(chat)
    assert "Are bugs real?" in rendered and rendered != "Are bugs real?"
    assert len(toy_collapsed.sample(chat, 2, max_new_tokens=8, seed=0)) == 2
    with pytest.raises(ChatTemplateError, match="no chat template.*plain-text fallback"):
        toy_base.next_token_logprobs([chat])
    fallback = load_model("toy-base", chat_fallback=True)
    assert fallback.render(chat) == "user: Are bugs real?\nassistant:"
    assert fallback.next_token_logprobs([chat]).shape[0] == 1


def test_token_id_contexts_equal_text_contexts(toy_base):
    text = "Once upon a time"
    np.testing.assert_allclose(
        toy_base.next_token_logprobs([toy_base.encode(text)]), toy_base.next_token_logprobs([text]), atol=1e-12
    )


def test_decode_and_top_logprobs_follow_the_contract(toy_base, toy_collapsed):
    text = " there was a little cat"
    assert toy_base.decode(toy_base.continuation_ids("Once", toy_base.encode("Once"), text)) == text
    assert toy_base.decode(toy_base.encode("Once")) == "Once"  # special tokens (BOS) left out
    row = toy_base.next_token_logprobs(["Once upon a"])[0]
    top = toy_base.top_logprobs("Once upon a", k=3)
    assert [lp for _, lp in top] == sorted(row, reverse=True)[:3]
    assert top[0][0] == toy_base.token_texts()[int(np.argmax(row))]
    assert toy_base.max_top_logprobs == toy_base.vocab_size == row.size
    assert toy_base.vocabulary_sha256() == toy_collapsed.vocabulary_sha256()  # one tokenizer


def test_info_is_a_stable_fingerprint(toy_base):
    info, again = toy_base.info(), load_model("toy-base").info()
    assert info == again
    assert len(info.weights_sha256) == 64 and len(info.tokenizer_sha256) == 64
    assert (info.dtype, info.device, info.backend) == ("float32", "cpu", "transformers")
    assert {"torch", "transformers", "python"} <= set(info.versions)
    assert load_model("toy-collapsed").info().weights_sha256 != info.weights_sha256


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"temperature": 0}, "temperature must be a finite number above 0"),
        ({"temperature": -1.0}, "temperature must be a finite number above 0"),
        ({"temperature": math.nan}, "temperature must be a finite number above 0"),
        ({"top_p": 0}, "top_p must be in"),
        ({"max_new_tokens": 0}, "max_new_tokens must be a positive integer"),
    ],
)
def test_meaningless_sampling_settings_are_refused(toy_base, settings, message):
    with pytest.raises(ValueError, match=message):
        toy_base.sample("Once", 2, **settings)


def test_bare_string_where_a_batch_is_expected(toy_base):
    with pytest.raises(TypeError, match=r"must be a list \(batched\)"):
        toy_base.next_token_logprobs("Once upon a time")
    with pytest.raises(ValueError, match="2 contexts but 1 continuations"):
        toy_base.score(["a", "b"], [" c"])


def test_nan_weights_give_a_clear_error():
    damaged = load_model("toy-base")
    with torch.no_grad():
        damaged.model.transformer.h[0].mlp.c_fc.weight[0, 0] = float("nan")
    with pytest.raises(NonFiniteLogitsError, match="NaN or infinite logits"):
        damaged.next_token_logprobs(["Once upon a time"])
    with pytest.raises(NonFiniteLogitsError):
        damaged.sample("Once upon a time", 2, max_new_tokens=4)


def test_context_longer_than_the_window_is_refused(toy_base):
    with pytest.raises(ValueError, match="takes at most"):
        toy_base.next_token_logprobs(["word " * 400])


def test_single_token_samples_take_the_shortcut_and_match_the_general_path(toy_base):
    shortcut = toy_base.sample("Once upon a time", 24, max_new_tokens=1, seed=9, temperature=1.3, top_p=0.9)
    general = [g for g in toy_base.sample("Once upon a time", 24, max_new_tokens=2, seed=9, temperature=1.3, top_p=0.9)]
    assert [g.token_ids for g in shortcut] == [g.token_ids[:1] for g in general]
    for one, two in zip(shortcut, general):
        assert one.logprobs[0] == pytest.approx(two.logprobs[0], abs=1e-6)
        assert one.sampling_logprobs[0] == pytest.approx(two.sampling_logprobs[0], abs=1e-6)
