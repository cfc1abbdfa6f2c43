"""The sharpening exponent gamma of a tuned model relative to its base: p_tuned ∝ p_base^gamma.

The Verbalized Sampling paper (Zhang et al. 2025, "Verbalized Sampling: How to Mitigate Mode Collapse and
Unlock LLM Diversity", arXiv 2510.01171) shows that a reward with a typicality bias alpha * log p_base,
optimised under a KL penalty beta, sharpens the base distribution to p_base^gamma with gamma = 1 + alpha/beta:
alignment as the base model sampled at temperature 1/gamma. Here gamma is measured on next tokens, exactly
from both models' logits: log p_tuned = gamma * log p_base - log Z, so gamma is the least-squares slope of
log p_tuned against log p_base over the base's most likely tokens.

If the power law holds, the tuned model at temperature gamma is the base at T = 1, so gamma equals the
matching temperature of the temperature check (the T at which the tuned model's entropy reaches the
base's at T = 1; `entropy.matching_temperature`). r^2 says how well the power law fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from ..backends.base import Backend, Prompt
from ..results_cache import cached_measurement
from .prior_shift import check_same_tokenizer

SHARPENING_TOP_K = 20  # the base's 20 most likely next tokens per prompt: see sharpening_exponent


@dataclass(frozen=True)
class Sharpening:
    """gamma with its standard error and interval (level 1 - alpha), r^2 of the fit, the number of
    (token, prompt) points and of prompts. `temperature` is 1/gamma (None unless gamma > 0)."""

    gamma: float
    standard_error: float
    interval: tuple[float, float]
    r_squared: float
    tokens: int
    prompts: int
    top_k: int

    @property
    def temperature(self) -> float | None:
        """The temperature 1/gamma at which the base model would sample like the tuned one."""
        return 1.0 / self.gamma if self.gamma > 0 else None


@cached_measurement
def sharpening_exponent(
    model: Backend, baseline: Backend, prompts: Sequence[Prompt], *, top_k: int = SHARPENING_TOP_K, alpha: float = 1e-3
) -> Sharpening:
    """The exponent gamma in p_model ∝ p_baseline^gamma over next tokens, exact from both models' logits.

    For each prompt, the baseline's `top_k` most likely next tokens (20 by default: the tokens the base model
    actually considers, enough points for a slope, and none of the far tail, where log-probabilities near
    -30 say nothing about sampling) give points (log p_baseline, log p_model) in nats. Each prompt's points
    are centred on their means, which removes its normaliser log Z, and the centred points of all prompts
    are pooled into one least-squares slope (scipy.stats.linregress), so every prompt counts by its
    `top_k` tokens. The standard error is linregress's, with the degrees of freedom corrected for the
    centring (points - prompts - 1); the interval is the t interval at level 1 - alpha. gamma is nan when the
    baseline's top tokens are all equally likely (no slope is defined). gamma > 1: the model is sharper
    than its baseline; 1: the same; < 1: flatter.

    Raises ValueError if either model gives no logits, their tokenizers differ (TokenizerMismatchError,
    by `vocabulary_sha256()`), no prompt is given, top_k < 3, or the model gives probability 0 to one of
    the baseline's top tokens. Source: the sharpening model of Verbalized Sampling (Zhang et al. 2025,
    arXiv 2510.01171): p_aligned ∝ p_base^gamma."""
    for who in (model, baseline):
        if not who.gives_logits:
            raise ValueError(f"{who.info().reference} gives text only: the sharpening exponent compares full "
                             "next-token distributions, which need logits from both models")
    check_same_tokenizer(model, baseline)
    prompts = list(prompts)
    if not prompts:
        raise ValueError("sharpening_exponent needs at least one prompt")
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 3:
        raise ValueError(f"top_k must be a whole number >= 3 (a slope and its error need 3 points), got {top_k!r}")
    base, tuned = (np.atleast_2d(np.asarray(m.next_token_logprobs(prompts), dtype=np.float64)) for m in (baseline, model))
    if base.shape != tuned.shape:
        raise ValueError(f"the two models give distributions of different widths ({base.shape[1]} vs {tuned.shape[1]} tokens)")
    k = min(int(top_k), base.shape[1])
    if k < 3:
        raise ValueError(f"a vocabulary of {base.shape[1]} tokens is too small for a slope and its error (3 needed)")
    xs, ys = [], []
    for b, t in zip(base, tuned):
        top = np.argsort(-b, kind="stable")[:k]
        x, y = b[top], t[top]
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{model.info().reference} gives probability 0 to one of the baseline's top {k} tokens: "
                             "no power law p_model ∝ p_baseline^gamma fits")
        xs.append(x - x.mean())
        ys.append(y - y.mean())
    x, y = np.concatenate(xs), np.concatenate(ys)
    points, dof = x.size, x.size - len(prompts) - 1
    if np.ptp(x) == 0:
        nan = float("nan")
        return Sharpening(nan, nan, (nan, nan), nan, points, len(prompts), k)
    fit = scipy_stats.linregress(x, y)
    error = float(fit.stderr) * np.sqrt((points - 2) / dof)
    half = float(scipy_stats.t.ppf(1 - alpha / 2, dof)) * error
    gamma = float(fit.slope)
    return Sharpening(gamma, float(error), (gamma - half, gamma + half), float(fit.rvalue ** 2), points, len(prompts), k)
