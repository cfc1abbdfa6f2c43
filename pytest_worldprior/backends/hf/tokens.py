"""Prompts and tokens for the transformers backend: chat rendering, context ids and continuation ids."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...errors import ChatTemplateError
from ..base import Context, Continuation, Prompt


def render(tokenizer, prompt: Prompt, *, reference: str, chat_fallback: bool) -> str:
    """The text the model sees: plain text as it is, a chat through the tokenizer's chat template (or,
    when asked, 'role: content' lines then 'assistant:' for a model without one)."""
    if isinstance(prompt, str):
        return prompt
    messages = [dict(m) for m in prompt]
    if any(not isinstance(m.get("content"), str) or "role" not in m for m in messages):
        raise ValueError("a chat prompt is a list of {'role': ..., 'content': str} messages")
    if tokenizer.chat_template:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if not chat_fallback:
        raise ChatTemplateError(
            f"Model {reference!r} has no chat template (it looks like a base model), so a chat prompt "
            "cannot be rendered. Give a plain-text prompt, or ask for the plain-text fallback "
            "('role: content' lines, then 'assistant:') with chat_fallback=True / --worldprior-chat-fallback."
        )
    lines = [f"{m['role']}: {m['content']}" for m in messages]
    return "\n".join(lines) + "\nassistant:"


def encode(tokenizer, context: Context, rendered: Callable[[Prompt], str], *, reference: str, max_length: int) -> list[int]:
    """Token ids of a context. Plain text gets the tokenizer's special tokens (BOS); chat text has them already."""
    if is_token_ids(context):
        ids = [int(t) for t in context]
    else:
        is_chat = not isinstance(context, str)
        ids = tokenizer(rendered(context), add_special_tokens=not is_chat)["input_ids"]
    if not ids:
        if tokenizer.bos_token_id is None:
            raise ValueError(f"the context is empty and model {reference!r} has no BOS token to start from")
        ids = [tokenizer.bos_token_id]
    if len(ids) > max_length:
        raise ValueError(f"the context has {len(ids)} tokens; model {reference!r} takes at most {max_length}")
    return ids


def continuation_ids(tokenizer, context: Context, context_ids: list[int], continuation: Continuation,
                     rendered: Callable[[Prompt], str]) -> list[int]:
    """Token ids of a continuation as the model would see it after the context.

    Token ids are taken as they are. Text is tokenized together with the context and split where
    the context's own tokens end (as lm-evaluation-harness does), so tokens that merge across the
    boundary are handled; if the context's tokens change, the continuation is tokenized alone.
    """
    if is_token_ids(continuation):
        return [int(t) for t in continuation]
    if not continuation:
        return []
    if not is_token_ids(context):
        text = rendered(context)
        whole = tokenizer(text + continuation, add_special_tokens=isinstance(context, str))["input_ids"]
        if whole[: len(context_ids)] == context_ids and len(whole) > len(context_ids):
            return whole[len(context_ids) :]
    return tokenizer(continuation, add_special_tokens=False)["input_ids"]


def is_token_ids(value) -> bool:
    return not isinstance(value, str) and len(value) > 0 and all(isinstance(t, (int, np.integer)) for t in value)
