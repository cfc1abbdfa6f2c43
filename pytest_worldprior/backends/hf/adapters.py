"""Merge a LoRA adapter into its base weights with peft, once, into a plain Hugging Face directory.

The merged copy is what a tuned short name loads (`loading.py` caches it under `merged/` like the
dequantised GGUF): after merging, the model is an ordinary transformers model, so every backend feature
(logits, KV cache, batching) works unchanged and no peft code runs per forward pass.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ...errors import ModelLoadError
from ...files import atomic_directory


def merge_adapter(base_dir: Path, adapter_dir: Path, out_dir: Path, torch_dtype: torch.dtype) -> None:
    """Write base + adapter, merged (W + B·A·alpha/r per adapted projection), to `out_dir` in `torch_dtype`.

    The merge runs in float32 and only the result is cast. Raises ModelLoadError when peft is missing or the
    adapter does not fit the base. `out_dir` appears whole or not at all.
    """
    try:
        from peft import PeftModel
    except ImportError:
        raise ModelLoadError("Loading a tuned model needs peft: pip install peft (a dependency of pytest-worldprior; "
                             "reinstall it if it is missing).") from None
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with atomic_directory(out_dir) as tmp:
        try:
            base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32, local_files_only=True)
            merged = PeftModel.from_pretrained(base, adapter_dir, local_files_only=True).merge_and_unload()
        except Exception as exc:  # peft raises many kinds for an adapter that does not fit
            raise ModelLoadError(f"Could not merge adapter {adapter_dir} into {base_dir}: {type(exc).__name__}: {exc}. "
                                 "The adapter must come from the same base model (its adapter_config.json names the "
                                 "adapted projections); rebuild it with python -m pytest_worldprior.tuning.") from exc
        merged.to(torch_dtype).save_pretrained(tmp)
        AutoTokenizer.from_pretrained(base_dir, local_files_only=True).save_pretrained(tmp)
