"""Seeded token draws for the transformers backend: the sampled distribution (temperature, then top-p)
and inverse-CDF draws from given uniforms, so sample i depends only on its own random numbers."""

from __future__ import annotations

import torch

# float64 values per block of rows when drawing (16 MiB): over a 262,144-token vocabulary 64 rows would
# hold 128 MiB per table, and a draw makes several (log-probabilities, the sampled ones, their CDF).
FLOATS_PER_BLOCK = 2**21


def nucleus_logprobs(logits: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    """Log-probabilities of the distribution sampled from: softmax(logits / T), then the top-p nucleus."""
    logprobs = torch.log_softmax(logits / temperature, dim=-1)
    if top_p >= 1:
        return logprobs
    sorted_lp, order = torch.sort(logprobs, dim=-1, descending=True)
    mass_before = torch.cumsum(sorted_lp.exp(), dim=-1) - sorted_lp.exp()
    drop_sorted = mass_before >= top_p  # keep the smallest prefix whose mass reaches top_p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return torch.log_softmax(logprobs.masked_fill(drop, float("-inf")), dim=-1)


def inverse_cdf(logprobs: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """Draw one token per uniform in [0, 1) by inverse-CDF sampling.

    logprobs: [rows, V], row i for uniform i, or [V], one distribution for every uniform (its CDF is
    made once). uniforms: [rows]. Returns the token ids, [rows] long."""
    cdf = torch.cumsum(logprobs.exp(), dim=-1)
    if logprobs.ndim == 1:
        chosen = torch.searchsorted(cdf, uniforms * cdf[-1], right=True)
    else:
        chosen = torch.searchsorted(cdf, (uniforms * cdf[:, -1])[:, None], right=True)[:, 0]
    # A zero-probability token can never be drawn, even where float rounding lands on its flat CDF step.
    chosen = chosen.clamp(max=logprobs.shape[-1] - 1)
    rows = logprobs.expand(len(uniforms), -1) if logprobs.ndim == 1 else logprobs
    impossible = torch.isinf(rows.gather(1, chosen[:, None])[:, 0])
    if impossible.any():
        chosen[impossible] = rows[impossible].argmax(dim=-1)
    return chosen


def draw(logits: torch.Tensor, uniforms: torch.Tensor, temperature: float, top_p: float):
    """One token per uniform, and its log-probability under the model and under the sampled distribution.

    logits: [rows, V] (row i for uniform i) or [1, V] (one distribution for every uniform), any float
    dtype; uniforms: [rows] in [0, 1). Works in float64 whatever the logits' dtype, FLOATS_PER_BLOCK
    values of rows at a time. Returns (tokens [rows] long, model log-probabilities [rows] float64,
    sampling log-probabilities [rows] float64), in nats."""
    plain = temperature == 1 and top_p >= 1
    if logits.shape[0] == 1:
        row = logits.double()
        model_lp = torch.log_softmax(row, dim=-1)[0]
        sampling_lp = model_lp if plain else nucleus_logprobs(row, temperature, top_p)[0]
        tokens = inverse_cdf(sampling_lp, uniforms)
        return tokens, model_lp[tokens], sampling_lp[tokens]
    parts = []
    block = max(1, FLOATS_PER_BLOCK // logits.shape[-1])
    for start in range(0, logits.shape[0], block):
        rows = logits[start : start + block].double()
        model_lp = torch.log_softmax(rows, dim=-1)
        sampling_lp = model_lp if plain else nucleus_logprobs(rows, temperature, top_p)
        tokens = inverse_cdf(sampling_lp, uniforms[start : start + block])
        index = tokens[:, None]
        parts.append((tokens, model_lp.gather(1, index)[:, 0], sampling_lp.gather(1, index)[:, 0]))
    return tuple(torch.cat(column) for column in zip(*parts))
