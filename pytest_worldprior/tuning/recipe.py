"""The lineage recipe's settings: ``FULL`` (the committed adapters; about 40 minutes on 2 CPU cores) and
``SMOKE`` (a few steps on tiny batches, for CI: it proves the recipe runs, not that it tunes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

BASE_MODEL = "gemma3-270m"
# Every linear projection of a gemma-3 block: attention (q, k, v, o) and MLP (gate, up, down).
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class Recipe:
    """Hyper-parameters of SFT then DPO with LoRA adapters (Hu et al. 2021, arXiv:2106.09685).

    Steps are optimiser steps; a batch is ``*_batch_size`` examples (SFT) or pairs (DPO), up to
    ``max_length`` tokens each (the corpus's longest text is 80 gemma tokens, so nothing is cut at 96).
    DPO (Rafailov et al. 2023, arXiv:2305.18290) continues the SFT adapter, with the SFT model as the
    frozen reference and ``dpo_beta`` its KL weight.
    """

    seed: int = 0
    sft_examples: int = 480
    dpo_pairs: int = 240
    lora_rank: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    target_modules: tuple[str, ...] = PROJECTIONS
    max_length: int = 96
    sft_steps: int = 120  # two passes over the 480 examples
    sft_batch_size: int = 8
    sft_learning_rate: float = 2e-4
    dpo_steps: int = 60  # one pass over the 240 pairs
    dpo_batch_size: int = 4
    dpo_learning_rate: float = 5e-5
    dpo_beta: float = 0.1
    logging_steps: int = 10

    def as_dict(self) -> dict:
        return {**asdict(self), "target_modules": list(self.target_modules)}


FULL = Recipe()
SMOKE = Recipe(sft_examples=12, dpo_pairs=6, sft_steps=2, sft_batch_size=2, dpo_steps=1, dpo_batch_size=2,
               max_length=32, logging_steps=1)
