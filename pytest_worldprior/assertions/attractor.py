"""Attractor states: after an injected line, the model must not snap back to where it was going."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

import numpy as np
from scipy import stats as scipy_stats

from .. import measures, stats
from ..backends.base import Backend, Prompt
from ..stats import Verdict
from .conclude import (
    assertion,
    check_baseline_seed,
    conclude,
    sampled_verdict,
)


@assertion(max_snap_back="max_snap_back_share", max_snap_back_increase="max_snap_back_share_increase",
           min_influence="min_influence_nats")
def assert_no_attractor(
    model: Backend,
    prompt: Prompt,
    injection: str | Sequence[str],
    *,
    position: int | str = "sentence",
    prefix: str | None = None,
    prefix_draws: int = 8,
    baseline: Backend | None = None,
    max_snap_back_share: float = 0.25,
    max_snap_back_share_increase: float = 0.2,
    min_influence_nats: float | None = None,
    min_influence_ratio: float | None = None,
    n: int = 128,
    batch: int | None = None,
    steps: int = 8,
    max_new_tokens: int = 32,
    key: Callable[[str], str | Iterable[str]] = measures.last_sentence,
    separator: str = " ",
    seed: int = 0,
    baseline_seed: int | None = None,
    alpha: float = 1e-3,
) -> Verdict:
    """After the injected line(s), the model must not snap back to where it was going without them.

    The model writes a clean prefix C (its first sentence by default, or `position` tokens; the most
    frequent of `prefix_draws` seeded drafts), or C is the given `prefix`; each injection J follows it,
    and continuations of P + C + J are compared with continuations of P + C.
    Snap-back rate: the share of injected continuations in the clean mode (the class under `key` found in
    the most clean continuations; by default `last_sentence`, where the text ends up; on real models use
    `measures.sentences`: a continuation is then in the class of every complete sentence it holds, and
    the mode is the line the model keeps writing, as the ready suite does). Without a baseline it
    must stay under `max_snap_back_share`; with one, measured on the same injections, it may exceed the
    baseline's by at most `max_snap_back_share_increase`.
    Sequential: each side draws `batch` continuations per injection at a time (default n // 4, at least
    8), up to `n` (the last look draws what is left), and the check stops at the first look whose
    interval decides; alpha is split evenly over the possible looks (Bonferroni), as in the other
    sequential checks. `batch=n` is one look at the full alpha.
    Optional influence gates (white-box backends): the mean total KL the injection causes over `steps`
    tokens must reach `min_influence_nats` nats, or `min_influence_ratio` times the baseline's.
    The baseline samples with `baseline_seed` (default: the same seed, common random numbers)."""
    __tracebackhide__ = True
    lines = [injection] if isinstance(injection, str) else list(injection)
    if not lines:
        raise ValueError("give at least one injection")
    check_baseline_seed(baseline, baseline_seed)
    batch = _check_batch(n, batch)
    looks = math.ceil(n / batch)
    look_alpha = alpha / looks
    settings = dict(position=position, prefix=prefix, prefix_draws=prefix_draws, separator=separator,
                    steps=steps, max_new_tokens=max_new_tokens, key=key, alpha=alpha)
    base_seed = seed if baseline_seed is None else baseline_seed
    ours, theirs = [], []
    for look in range(looks):  # both sides draw a batch per look; stop when the snap-back interval decides
        size = min(batch, n - look * batch)  # the last look draws what is left of n
        ours.append(measures.run_attractor(model, prompt, lines, seed=seed, look=look, n=size, **settings))
        if baseline is not None:
            theirs.append(measures.run_attractor(baseline, prompt, lines, seed=base_seed, look=look, n=size, **settings))
        run = measures.pooled(ours, alpha)
        base_run = measures.pooled(theirs, alpha) if theirs else None
        verdict = _snap_back_verdict(run, base_run, max_snap_back_share, max_snap_back_share_increase, look_alpha,
                                     seed, {})
        if not verdict.inconclusive:
            break
    details = {"injections": lines, "candidate": _attractor_details(run), "looks": look + 1, "max_looks": looks,
               "alpha_per_look": look_alpha, "spending": "bonferroni", "batch": batch}
    if base_run is not None:
        details["baseline"] = dict(_attractor_details(base_run), model=baseline.info().reference)
    verdict = replace(verdict, alpha=alpha, details=details,
                      method=("sequential-" if looks > 1 else "") + verdict.method)
    if verdict.passed and (min_influence_nats is not None or min_influence_ratio is not None):
        verdict = _influence_verdict(run, base_run, min_influence_nats, min_influence_ratio, alpha, seed, details) or verdict
    own = (run.snap_back_rate, stats.wilson_interval(run.snap_back_count, run.n, alpha), "snap-back rate")
    return conclude("attractor", model, prompt, verdict, _attractor_story(run, base_run), own)


def _check_batch(n, batch) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an integer of at least 1, got {n!r}")
    if batch is None:
        return min(n, max(8, n // 4))
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= n:
        raise ValueError(f"batch must be an integer from 1 to n={n}, got {batch!r}")
    return batch


def _snap_back_verdict(run, base_run, max_share, max_share_increase, alpha, seed, details) -> Verdict:
    if base_run is None:
        interval = stats.wilson_interval(run.snap_back_count, run.n, alpha)
        return sampled_verdict(run.snap_back_rate, interval, None, max_share, run.n, "wilson", alpha, seed,
                                "snap-back rate (injected continuations in the clean mode)", details)
    interval = stats.newcombe_difference_interval(run.snap_back_count, run.n, base_run.snap_back_count, base_run.n, alpha)
    return sampled_verdict(run.snap_back_rate - base_run.snap_back_rate, interval, None, max_share_increase, run.n,
                            "newcombe", alpha, seed, "snap-back rate minus the baseline's", details)


def _influence_verdict(run, base_run, min_nats, min_ratio, alpha, seed, details) -> Verdict | None:
    """The influence gate that applies (absolute without a baseline, a ratio with one); None if neither."""
    totals = run.influence_totals
    if totals is None:
        raise ValueError("min_influence_nats and min_influence_ratio need logits; this backend gives text only: "
                         "gate on the snap-back rate alone")
    if base_run is None:
        if min_nats is None:
            return None
        label = "total influence of the injection (nats)"
        if run.influence_is_exact:
            return stats.exact_verdict(float(totals.mean()), lower=min_nats, label=label, details=details)
        interval = stats.t_interval(totals, alpha)
        return sampled_verdict(totals.mean(), interval, min_nats, None, totals.size, "t", alpha, seed, label, details)
    if min_ratio is None:
        return None
    base_totals = base_run.influence_totals
    ratio = float(totals.mean() / base_totals.mean())
    label = "total influence / the baseline's"
    if run.influence_is_exact and base_run.influence_is_exact:
        return stats.exact_verdict(ratio, lower=min_ratio, label=label, details=details)
    # Delta method for a ratio of two independent means.
    spread = np.sqrt(totals.var(ddof=1) / totals.size + ratio**2 * base_totals.var(ddof=1) / base_totals.size)
    half = float(scipy_stats.norm.ppf(1 - alpha / 2) * spread / base_totals.mean())
    return sampled_verdict(ratio, (ratio - half, ratio + half), min_ratio, None, totals.size, "delta", alpha, seed,
                            label, details)


def _attractor_details(run: measures.AttractorRun) -> dict:
    """The numbers behind an attractor verdict, per injection, for the report."""
    per_injection = []
    for result in run.results:
        back, curve, restart = result.snap_back, result.influence, result.restart
        entry = {"injection": result.injection.injection, "where": result.injection.where,
                 "prefix": result.injection.prefix_text, "snap_back": back.rate, "snap_back_count": back.count,
                 "snap_back_interval": list(back.interval), "n": back.n, "clean_mode": back.clean_mode,
                 "clean_mode_share": back.clean_mode_share, "clean_example": back.clean_example,
                 "injected_example": back.injected_example}
        if curve is not None:
            entry.update(influence=curve.kl.round(6).tolist(), influence_total=curve.total,
                         influence_total_interval=curve.total_interval, recovery_step=curve.recovery_step,
                         influence_method=curve.method)
        if restart is not None:
            entry.update(restart_clean=restart.clean, restart_injected=restart.injected)
        per_injection.append(entry)
    return {"snap_back": run.snap_back_rate, "snap_back_count": run.snap_back_count, "n": run.n,
            "per_injection": per_injection}


def _attractor_story(run: measures.AttractorRun, base_run: measures.AttractorRun | None) -> list[str]:
    """Lines for a failure message: where the injection went, a clean and an injected continuation, the
    snap-back and the influence curve, for the model and the baseline."""
    lines = [f"where:  {run.results[0].injection.where}"]
    for who, each in (("model", run), ("baseline", base_run)):
        if each is None:
            continue
        lines.append(f"{who}, clean prefix C = {each.results[0].injection.prefix_text!r}")
        for result in each.results:
            back, curve = result.snap_back, result.influence
            snapped = " (snapped back)" if back.count else ""
            lines += [f"  then the injection {result.injection.injection!r}:",
                      f"    clean continuation:    {back.clean_example!r}",
                      f"    injected continuation: {back.injected_example!r}{snapped}",
                      f"    snap-back: {back.count}/{back.n} = {back.rate:.3f} [{back.interval[0]:.3f}, {back.interval[1]:.3f}]"
                      f" into the clean mode {back.clean_mode!r} ({back.clean_mode_share:.0%} of clean continuations)"]
            if curve is not None:
                numbers = " ".join(f"{k:.3f}" for k in curve.kl)
                recovery = curve.recovery_step if curve.recovery_step is not None else "none"
                lines.append(f"    influence curve (KL nats per step): {numbers}; total {curve.total:.3f};"
                             f" recovered at step {recovery} (tolerance {curve.tolerance:g})")
            else:
                lines.append("    influence curve: not measured (this backend gives text, not logits)")
    return lines
