"""Backends: how a model is asked. `load_model` picks and loads one from a reference.

The contract (base.Backend) loads on first use, like the backends themselves: checking a model
reference at start-up (references) must not import numpy or torch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..files import resolve_cache_dir
from .recorded import Recorded  # imports nothing: loaded with the package, so its class is one per process
from .references import ModelSpec, resolve_reference

if TYPE_CHECKING:
    from .base import Backend, Context, Continuation, Generation, ModelInfo, Prompt

__all__ = ["Backend", "Context", "Continuation", "Generation", "ModelInfo", "Prompt", "Recorded", "load_model", "load_spec"]
_CONTRACT = ("Backend", "Context", "Continuation", "Generation", "ModelInfo", "Prompt")


def __getattr__(name: str):
    if name in _CONTRACT:
        from . import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    api_key_env: str | None = "OPENAI_API_KEY",
    max_in_flight: int = 8,
    timeout_s: float = 120.0,
) -> Backend:
    """Load a model from a Hugging Face directory, a .gguf file, a bundled or toy short name, or an
    OpenAI-compatible server (openai+http://host:port/v1#model; its key from the environment variable
    `api_key_env`, up to `max_in_flight` requests at once, each given `timeout_s` seconds).

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
        server={"api_key_env": api_key_env, "max_in_flight": max_in_flight, "timeout_s": timeout_s},
    )


def load_spec(spec: ModelSpec, *, cache_dir: Path, server: dict | None = None, **options) -> Backend:
    """Load a checked reference. `server`: api_key_env, max_in_flight and timeout_s for server models;
    the other options (device, dtype, batch size...) are for models this process runs."""
    if spec.kind == "openai":
        from .openai.backend import load_openai_backend

        return load_openai_backend(spec, **(server or {}))
    from .hf.loading import (
        load_hf_backend,  # torch and transformers load only when a model does
    )

    return load_hf_backend(spec, cache_dir=cache_dir, **options)
