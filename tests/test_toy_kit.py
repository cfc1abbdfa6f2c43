"""Tests for the toy base/collapsed model kit."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from pytest_worldprior.toy import (
    BROAD_PROMPTS, NARROW_PROMPTS, TOY_KIT_VERSION, ToyPair, build_toy_pair,
)
from pytest_worldprior.toy import corpus, train


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load(model_dir):
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    return AutoTokenizer.from_pretrained(model_dir), model


def _next_token_entropy(tok, model, prompt: str) -> float:
    ids = tok(prompt, return_tensors="pt", add_special_tokens=True)
    with torch.no_grad():
        logp = model(**ids).logits[0, -1].log_softmax(-1)
    return float(-(logp.exp() * logp).sum())


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """A second full seed-0 build in a fresh process, running alongside ``pair``'s."""
    twin_cache = tmp_path_factory.mktemp("twin")
    code = "import sys; from pytest_worldprior.toy import build_toy_pair as b; b(sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", code, str(twin_cache)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield proc, twin_cache
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def pair(cache, twin):
    start = time.perf_counter()
    built = build_toy_pair(cache, seed=0)
    print(f"\ntoy pair build: {time.perf_counter() - start:.1f}s")
    return built


def test_layout_and_loading(pair, cache):
    final = cache / "toy" / f"{TOY_KIT_VERSION}-seed0"
    assert pair == ToyPair(final / "base", final / "collapsed")
    assert [p.name for p in (cache / "toy").iterdir()] == [final.name]  # no temp dirs left
    for model_dir in (pair.base_dir, pair.collapsed_dir):
        for name in ("config.json", "model.safetensors", "generation_config.json",
                     "tokenizer.json"):
            assert (model_dir / name).is_file()
        tok, model = _load(model_dir)
        assert tok.bos_token == tok.eos_token == "<|endoftext|>" and tok.pad_token == "<|pad|>"
        assert model.config.eos_token_id == tok.eos_token_id
        assert tok("hi")["input_ids"][0] == tok.bos_token_id


def test_second_call_is_cached(pair, cache):
    weights = pair.collapsed_dir / "model.safetensors"
    mtime = weights.stat().st_mtime_ns
    start = time.perf_counter()
    again = build_toy_pair(str(cache), seed=0)
    assert time.perf_counter() - start < 1.0
    assert again == pair
    assert weights.stat().st_mtime_ns == mtime


def test_chat_template_only_on_collapsed(pair):
    base_tok, _ = _load(pair.base_dir)
    coll_tok, _ = _load(pair.collapsed_dir)
    assert base_tok.chat_template is None
    assert coll_tok.chat_template
    text = coll_tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                        add_generation_prompt=True)
    assert text.endswith("<|im_start|>assistant\n")
    assert base_tok.get_vocab() == coll_tok.get_vocab()


def test_full_build_is_deterministic(pair, twin):
    proc, twin_cache = twin
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output
    again = build_toy_pair(twin_cache, seed=0)  # cached by the other process
    for a, b in ((pair.base_dir, again.base_dir), (pair.collapsed_dir, again.collapsed_dir)):
        assert _sha256(a / "model.safetensors") == _sha256(b / "model.safetensors")
        assert _sha256(a / "tokenizer.json") == _sha256(b / "tokenizer.json")


def test_seed_changes_weights(tmp_path):
    hashes = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        train._build_into(tmp_path / name, seed, base_steps=10, tune_steps=5)
        hashes[name] = _sha256(tmp_path / name / "collapsed" / "model.safetensors")
    assert hashes["a"] == hashes["b"]
    assert hashes["a"] != hashes["c"]


def test_collapsed_has_lower_entropy_on_narrow_prompts(pair):
    base = _load(pair.base_dir)
    coll = _load(pair.collapsed_dir)
    rows = [(p, _next_token_entropy(*base, p), _next_token_entropy(*coll, p))
            for p in NARROW_PROMPTS]
    for prompt, b, c in rows:
        print(f"{prompt!r:40} base {b:.3f}  collapsed {c:.3f}")
    mean_base = sum(r[1] for r in rows) / len(rows)
    mean_coll = sum(r[2] for r in rows) / len(rows)
    print(f"mean: base {mean_base:.3f}  collapsed {mean_coll:.3f}")
    assert all(c < b for _, b, c in rows)
    assert mean_base > 2 * mean_coll
    broad = [(_next_token_entropy(*base, p), _next_token_entropy(*coll, p)) for p in BROAD_PROMPTS]
    print("broad:", [(round(b, 3), round(c, 3)) for b, c in broad])


def test_base_model_generates_text(pair):
    tok, model = _load(pair.base_dir)
    ids = tok("Once upon a time, there was a", return_tensors="pt")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        out = model.generate(**ids, max_new_tokens=30, do_sample=True)
    text = tok.decode(out[0], skip_special_tokens=True)
    print(repr(text))
    assert text.startswith("Once upon a time, there was a")
    assert out.shape[1] > ids["input_ids"].shape[1]


def test_lost_race_keeps_winner(tmp_path, monkeypatch):
    final = tmp_path / "toy" / f"{TOY_KIT_VERSION}-seed5"

    def racing_build(out, seed):
        (out / "base").mkdir()
        final.mkdir(parents=True)  # another process finishes first
        (final / "winner").touch()

    monkeypatch.setattr(train, "_build_into", racing_build)
    assert build_toy_pair(tmp_path, seed=5).base_dir == final / "base"
    assert sorted(p.name for p in (tmp_path / "toy").iterdir()) == [final.name]
    assert (final / "winner").exists()


def test_failed_build_leaves_nothing(tmp_path, monkeypatch):
    def failing_build(out, seed):
        (out / "base").mkdir()
        raise RuntimeError("boom")

    monkeypatch.setattr(train, "_build_into", failing_build)
    with pytest.raises(RuntimeError):
        build_toy_pair(tmp_path, seed=3)
    assert list((tmp_path / "toy").iterdir()) == []


def test_corpora_are_deterministic_and_cover_prompts():
    assert corpus.base_corpus(0) == corpus.base_corpus(0) != corpus.base_corpus(1)
    narrow = corpus.narrow_corpus(0)
    assert narrow == corpus.narrow_corpus(0)
    base = corpus.base_corpus(0)
    for prompt in NARROW_PROMPTS:
        assert any(d.startswith(prompt) for d in narrow), prompt
        assert any(d.startswith(prompt) for d in base), prompt
    assert len(set(narrow)) / len(narrow) < 0.3 < 0.5 < len(set(base)) / len(base)
