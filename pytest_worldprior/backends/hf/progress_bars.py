"""transformers' progress bars (model loading, writing a dequantised .gguf to the cache), off on request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def progress_bars_off() -> Iterator[None]:
    """Turn transformers' tqdm bars off for the block and restore them after. (The .gguf converter's own
    bar, shown once per file on its first load, uses plain tqdm and stays.)"""
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()
