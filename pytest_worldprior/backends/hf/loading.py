"""Load a `ModelSpec` into an `HFBackend`: Hugging Face directories, .gguf files (dequantised once and
cached as safetensors), bundled models and toy models. Every failure becomes a ModelLoadError with a fix."""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from pathlib import Path

import torch

from ...errors import ModelLoadError
from ...files import atomic_directory, sha256_file, sha256_text
from ..references import ModelSpec, bundled_gguf_path
from .backend import HFBackend

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
_SOURCE_FILE = "worldprior-source.json"


def resolve_device(name: str) -> torch.device:
    """'cpu', 'cuda', 'cuda:N', 'mps' or 'auto' (cuda when present); an absent device is a ModelLoadError."""
    name = (name or "cpu").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ModelLoadError(f"Unknown device {name!r}. Use cpu, cuda, cuda:N, mps or auto.") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ModelLoadError(
                f"Device {name!r} was asked for, but torch {torch.__version__} sees no CUDA device on this machine. "
                "Use --worldprior-device cpu (the default), or auto to take a GPU only when there is one."
            )
        if device.index is not None and device.index >= count:
            raise ModelLoadError(f"Device {name!r} does not exist: this machine has {count} CUDA device(s), cuda:0..cuda:{count - 1}.")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ModelLoadError(f"Device {name!r} was asked for, but MPS is not available here. Use --worldprior-device cpu.")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ModelLoadError(f"Device {name!r} is not supported. Use cpu, cuda, cuda:N, mps or auto.")
    return device


def resolve_dtype(name: str) -> torch.dtype:
    if name not in _DTYPES:
        raise ModelLoadError(f"Unknown dtype {name!r}. Use one of: {', '.join(_DTYPES)} (float32 is the default and exact).")
    return _DTYPES[name]


def load_hf_backend(
    spec: ModelSpec,
    *,
    cache_dir: Path,
    device: str = "cpu",
    dtype: str = "float32",
    batch_size: int = 8,
    chat_fallback: bool = False,
    threads: int | None = None,
) -> HFBackend:
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)
    if threads is not None:
        torch.set_num_threads(threads)
    if spec.kind in ("gguf", "bundled"):
        gguf_path = spec.path if spec.kind == "gguf" else bundled_gguf_path(spec.reference, cache_dir)
        (model, tokenizer), directory, weights_sha256 = _load_cached_dequantized(gguf_path, cache_dir, dtype, spec)
    elif spec.kind == "tuned":
        directory, weights_sha256 = _merged_directory(spec, cache_dir, dtype)
        try:
            model, tokenizer = _load_directory(directory, torch_dtype, spec)
        except ModelLoadError:  # a damaged merged copy is rebuilt once, like a dequantised one
            shutil.rmtree(directory, ignore_errors=True)
            directory, weights_sha256 = _merged_directory(spec, cache_dir, dtype)
            model, tokenizer = _load_directory(directory, torch_dtype, spec)
    else:
        if spec.kind == "toy":  # the seed-0 pair shipped in the package, checked against its manifest
            from ...toy import toy_pair

            pair = toy_pair(cache_dir)
            directory = pair.base_dir if spec.reference == "toy-base" else pair.collapsed_dir
        else:
            directory = spec.path
        weights_sha256 = directory_weights_sha256(directory)
        model, tokenizer = _load_directory(directory, torch_dtype, spec)
    _check_tokenizer_fits(model, tokenizer, spec)
    return HFBackend(
        model.to(torch_device),
        tokenizer,
        reference=spec.reference if spec.kind in ("bundled", "toy", "tuned") else str(spec.path),
        weights_sha256=weights_sha256,
        tokenizer_sha256=directory_tokenizer_sha256(directory),
        batch_size=batch_size,
        chat_fallback=chat_fallback,
    )


_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                    "chat_template.json", "tokenizer.model", "vocab.json", "merges.txt")


def directory_weights_sha256(directory: Path) -> str:
    """One hash over every weight file of a model directory (names and contents, in sorted order)."""
    return _files_sha256(p for p in directory.iterdir() if p.suffix in _WEIGHT_SUFFIXES)


def directory_tokenizer_sha256(directory: Path) -> str:
    """One hash over the tokenizer's files: far faster than serialising a 262k-token vocabulary again."""
    return _files_sha256(p for p in directory.iterdir() if p.name in _TOKENIZER_FILES)


def _files_sha256(paths) -> str:
    return sha256_text("\n".join(f"{p.name}:{sha256_file(p)}" for p in sorted(paths)))


