"""Prior shift: how far a model's next-token distributions moved from a baseline's (same tokenizer)."""

from __future__ import annotations

from collections.abc import Sequence

from .. import checks, measures, stats
from ..backends.base import Backend, Prompt
from ..backends.recorded import Recorded
from ..checks import Quantity
from ..stats import Verdict
from .conclude import (
    assertion,
    check_mode,
    conclude,
    uses_logits,
)


def _positional_baseline(args: tuple, kwargs: dict) -> tuple[tuple, dict, str | None]:
    """The old form assert_prior_shift_within(model, baseline, prompts, ...): a backend second."""
    if len(args) < 2 or not isinstance(args[1], (Backend, Recorded)):
        return args, kwargs, None
    if "baseline" in kwargs:
        raise TypeError("assert_prior_shift_within() got a baseline both second and as baseline=: give baseline= only")
    return (args[0], *args[2:]), {**kwargs, "baseline": args[1]}, (
        "assert_prior_shift_within(model, baseline, prompts) is deprecated: "
        "use assert_prior_shift_within(model, prompts, baseline=baseline)")


@assertion(legacy=_positional_baseline, max_kl="max_kl_model_baseline_nats")
def assert_prior_shift_within(
    model: Backend,
    prompts: Sequence[Prompt],
    *,
    baseline: Backend,
    max_kl_model_baseline_nats: float = 1.0,
    max_shifted_share: float | None = None,
    continuation_tokens: int = 16,
    seed: int | None = None,
) -> Verdict:
    """Mean KL(model || baseline) over the positions of the model's own continuations of the probe prompts
    must not exceed `max_kl_model_baseline_nats` nats (exact; both models must share a tokenizer).

    There is no sampled method: where the models cannot both give logits or do not share a tokenizer,
    compare them with assert_mode_share_within (samples) and assert_distribution_close (closed sets).
    The model's continuations are seeded with `seed` (default: the session's, --worldprior-seed; 0
    outside pytest)."""
    __tracebackhide__ = True
    if not (uses_logits(model, "auto") and uses_logits(baseline, "auto")):
        raise ValueError("assert_prior_shift_within needs logits from both models (method 'exact'); compare "
                         "closed-set distributions with assert_distribution_close for text-only backends")
    check_mode("exact", baseline)
    shift = measures.prior_shift(model, baseline, prompts, continuation_tokens=continuation_tokens, seed=seed)
    details = {"mean_js": shift.mean_js, "shifted_share": shift.shifted_share, "positions": int(shift.kl.size),
               "kl_per_position": shift.kl.round(6).tolist(), "baseline": baseline.info().reference}
    verdict = stats.exact_verdict(shift.mean_kl, upper=max_kl_model_baseline_nats, label="mean KL(model || baseline) (nats)",
                                  details=details, measure="prior KL (nats)")
    if verdict.passed and max_shifted_share is not None:
        verdict = stats.exact_verdict(shift.shifted_share, upper=max_shifted_share, label="share of shifted positions",
                                      details=details, measure="shifted-token share")
    quantities = [Quantity("prior KL(model || first) (nats)", shift.mean_kl), Quantity("shifted-token share", shift.shifted_share)]
    return conclude(checks.PRIOR_SHIFT, model, "; ".join(map(str, prompts)), verdict, own=None, quantities=quantities)
