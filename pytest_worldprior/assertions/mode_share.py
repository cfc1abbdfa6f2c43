"""Mode collapse among samples: the share of continuations that open the same way (text only)."""

from __future__ import annotations

from collections.abc import Callable

from .. import checks, measures, stats
from ..backends.base import Backend, Prompt
from ..checks import Quantity
from ..stats import Verdict
from .conclude import (
    assertion,
    check_mode,
    conclude,
    sampled_verdict,
)


@assertion(max_share="max_top_share", max_increase="max_top_share_increase")
def assert_mode_share_within(
    model: Backend,
    prompt: Prompt,
    *,
    max_top_share: float | None = None,
    baseline: Backend | None = None,
    max_top_share_increase: float | None = None,
    n: int = 64,
    max_new_tokens: int = 8,
    temperature: float = 1.0,
    key: Callable[[str], str] = measures.first_words,
    seed: int | None = None,
    baseline_seed: int | None = None,
    alpha: float = 1e-3,
) -> Verdict:
    """Mode collapse among samples: of n seeded continuations, the share in the largest answer class
    (classes by `key`, by default the first three words) must stay under `max_top_share` (Wilson
    interval), or with a baseline exceed the baseline's share on the same prompt by at most
    `max_top_share_increase` (Newcombe interval). Text only, so it works for any backend and compares
    models whose tokenizers differ. `seed` defaults to the session's (--worldprior-seed; 0 outside
    pytest); the baseline samples with `baseline_seed` (default: --worldprior-baseline-seed if set, else
    the same seed, common random numbers; another seed makes the two samples independent)."""
    __tracebackhide__ = True
    check_mode("sampled", baseline)
    if baseline is None and (max_top_share is None or max_top_share_increase is not None):
        raise ValueError("without a baseline, give max_top_share (and not max_top_share_increase, which compares "
                         "with a baseline)")
    if baseline is not None and (max_top_share_increase is None or max_top_share is not None):
        raise ValueError("with a baseline, give max_top_share_increase (how much larger than the baseline's the share may be), "
                         "not max_top_share")
    settings = dict(max_new_tokens=max_new_tokens, temperature=temperature, key=key, seed=seed, alpha=alpha)
    ours = measures.sampled_mode_share(model, prompt, n, **settings)
    what = "opening" if key is measures.first_words else "answer class"
    details = {"mode": ours.mode, "count": ours.count, "n": ours.n, "classes": ours.classes, "share": ours.share,
               "distinct_at_k": _distinct(ours, alpha)}
    if baseline is None:
        verdict = sampled_verdict(ours.share, ours.interval, None, max_top_share, n, "wilson", alpha, seed,
                                   f"share of the commonest {what} {ours.mode!r}", details, measure=f"{what} share")
    else:
        base_settings = dict(settings, seed=seed if baseline_seed is None else baseline_seed)
        theirs = measures.sampled_mode_share(baseline, prompt, n, **base_settings)
        details["baseline"] = {"model": baseline.info().reference, "mode": theirs.mode, "count": theirs.count,
                               "classes": theirs.classes, "share": theirs.share, "distinct_at_k": _distinct(theirs, alpha)}
        interval = stats.newcombe_difference_interval(ours.count, ours.n, theirs.count, theirs.n, alpha)
        verdict = sampled_verdict(ours.share - theirs.share, interval, None, max_top_share_increase, n, "newcombe", alpha, seed,
                                   f"commonest-{what} share minus the baseline's ({ours.mode!r})", details,
                                   measure=f"Δ {what} share")
    quantities = [Quantity("commonest-opening share", ours.share, ours.interval)]
    if details["distinct_at_k"]:
        distinct = details["distinct_at_k"]
        quantities.append(Quantity(f"distinct@{distinct['k']} openings", distinct["estimate"], tuple(distinct["interval"])))
    return conclude(checks.MODE_SHARE, model, prompt, verdict, own=(ours.share, ours.interval, f"share of the commonest {what}"),
                    baseline_value=None if baseline is None else (details["baseline"]["share"], "share"),
                    quantities=quantities)


def _distinct(result: measures.ModeShare, alpha: float) -> dict | None:
    """NoveltyBench's distinct@k at k = measures.DISTINCT_K (10), estimated from all n samples' class sizes
    (see measures.estimated_distinct; interval at level 1 - alpha): {"k", "estimate", "interval"}; None with fewer than k + 1 samples
    or a stored result that kept no class sizes."""
    if result.n <= measures.DISTINCT_K or not result.class_counts:
        return None
    found = measures.estimated_distinct(result.class_counts, measures.DISTINCT_K, alpha)
    return {"k": found.k, "estimate": found.estimate, "interval": list(found.interval)}
