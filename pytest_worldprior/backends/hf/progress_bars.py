"""transformers' progress bars (model loading, the .gguf converter), off on request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def progress_bars_off() -> Iterator[None]:
    """Turn transformers' tqdm bars off for the block and restore them after, the .gguf converter's
    ("Converting and de-quantizing GGUF tensors", on a file's first load) included.

    transformers' own bars follow its switch (`transformers.utils.logging.disable_progress_bar`). The
    converter calls plain `tqdm.auto.tqdm`, which no switch reaches (tqdm reads its TQDM_* environment
    variables once, at import), so for the block its module's `tqdm` is transformers' switchable one."""
    from transformers import modeling_gguf_pytorch_utils as gguf_converter
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    converter_bar = gguf_converter.tqdm
    transformers_logging.disable_progress_bar()
    gguf_converter.tqdm = transformers_logging.tqdm
    try:
        yield
    finally:
        gguf_converter.tqdm = converter_bar
        if was_enabled:
            transformers_logging.enable_progress_bar()
