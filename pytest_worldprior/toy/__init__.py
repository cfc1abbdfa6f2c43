"""Tiny in-process base/collapsed model pair for fast tests and demos.

``build_toy_pair(cache_dir, seed)`` trains (once, then caches) a tiny GPT-2
base model on a diverse corpus and a copy fine-tuned on a repetitive corpus,
which is mode-collapsed on ``NARROW_PROMPTS``.
"""

from .corpus import BROAD_PROMPTS, NARROW_PROMPTS
from .train import TOY_KIT_VERSION, ToyPair, build_toy_pair

__all__ = ["build_toy_pair", "ToyPair", "NARROW_PROMPTS", "BROAD_PROMPTS", "TOY_KIT_VERSION"]
