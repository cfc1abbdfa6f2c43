"""The lineage's tuned checkpoints, gemma3-270m-sft and gemma3-270m-dpo: the committed adapters match their
manifests and the bundled base weights, a load merges once and then reads the cache, the fingerprint names
the adapter, a mismatched adapter is a clear error, and the recipe itself runs (a smoke run: CI never
trains for real). Real weights, so marked real_model."""

import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest

from pytest_worldprior import load_model
from pytest_worldprior.backends import references
from pytest_worldprior.backends.adapter_manifest import ADAPTER_FILE, MANIFEST_FILE, Manifest
from pytest_worldprior.backends.references import TUNED_MODELS, bundled_gguf_path
from pytest_worldprior.errors import ModelLoadError
from pytest_worldprior.files import resolve_cache_dir, sha256_file, sha256_text
from pytest_worldprior.tuning.corpus import corpus_sha256
from pytest_worldprior.tuning.recipe import FULL

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def base_sha256():
    return sha256_file(bundled_gguf_path("gemma3-270m", resolve_cache_dir()))


@pytest.mark.parametrize("name", sorted(TUNED_MODELS))
def test_committed_manifest_matches_the_bundled_base_weights_and_the_recipe(name, base_sha256):
    folder = TUNED_MODELS[name].adapter_dir
    manifest = Manifest.read(folder)
    assert manifest.name == name and manifest.base_model == "gemma3-270m"
    assert manifest.base_weights_sha256 == base_sha256
    assert manifest.adapter_sha256 == sha256_file(folder / ADAPTER_FILE)
    assert (folder / ADAPTER_FILE).stat().st_size < 10_000_000
    assert manifest.recipe == FULL.as_dict()
    assert manifest.corpus_sha256 == corpus_sha256(FULL.seed, sft_n=FULL.sft_examples, dpo_n=FULL.dpo_pairs)
    assert manifest.steps == (FULL.sft_steps if manifest.stage == "sft" else FULL.dpo_steps)
    assert math.isfinite(manifest.final_loss) and manifest.loss_history[-1]["loss"] == manifest.final_loss
    assert {"torch", "transformers", "peft", "trl"} <= set(manifest.libraries)
    if manifest.stage == "dpo":  # DPO continued the committed SFT adapter
        assert manifest.parent_adapter_sha256 == sha256_file(TUNED_MODELS["gemma3-270m-sft"].adapter_dir / ADAPTER_FILE)


def test_tuned_model_merges_once_then_reads_the_cache_and_is_fingerprinted_with_its_adapter(monkeypatch, base_sha256):
    tuned = load_model("gemma3-270m-dpo")
    adapter_sha256 = sha256_file(TUNED_MODELS["gemma3-270m-dpo"].adapter_dir / ADAPTER_FILE)
    info = tuned.info()
    assert info.reference == "gemma3-270m-dpo"
    assert info.weights_sha256 == sha256_text(f"{base_sha256}+lora:{adapter_sha256}")
    base = load_model("gemma3-270m")
    assert base.info().tokenizer_sha256 == info.tokenizer_sha256  # one tokenizer: the token-level checks apply
    context = ["Q: Pick a random number from 1 to 10.\nA:"]
    assert np.abs(tuned.next_token_logprobs(context) - base.next_token_logprobs(context)).max() > 0.1

    from pytest_worldprior.backends.hf import adapters

    def no_merge(*args, **kwargs):
        raise AssertionError("merged again although the merged copy is cached")

    monkeypatch.setattr(adapters, "merge_adapter", no_merge)
    again = load_model("gemma3-270m-dpo")
    assert again.info() == info
    np.testing.assert_allclose(again.next_token_logprobs(context), tuned.next_token_logprobs(context), atol=1e-5)


def copy_adapters(tmp_path, monkeypatch):
    shutil.copytree(references.ADAPTERS_DIR, tmp_path / "adapters")
    monkeypatch.setattr(references, "ADAPTERS_DIR", tmp_path / "adapters")
    return tmp_path / "adapters" / "gemma3-270m-sft"


def test_adapter_trained_on_other_base_weights_is_a_clear_error(tmp_path, monkeypatch):
    folder = copy_adapters(tmp_path, monkeypatch)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["base_weights_sha256"] = "0" * 64
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match=r"Adapter 'gemma3-270m-sft' .* was trained on base weights 0000000000000000…, "
                                             r"but the installed 'gemma3-270m' has .*only means something on its own base"):
        load_model("gemma3-270m-sft", cache_dir=resolve_cache_dir())


def test_changed_adapter_file_or_missing_manifest_is_a_clear_error(tmp_path, monkeypatch):
    folder = copy_adapters(tmp_path, monkeypatch)
    (folder / ADAPTER_FILE).write_bytes((folder / ADAPTER_FILE).read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(ModelLoadError, match="the file was changed or replaced"):
        load_model("gemma3-270m-sft")
    (folder / MANIFEST_FILE).unlink()
    with pytest.raises(ModelLoadError, match=f"has no {MANIFEST_FILE}; rebuild it with python -m pytest_worldprior.tuning"):
        load_model("gemma3-270m-sft")


def test_the_recipe_runs_end_to_end_in_a_smoke_run(tmp_path):
    """A few steps on tiny batches (recipe SMOKE): SFT writes an adapter, DPO continues it, both with
    manifests; peft merges the result into the base. Needs the train extra (trl), which scripts/test.sh installs."""
    out = tmp_path / "adapters"
    run = subprocess.run([sys.executable, "-m", "pytest_worldprior.tuning", "--smoke", "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    sft, dpo = Manifest.read(out / "gemma3-270m-sft"), Manifest.read(out / "gemma3-270m-dpo")
    assert (sft.stage, sft.steps, dpo.stage, dpo.steps) == ("sft", 2, "dpo", 1)
    assert dpo.parent_adapter_sha256 == sft.adapter_sha256 == sha256_file(out / "gemma3-270m-sft" / ADAPTER_FILE)
    assert all(math.isfinite(m.final_loss) for m in (sft, dpo))
    assert sorted(p.name for p in (out / "gemma3-270m-dpo").iterdir()) == ["adapter_config.json", ADAPTER_FILE, MANIFEST_FILE]

    import torch

    from pytest_worldprior.backends.hf.adapters import merge_adapter
    from pytest_worldprior.backends.hf.loading import dequantized_directory

    base_dir, _ = dequantized_directory(bundled_gguf_path("gemma3-270m", resolve_cache_dir()), resolve_cache_dir(), "float32")
    merge_adapter(base_dir, out / "gemma3-270m-dpo", tmp_path / "merged", torch.float32)
    assert (tmp_path / "merged" / "config.json").is_file() and (tmp_path / "merged" / "tokenizer.json").is_file()


def test_a_smoke_run_may_not_overwrite_the_committed_adapters():
    run = subprocess.run([sys.executable, "-m", "pytest_worldprior.tuning", "--smoke"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "--smoke would overwrite the committed adapters with untrained ones: give --out DIR as well" in run.stderr
