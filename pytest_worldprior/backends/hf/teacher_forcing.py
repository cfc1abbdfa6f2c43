"""Teacher forcing in batches: the log-probabilities of scored tokens after their contexts, for the HF
backend's `score`, `score_tokens` and `continuation_logprobs`. Three ways, by what the contexts share:
continuations of one context (its pass run once), sequences with a long common start (the start run once),
and unrelated sequences (length-sorted, left-padded batches). Each feeds the model through the backend's
`_forward` and `_left_pad`, and asks for the output head only where a scored token is predicted."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch

# At most this many tokens per batch when continuations are fed after a shared prefix.
SUFFIX_TOKENS_PER_BATCH = 512
# At most this many logits (float32: 64 MiB) per forward pass that keeps every position's: over a
# 262,144-token vocabulary 32 continuations of 16 tokens would hold 512 MiB of logits at once.
LOGITS_PER_BATCH = 2**24
# Scored contexts that share at least this many leading tokens (the same prompt, prefix and injection,
# with different paths after it) have that start run once and its KV cache reused, for this many rows a pass.
MIN_SHARED_PREFIX = 16
SHARED_START_ROWS = 16


def map_sequences(backend, sequences: list[list[int]], tails: list[int], reduce: Callable) -> list:
    """Teacher-force each sequence's last `tails[i]` tokens: after their common start, run once, where the
    sequences share MIN_SHARED_PREFIX tokens or more (paths after one P + C + J), else one by one in batches."""
    shared = shared_length([seq[: len(seq) - tail] for seq, tail in zip(sequences, tails)])
    if shared >= MIN_SHARED_PREFIX and len(sequences) > 1:
        return map_after_shared_start(backend, sequences[0][:shared], [seq[shared:] for seq in sequences], tails, reduce)
    return map_logprobs(backend, sequences, tails, reduce)


@torch.inference_mode()
def map_after_prefix(backend, prefix: list[int], suffixes: list[list[int]], reduce: Callable) -> list:
    """One pass over the shared prefix, its KV cache copied to a batch of right-padded suffixes.
    Causal attention: padding after a suffix changes nothing before it."""
    start = backend._forward(torch.tensor([prefix], device=backend.device), torch.ones((1, len(prefix)), dtype=torch.long,
                          device=backend.device), use_cache=True, **backend._last_logits_only())
    first_row = start.logits[0, -1:, :]  # predicts each suffix's first token
    longest = max(len(s) for s in suffixes)
    rows = max(1, min(max(backend.batch_size, SUFFIX_TOKENS_PER_BATCH // longest), LOGITS_PER_BATCH // (longest * backend.vocab_size)))
    results = []
    for begin in range(0, len(suffixes), rows):
        chunk = suffixes[begin : begin + rows]
        cache = copy.deepcopy(start.cache)
        cache.batch_repeat_interleave(len(chunk))
        width = max(len(s) for s in chunk)
        input_ids = torch.full((len(chunk), width), backend.pad_id, dtype=torch.long, device=backend.device)
        mask = torch.zeros((len(chunk), len(prefix) + width), dtype=torch.long, device=backend.device)
        mask[:, : len(prefix)] = 1
        for row, suffix in enumerate(chunk):
            input_ids[row, : len(suffix)] = torch.tensor(suffix, dtype=torch.long)
            mask[row, len(prefix) : len(prefix) + len(suffix)] = 1
        logits = backend._forward(input_ids, mask, use_cache=True, cache=cache).logits
        for row, suffix in enumerate(chunk):
            predicting = torch.cat([first_row, logits[row, : len(suffix) - 1]]).double()
            results.append(reduce(suffix, torch.log_softmax(predicting, dim=-1)))
    return results

@torch.inference_mode()
def map_logprobs(backend, sequences: list[list[int]], tails: list[int], reduce: Callable) -> list:
    """Teacher-force each sequence's last `tails[i]` tokens, in length-sorted, left-padded batches.

    `reduce(tail_ids, logprobs)` gets those tokens and the float64 log-softmax rows [tail, vocab] that
    predict them, and returns what to keep. The last token is not fed (nothing it predicts is asked for),
    and the output head runs at the tail positions only: the rows of the context are never made."""
    results: list = [None] * len(sequences)
    fed = [i for i in range(len(sequences)) if tails[i] > 0]
    for i in set(range(len(sequences))) - set(fed):
        results[i] = reduce([], torch.empty((0, backend.vocab_size), dtype=torch.float64, device=backend.device))
    order = sorted(fed, key=lambda i: len(sequences[i]))
    for start in range(0, len(order), backend.batch_size):
        batch = order[start : start + backend.batch_size]
        keep = max(tails[i] for i in batch)
        input_ids, mask = backend._left_pad([sequences[i][:-1] for i in batch])
        logits = backend._forward(input_ids, mask, **backend._last_logits_only(keep))[:, -keep:]
        for row, i in enumerate(batch):
            # float64 so that probabilities sum to 1 within 1e-12 even over a 262k vocabulary
            logprobs = torch.log_softmax(logits[row, keep - tails[i] :].double(), dim=-1)
            results[i] = reduce(sequences[i][-tails[i] :], logprobs)
    return results

@torch.inference_mode()
def map_after_shared_start(backend, start: list[int], rests: list[list[int]], tails: list[int], reduce: Callable) -> list:
    """As `map_logprobs` for sequences that all begin with `start`: one pass over `start`, its KV cache
    copied to length-sorted batches of the rests, left-padded after it (the mask's gap hides the padding,
    and positions count real tokens only), the output head at the tail positions only. Each rest holds at
    least one token before its tail (the caller leaves it in)."""
    first = backend._forward(torch.tensor([start], device=backend.device), torch.ones((1, len(start)), dtype=torch.long,
                          device=backend.device), use_cache=True, **backend._last_logits_only())
    results: list = [None] * len(rests)
    order = sorted(range(len(rests)), key=lambda i: len(rests[i]))
    for begin in range(0, len(order), SHARED_START_ROWS):
        batch = order[begin : begin + SHARED_START_ROWS]
        keep = max(tails[i] for i in batch)
        input_ids, gap_mask = backend._left_pad([rests[i][:-1] for i in batch])
        cache = copy.deepcopy(first.cache)
        cache.batch_repeat_interleave(len(batch))
        mask = torch.cat([torch.ones((len(batch), len(start)), dtype=torch.long, device=backend.device), gap_mask], dim=1)
        logits = backend._forward(input_ids, mask, use_cache=True, cache=cache, **backend._last_logits_only(keep)).logits
        for row, i in enumerate(batch):
            logprobs = torch.log_softmax(logits[row, -keep:][keep - tails[i] :].double(), dim=-1)
            results[i] = reduce(rests[i][-tails[i] :], logprobs)
    return results


def shared_length(sequences: list[list[int]]) -> int:
    """How many leading tokens all sequences share, less one: each keeps a token of its own before what
    follows (that token's position predicts the first one scored)."""
    if not sequences:
        return 0
    shortest = min(len(s) for s in sequences)
    first = sequences[0]
    length = next((k for k in range(shortest) if any(s[k] != first[k] for s in sequences)), shortest)
    return max(0, length - 1)