def _load_directory(directory: Path, torch_dtype: torch.dtype, spec: ModelSpec):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    options = {"local_files_only": True, "trust_remote_code": spec.trust_remote_code}
    try:
        with _quiet_progress_bars():  # a safetensors load takes about a second: a bar per load is noise
            tokenizer = AutoTokenizer.from_pretrained(directory, **options)
            model = AutoModelForCausalLM.from_pretrained(
                directory, dtype=torch_dtype, use_safetensors=None if spec.allow_pickle else True, **options
            )
    except Exception as exc:  # transformers raises many kinds; all mean "cannot load this folder"
        raise ModelLoadError(f"Could not load model {spec.label!r} from {directory}: {type(exc).__name__}: {exc}") from exc
    return model, tokenizer


@contextmanager
def _quiet_progress_bars():
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()


def dequantized_directory(gguf_path: Path, cache_dir: Path, dtype: str) -> tuple[Path, str]:
    """The safetensors copy of a .gguf in `cache_dir`, written on first use, and the .gguf's sha256, which
    fingerprints the weights."""
    weights_sha256 = sha256_file(gguf_path)
    directory = cache_dir / "dequantized" / f"{weights_sha256[:32]}-{dtype}"
    if not directory.is_dir():
        _dequantize(gguf_path, directory, resolve_dtype(dtype))
    return directory, weights_sha256


def _load_cached_dequantized(gguf_path: Path, cache_dir: Path, dtype: str, spec: ModelSpec):
    """Load the safetensors copy of a .gguf, writing it first if absent; a damaged copy is rebuilt once.

    Every dtype loads the float32 copy, cast as it loads: the GGUF reader dequantises to float32 and casts
    to the dtype asked for, so the weights are the same, and the slow conversion runs once, not per dtype."""
    directory, weights_sha256 = dequantized_directory(gguf_path, cache_dir, "float32")
    try:
        return _load_directory(directory, resolve_dtype(dtype), spec), directory, weights_sha256
    except ModelLoadError:
        shutil.rmtree(directory, ignore_errors=True)
    directory, weights_sha256 = dequantized_directory(gguf_path, cache_dir, "float32")
    return _load_directory(directory, resolve_dtype(dtype), spec), directory, weights_sha256


def _merged_directory(spec: ModelSpec, cache_dir: Path, dtype: str) -> tuple[Path, str]:
    """A tuned short name: its base model plus its LoRA adapter, merged once into `cache_dir` (checked against
    the adapter's manifest first), and the fingerprint of the pair."""
    from ..adapter_manifest import ADAPTER_FILE, Manifest, check_manifest
    from ..references import TUNED_MODELS
    from .adapters import merge_adapter

    tuned = TUNED_MODELS[spec.reference]
    base_dir, base_sha256 = dequantized_directory(bundled_gguf_path(tuned.base, cache_dir), cache_dir, "float32")
    adapter_dir = tuned.adapter_dir
    adapter_sha256 = sha256_file(adapter_dir / ADAPTER_FILE)
    check_manifest(Manifest.read(adapter_dir), directory=adapter_dir, base_weights_sha256=base_sha256,
                   adapter_sha256=adapter_sha256)
    weights_sha256 = sha256_text(f"{base_sha256}+lora:{adapter_sha256}")
    directory = cache_dir / "merged" / f"{weights_sha256[:32]}-{dtype}"
    if not directory.is_dir():
        with _quiet_progress_bars():
            merge_adapter(base_dir, adapter_dir, directory, resolve_dtype(dtype))
    return directory, weights_sha256


def _dequantize(gguf_path: Path, directory: Path, torch_dtype: torch.dtype) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    options = {"gguf_file": gguf_path.name, "local_files_only": True}
    with atomic_directory(directory) as tmp:
        try:
            tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **options)
            model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, dtype=torch_dtype, **options)
        except Exception as exc:
            raise ModelLoadError(
                f"transformers could not read {gguf_path}: {type(exc).__name__}: {exc}. Its architecture may not be "
                "supported by transformers' GGUF loader; convert the model to a Hugging Face directory instead."
            ) from exc
        # The tensors are already dequantised; drop the GGUF quantizer so the model saves as plain safetensors.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        source = {"gguf": str(gguf_path), "dtype": str(torch_dtype)}
        (tmp / _SOURCE_FILE).write_text(json.dumps(source, indent=2))


def _check_tokenizer_fits(model, tokenizer, spec: ModelSpec) -> None:
    rows = model.get_output_embeddings().weight.shape[0]
    if len(tokenizer) > rows:
        raise ModelLoadError(
            f"Model {spec.label!r}: its tokenizer has {len(tokenizer)} tokens but the model predicts only {rows}; "
            "the tokenizer files do not belong to these weights. Save model and tokenizer together."
        )
