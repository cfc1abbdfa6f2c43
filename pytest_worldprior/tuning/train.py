"""Train the lineage base -> SFT -> DPO on the bundled gemma3-270m with LoRA adapters, using peft and trl.

SFT (trl's SFTTrainer) fits a fresh LoRA adapter to ``corpus.sft_examples`` (loss on the completion only);
DPO (trl's DPOTrainer) then continues that same adapter on ``corpus.dpo_pairs``, with the SFT model as the
frozen reference. Each stage writes a folder ``<out>/<name>/`` with the adapter (safetensors) and its
manifest (backends/adapter_manifest.py). Needs the ``train`` extra: pip install 'pytest-worldprior[train]'.
"""

from __future__ import annotations

import json
import shutil
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..backends.adapter_manifest import ADAPTER_FILE, Manifest
from ..backends.hf.loading import dequantized_directory
from ..backends.references import bundled_gguf_path
from ..errors import ModelLoadError
from ..files import atomic_directory, sha256_file
from .corpus import corpus_sha256, dpo_pairs, sft_examples
from .recipe import BASE_MODEL, Recipe

SFT_NAME, DPO_NAME = "gemma3-270m-sft", "gemma3-270m-dpo"
_LIBRARIES = ("pytest-worldprior", "torch", "transformers", "peft", "trl", "datasets", "accelerate")


def train_lineage(recipe: Recipe, out_dir: Path, cache_dir: Path, *, log=print) -> dict[str, Manifest]:
    """Run SFT then DPO; write ``out_dir/gemma3-270m-sft`` and ``out_dir/gemma3-270m-dpo``; return the manifests.

    `log` is called with one line per stage start and end (default: print). Raises ModelLoadError when the
    train extra or the base model is missing. A folder is replaced only when its stage finished (an
    interrupted run leaves the previous adapters as they were; an interrupted DPO stage leaves the new SFT
    adapter beside the old DPO one, whose manifest then names another parent).
    """
    _check_train_extra()
    gguf = bundled_gguf_path(BASE_MODEL, cache_dir)
    base_dir, base_sha256 = dequantized_directory(gguf, cache_dir, "float32")
    common = {"base_model": BASE_MODEL, "base_weights_sha256": base_sha256, "recipe": recipe.as_dict(),
              "corpus_sha256": corpus_sha256(recipe.seed, sft_n=recipe.sft_examples, dpo_n=recipe.dpo_pairs),
              "libraries": _library_versions()}
    log(f"SFT: {recipe.sft_steps} steps x {recipe.sft_batch_size} examples on {recipe.sft_examples} examples")
    sft = _train_stage("sft", recipe, base_dir, out_dir / SFT_NAME, common, parent=None)
    log(f"SFT done in {sft.train_seconds:.0f} s, final loss {sft.final_loss:.3f}")
    log(f"DPO: {recipe.dpo_steps} steps x {recipe.dpo_batch_size} pairs on {recipe.dpo_pairs} pairs")
    dpo = _train_stage("dpo", recipe, base_dir, out_dir / DPO_NAME, common, parent=out_dir / SFT_NAME)
    log(f"DPO done in {dpo.train_seconds:.0f} s, final loss {dpo.final_loss:.3f}")
    return {SFT_NAME: sft, DPO_NAME: dpo}


