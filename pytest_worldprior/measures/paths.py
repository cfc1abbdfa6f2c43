"""Distributions along token paths, a few paths at a time: a measure keeps per position what it needs
(an entropy, a KL, a top-k), never every position's full distribution. Over a 262,144-token vocabulary
one path of 16 tokens is 32 MiB of float64 rows; 32 such paths held together, 1 GiB."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from ..backends.base import Backend, Context

T = TypeVar("T")

# float64 values of rows asked for at once, all sources together (64 MiB): 2 paths of 16 tokens over a
# 262,144-token vocabulary, or 1 when two distributions are compared; at least one path. Smaller calls
# cost time (each runs the prompt again and reads the whole output layer for a few tokens). Teacher-forcing
# 32 paths of 16 tokens on gemma3-270m, CPU seconds over 3 rounds on the shared 2-core machine: one path a
# call 28-54, two 24-53, four 23-48, all 32 at once 22-44 (holding 0.85 GiB more than four).
FLOATS_PER_CALL = 2**23


def reduce_along(paths: Sequence[Sequence[int]], reduce: Callable[..., T],
                 *sources: tuple[Backend, Sequence[Context]]) -> list[T]:
    """`reduce(rows_1, rows_2, ...)` for each path, where rows_k is source k's `continuation_logprobs`
    of its context and the path: [len(path), V_k] float64 log-probabilities, the row before each token.

    paths: token ids of each continuation. sources: (model, contexts) pairs, one context per path (a
    model may appear twice with different contexts). The paths are asked for in consecutive groups of
    at most FLOATS_PER_CALL row values, all sources together (at least one path), and a group's rows are
    dropped once reduced. `reduce` is called on the paths in their order, and the results are returned in
    that order. Raises ValueError without a
    source, or when a source's contexts and the paths differ in number."""
    if not sources:
        raise ValueError("reduce_along needs at least one (model, contexts) source")
    for model, contexts in sources:
        if len(contexts) != len(paths):
            raise ValueError(f"{model.info().reference}: got {len(contexts)} contexts for {len(paths)} paths; give one each")
    vocab = max(model.vocab_size or 1 for model, _ in sources)
    budget = max(1, FLOATS_PER_CALL // (vocab * len(sources)))  # rows per call and source
    results: list[T] = []
    start = 0
    while start < len(paths):
        stop, rows = start + 1, max(1, len(paths[start]))
        while stop < len(paths) and rows + len(paths[stop]) <= budget:
            rows += len(paths[stop])
            stop += 1
        group = [list(path) for path in paths[start:stop]]
        tables = [model.continuation_logprobs(list(contexts[start:stop]), group) for model, contexts in sources]
        results += [reduce(*rows_of_path) for rows_of_path in zip(*tables)]
        del tables
        start = stop
    return results
