"""Backends: how a model is asked. `load_model` picks and loads one from a reference."""

from __future__ import annotations

import os
from pathlib import Path

from ..cache import resolve_cache_dir
from ..references import ModelSpec, resolve_reference
from .base import Backend, Context, Continuation, Generation, ModelInfo, Prompt

__all__ = ["Backend", "Context", "Continuation", "Generation", "ModelInfo", "Prompt", "load_model", "load_spec"]


def load_model(
    reference: str | os.PathLike[str],
    *,
    device: str = "cpu",
    dtype: str = "float32",
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 8,
    allow_pickle: bool = False,
    trust_remote_code: bool = False,
    chat_fallback: bool = False,
) -> Backend:
    """Load a model from a Hugging Face directory, a .gguf file, or a bundled or toy short name.

    Loading is safe by default: pickled weights and a model's own Python code are refused unless asked for.
    """
    spec = resolve_reference(str(reference), allow_pickle=allow_pickle, trust_remote_code=trust_remote_code)
    return load_spec(
        spec,
        device=device,
        dtype=dtype,
        cache_dir=Path(cache_dir) if cache_dir else resolve_cache_dir(),
        batch_size=batch_size,
        chat_fallback=chat_fallback,
    )


def load_spec(spec: ModelSpec, *, cache_dir: Path, **options) -> Backend:
    from .hf_loading import load_hf_backend  # torch and transformers load only when a model does

    return load_hf_backend(spec, cache_dir=cache_dir, **options)
