"""Tests for the toy base/collapsed model kit: the seed-0 pair shipped in the package (the same files on every
machine, checked against the committed manifest) and the training that made it, run here for another seed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from pytest_worldprior import load_model
from pytest_worldprior.errors import ModelLoadError
from pytest_worldprior.files import sha256_text
from pytest_worldprior.toy import (
    BROAD_PROMPTS,
    NARROW_PROMPTS,
    SHIPPED_DIR,
    TOY_KIT_VERSION,
    ToyPair,
    build_toy_pair,
    corpus,
    shipped,
    shipped_pair,
    toy_pair,
    train,
)
from pytest_worldprior.toy import __main__ as toy_main

TRAINED_SEED = 1  # seed 0 is shipped; training and its cache are tested on another seed


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
    """A second full build of the trained seed in a fresh process, running alongside ``trained``'s."""
    twin_cache = tmp_path_factory.mktemp("twin")
    code = f"import sys; from pytest_worldprior.toy import build_toy_pair as b; b(sys.argv[1], seed={TRAINED_SEED})"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", code, str(twin_cache)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield proc, twin_cache
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def trained(cache, twin):
    start = time.perf_counter()
    built = build_toy_pair(cache, seed=TRAINED_SEED)
    print(f"\ntoy pair build: {time.perf_counter() - start:.1f}s")
    return built


@pytest.fixture(scope="module", params=["shipped", "trained"])
def pair(request):
    """Each test below holds for the shipped pair and for one trained here with the same recipe."""
    return shipped_pair() if request.param == "shipped" else request.getfixturevalue("trained")


def test_trained_pair_is_cached_under_its_seed(trained, cache):
    final = cache / "toy" / f"{TOY_KIT_VERSION}-seed{TRAINED_SEED}"
    assert trained == ToyPair(final / "base", final / "collapsed")
    assert [p.name for p in (cache / "toy").iterdir()] == [final.name]  # no temp dirs left


def test_layout_and_loading(pair):
    for model_dir in (pair.base_dir, pair.collapsed_dir):
        for name in ("config.json", "model.safetensors", "generation_config.json",
                     "tokenizer.json"):
            assert (model_dir / name).is_file()
        tok, model = _load(model_dir)
        assert tok.bos_token == tok.eos_token == "<|endoftext|>" and tok.pad_token == "<|pad|>"
        assert model.config.eos_token_id == tok.eos_token_id
        assert tok("hi")["input_ids"][0] == tok.bos_token_id


def test_second_call_is_cached(trained, cache):
    weights = trained.collapsed_dir / "model.safetensors"
    mtime = weights.stat().st_mtime_ns
    start = time.perf_counter()
    again = build_toy_pair(str(cache), seed=TRAINED_SEED)
    assert time.perf_counter() - start < 1.0
    assert again == trained
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


def test_full_build_is_deterministic(trained, twin):
    """On one machine; across machines the floats may differ, which is why seed 0 is shipped."""
    proc, twin_cache = twin
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output
    again = build_toy_pair(twin_cache, seed=TRAINED_SEED)  # cached by the other process
    for a, b in ((trained.base_dir, again.base_dir), (trained.collapsed_dir, again.collapsed_dir)):
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


# ---------------------------------------------------------------- the shipped pair


def _manifest() -> dict:
    return json.loads((SHIPPED_DIR / shipped.MANIFEST_FILE).read_text(encoding="utf-8"))


def test_shipped_files_hash_to_the_committed_manifest():
    files = _manifest()["files"]
    on_disk = sorted(p.relative_to(SHIPPED_DIR).as_posix() for p in SHIPPED_DIR.rglob("*")
                     if p.is_file() and p.name != shipped.MANIFEST_FILE)
    assert sorted(files) == on_disk  # every shipped file is listed, and nothing listed is absent
    for name in ("base/model.safetensors", "collapsed/model.safetensors", "base/tokenizer.json",
                 "collapsed/chat_template.jinja"):
        assert name in files
    for name, sha256 in files.items():
        assert _sha256(SHIPPED_DIR / name) == sha256, name
    assert (SHIPPED_DIR / "collapsed" / "model.safetensors").stat().st_size < 1_000_000  # float32, tiny


def test_shipped_manifest_records_the_current_recipe():
    """A recipe change without retraining the shipped pair (python -m pytest_worldprior.toy) fails here."""
    manifest = _manifest()
    assert manifest["seed"] == shipped.SHIPPED_SEED == 0
    assert manifest["toy_kit_version"] == TOY_KIT_VERSION
    assert manifest["recipe"] == shipped.recipe()
    assert manifest["format"] == shipped.MANIFEST_FORMAT


