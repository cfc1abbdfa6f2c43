"""Seeded token draws for the transformers backend: the sampled distribution (temperature, then top-p)
and inverse-CDF draws from given uniforms, so sample i depends only on its own random numbers."""

from __future__ import annotations

import torch


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
    """Draw one token per row by inverse-CDF sampling with the given uniforms in [0, 1)."""
    cdf = torch.cumsum(logprobs.exp(), dim=-1)
    chosen = torch.searchsorted(cdf, (uniforms * cdf[:, -1])[:, None], right=True)[:, 0]
    # A zero-probability token can never be drawn, even where float rounding lands on its flat CDF step.
    chosen = chosen.clamp(max=logprobs.shape[-1] - 1)
    impossible = torch.isinf(logprobs.gather(1, chosen[:, None])[:, 0])
    if impossible.any():
        chosen[impossible] = logprobs[impossible].argmax(dim=-1)
    return chosen
