"""What identifies a loaded transformers model: the tokenizer's hash, library versions, end-of-text ids
and the longest context."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib.metadata import PackageNotFoundError, version


def tokenizer_sha256(tokenizer) -> str:
    """A hash of everything that decides tokenization and chat rendering, stable across loads."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        core = json.dumps(json.loads(backend.to_str()), sort_keys=True)
    else:
        core = json.dumps(sorted(tokenizer.get_vocab().items()))
    extra = json.dumps(
        {"special": tokenizer.special_tokens_map, "chat_template": tokenizer.chat_template}, sort_keys=True, default=str
    )
    return hashlib.sha256((core + extra).encode()).hexdigest()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("pytest-worldprior", "torch", "transformers", "tokenizers", "numpy"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def eos_ids_of(model, tokenizer) -> frozenset[int]:
    ids = {tokenizer.eos_token_id}
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids.update(configured if isinstance(configured, (list, tuple)) else [configured])
    return frozenset(int(i) for i in ids if i is not None)


def max_length_of(config) -> int:
    for name in ("max_position_embeddings", "n_positions"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return 1 << 30
