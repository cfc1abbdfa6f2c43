"""Tiny in-process base/collapsed model pair for fast tests and demos.

``toy_pair(cache_dir, seed)`` gives the pair: for seed 0 the one shipped in ``toy/weights/`` (the same
weights on every machine, checked against ``worldprior-manifest.json``); for another seed
``build_toy_pair(cache_dir, seed)`` trains (once, then caches) a tiny GPT-2 base model on a diverse
corpus and a copy fine-tuned on a repetitive corpus, which is mode-collapsed on ``NARROW_PROMPTS``.
``python -m pytest_worldprior.toy`` retrains the shipped pair.
"""

from .corpus import BROAD_PROMPTS, NARROW_PROMPTS
from .shipped import SHIPPED_DIR, shipped_pair, toy_pair
from .train import TOY_KIT_VERSION, ToyPair, build_toy_pair

__all__ = ["BROAD_PROMPTS", "NARROW_PROMPTS", "SHIPPED_DIR", "TOY_KIT_VERSION", "ToyPair", "build_toy_pair",
           "shipped_pair", "toy_pair"]