def _train_stage(stage: str, recipe: Recipe, base_dir: Path, final: Path, common: dict, parent: Path | None) -> Manifest:
    import torch
    from datasets import Dataset, disable_progress_bars
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

    set_seed(recipe.seed)
    disable_progress_bars()  # one bar per preprocessing pass of trl: noise in a log
    tokenizer = AutoTokenizer.from_pretrained(base_dir, local_files_only=True)
    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32, local_files_only=True,
                                                attn_implementation="eager")  # gemma-3's advice for training
    with atomic_directory(final) as tmp:
        scratch = tmp / "trainer"
        if stage == "sft":
            lora = LoraConfig(r=recipe.lora_rank, lora_alpha=recipe.lora_alpha, lora_dropout=recipe.lora_dropout,
                              target_modules=list(recipe.target_modules), task_type="CAUSAL_LM")
            model = get_peft_model(base, lora)
            rows = [{"prompt": e["prompt"], "completion": e["completion"]}
                    for e in sft_examples(recipe.seed, recipe.sft_examples)]
            trainer = _sft_trainer(model, tokenizer, Dataset.from_list(rows), recipe, scratch)
        else:
            model = PeftModel.from_pretrained(base, parent, is_trainable=True)
            rows = [{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in dpo_pairs(recipe.seed, recipe.dpo_pairs)]
            trainer = _dpo_trainer(model, tokenizer, Dataset.from_list(rows), recipe, scratch)
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
        # DPO keeps a frozen copy of the starting adapter as its reference; only the trained one is saved.
        model.save_pretrained(tmp, selected_adapters=["default"])
        (tmp / "README.md").unlink(missing_ok=True)  # peft's model-card template, empty of facts
        _name_the_base(tmp / "adapter_config.json")
        shutil.rmtree(scratch, ignore_errors=True)
        history = [{"step": int(h["step"]), "loss": float(h["loss"])} for h in trainer.state.log_history if "loss" in h]
        manifest = Manifest(
            name=final.name, stage=stage, adapter_sha256=sha256_file(tmp / ADAPTER_FILE), steps=trainer.state.global_step,
            final_loss=history[-1]["loss"] if history else float("nan"), loss_history=history,
            train_seconds=round(seconds, 1),
            parent_adapter_sha256=sha256_file(parent / ADAPTER_FILE) if parent else None, **common)
        manifest.write(tmp)
    return manifest


def _shared_args(recipe: Recipe, scratch: Path, steps: int, batch: int, rate: float) -> dict:
    return {"output_dir": str(scratch), "max_steps": steps, "per_device_train_batch_size": batch,
            "learning_rate": rate, "max_length": recipe.max_length, "seed": recipe.seed, "data_seed": recipe.seed,
            "logging_steps": recipe.logging_steps, "use_cpu": True, "bf16": False, "fp16": False,
            # On CPU, trl's defaults (activation checkpointing, bf16) make a step about twice as slow.
            "activation_checkpointing": False, "save_strategy": "no", "report_to": "none", "disable_tqdm": True}


def _sft_trainer(model, tokenizer, dataset, recipe: Recipe, scratch: Path):
    from trl import SFTConfig, SFTTrainer

    args = SFTConfig(**_shared_args(recipe, scratch, recipe.sft_steps, recipe.sft_batch_size, recipe.sft_learning_rate),
                     completion_only_loss=True)
    return SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)


def _dpo_trainer(model, tokenizer, dataset, recipe: Recipe, scratch: Path):
    from trl import DPOConfig, DPOTrainer

    args = DPOConfig(**_shared_args(recipe, scratch, recipe.dpo_steps, recipe.dpo_batch_size, recipe.dpo_learning_rate),
                     beta=recipe.dpo_beta)
    return DPOTrainer(model=model, ref_model=None, args=args, train_dataset=dataset, processing_class=tokenizer)


def _name_the_base(config_file: Path) -> None:
    """peft writes the local folder the base was read from; name the bundled model instead (the manifest
    holds its sha256), so the file says nothing about the machine that trained it."""
    config = json.loads(config_file.read_text())
    config["base_model_name_or_path"] = f"{BASE_MODEL} (pytest-worldprior bundled; see worldprior-manifest.json)"
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def _check_train_extra() -> None:
    missing = [name for name in ("peft", "trl", "datasets") if not _installed(name)]
    if missing:
        raise ModelLoadError(f"Training the lineage needs {', '.join(missing)}: pip install 'pytest-worldprior[train]' "
                             "(from a checkout: .venv/bin/python -m pip install -c requirements-lock.txt -e '.[train]').")


def _installed(name: str) -> bool:
    try:
        version(name)
        return True
    except PackageNotFoundError:
        return False


def _library_versions() -> dict[str, str]:
    return {name: version(name) if _installed(name) else "not installed" for name in _LIBRARIES}