def test_seed_0_is_the_shipped_pair_and_other_seeds_train(tmp_path, monkeypatch):
    assert toy_pair(tmp_path) == toy_pair(tmp_path, seed=0) == ToyPair(SHIPPED_DIR / "base", SHIPPED_DIR / "collapsed")
    assert not (tmp_path / "toy").exists()  # nothing trained, nothing written
    seeds = []
    monkeypatch.setattr(train, "_build_into", lambda out, seed: seeds.append(seed))
    final = tmp_path / "toy" / f"{TOY_KIT_VERSION}-seed2"
    assert toy_pair(tmp_path, seed=2) == ToyPair(final / "base", final / "collapsed")
    assert seeds == [2]


@pytest.mark.parametrize("name, folder", [("toy-base", "base"), ("toy-collapsed", "collapsed")])
def test_loading_the_toy_names_reads_the_shipped_files(name, folder, tmp_path):
    """The fingerprint the loader records is made of exactly the shipped files' committed hashes."""
    files = _manifest()["files"]

    def combined(names):
        return sha256_text("\n".join(f"{n}:{files[f'{folder}/{n}']}" for n in sorted(names)))

    info = load_model(name, cache_dir=tmp_path).info()
    assert info.weights_sha256 == combined(["model.safetensors"])
    tokenizer_files = [n.split("/", 1)[1] for n in files if n.startswith(f"{folder}/")
                       and n.split("/", 1)[1] not in ("model.safetensors", "config.json", "generation_config.json")]
    assert info.tokenizer_sha256 == combined(tokenizer_files)
    assert not (tmp_path / "toy").exists()  # seed 0 is never trained into the cache


def _copy_of_shipped(tmp_path):
    copy = tmp_path / "weights"
    shutil.copytree(SHIPPED_DIR, copy)
    return copy


def test_a_changed_shipped_file_is_refused(tmp_path, monkeypatch):
    copy = _copy_of_shipped(tmp_path)
    assert shipped_pair(copy) == ToyPair(copy / "base", copy / "collapsed")
    weights = copy / "collapsed" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    (copy / "base" / "tokenizer_config.json").unlink()
    (copy / "base" / "extra.bin").write_bytes(b"")
    with pytest.raises(ModelLoadError) as raised:
        shipped_pair(copy)
    message = str(raised.value)
    for part in ("collapsed/model.safetensors has sha256", "base/tokenizer_config.json is missing",
                 "base/extra.bin is not in the manifest", "python -m pytest_worldprior.toy"):
        assert part in message
    monkeypatch.setattr(shipped, "SHIPPED_DIR", copy)
    with pytest.raises(ModelLoadError, match="does not match its manifest"):
        load_model("toy-collapsed", cache_dir=tmp_path / "cache")
    (copy / shipped.MANIFEST_FILE).unlink()
    with pytest.raises(ModelLoadError, match="manifest .* is missing"):
        shipped_pair(copy)


def test_the_command_retrains_the_pair_with_its_manifest(tmp_path, monkeypatch, capsys):
    """python -m pytest_worldprior.toy --out DIR (a few steps here; the real run takes about 20 s)."""
    original = train._build_into
    monkeypatch.setattr(train, "_build_into", lambda out, seed: original(out, seed, base_steps=4, tune_steps=2))
    out = tmp_path / "weights"
    assert toy_main.main(["--out", str(out)]) == 0
    manifest = shipped.read_manifest(out)
    assert manifest["seed"] == 0 and manifest["toy_kit_version"] == TOY_KIT_VERSION
    assert sorted(manifest["files"]) == sorted(_manifest()["files"])  # the same file set as the shipped pair
    assert shipped_pair(out) == ToyPair(out / "base", out / "collapsed")  # hashes written match the files
    printed = capsys.readouterr().out
    assert f"{manifest['files']['base/model.safetensors']}  {out / 'base' / 'model.safetensors'}" in printed
    assert toy_main.main(["--out", str(out)]) == 0  # a second run replaces the folder
    assert shipped.read_manifest(out)["files"] == manifest["files"]


def test_check_says_whether_training_here_reproduces_the_shipped_files(monkeypatch, capsys):
    def copy_shipped(out, seed, damage=False):
        for folder in ("base", "collapsed"):
            shutil.copytree(SHIPPED_DIR / folder, out / folder)
        if damage:
            (out / "base" / "model.safetensors").write_bytes(b"other floats")

    monkeypatch.setattr(train, "_build_into", copy_shipped)
    assert toy_main.main(["--check"]) == 0
    assert "identical" in capsys.readouterr().out
    monkeypatch.setattr(train, "_build_into", lambda out, seed: copy_shipped(out, seed, damage=True))
    assert toy_main.main(["--check"]) == 1
    assert "differs: base/model.safetensors has sha256" in capsys.readouterr().out
