"""Attractor states: after an injected line, the model must not snap back to where it was going."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

import numpy as np
from scipy import stats as scipy_stats

from .. import checks, measures, stats
from ..backends.base import Backend, Prompt
from ..checks import Quantity
from ..stats import Verdict
from .conclude import (
    assertion,
    check_mode,
    conclude,
    given_arguments,
    sampled_verdict,
    worst,
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
    prefixes: int = 1,
    baseline: Backend | None = None,
    max_snap_back_share: float = 0.25,
    max_snap_back_share_increase: float = 0.2,
    min_influence_nats: float | None = None,
    min_influence_ratio: float | None = None,
    n: int = 128,
    batch: int | None = None,
    steps: int = 8,
    influence_paths: int | None = None,
    max_new_tokens: int = 32,
    key: Callable[[str], str | Iterable[str]] = measures.last_sentence,
    recurring_share: float = measures.RECURRING_SHARE,
    separator: str = " ",
    seed: int | None = None,
    baseline_seed: int | None = None,
    alpha: float = 1e-3,
) -> Verdict:
    """After the injected line(s), the model must not snap back to what it keeps saying without them.

    The model writes clean prefixes C: its own first sentence by default (or `position` tokens), the
    `prefixes` most frequent of `prefix_draws` seeded drafts (on real text every draft differs, so these
    are `prefixes` of the model's usual openings, and the verdict does not hang on one), those that leave
    a quotation the prompt opened still open first (measures.ends_passage: a line after a closed toast is
    not mid-generation); or C is the given `prefix`. Each injection J follows each C, the continuations
    are spread evenly over the prefixes, and continuations of P + C + J are compared with those of P + C.
    Snap-back rate: the share of injected continuations that return to a recurring line of the clean
    side: every class under `key` held by at least `recurring_share` of the clean continuations (default
    RECURRING_SHARE, a quarter; found over all prefixes together), matched by word-level similarity, so "then everyone was happy"
    returns to "everyone was happy" (measures.line_match; docs/science.md). By default the class is
    `last_sentence`, where the text ends up; on real models use `measures.sentences`: a continuation is
    then in the class of every complete sentence it holds, as the ready suite does. Without a baseline the
    rate must stay under `max_snap_back_share`; with one, measured on the same injections, it may exceed
    the baseline's by at most `max_snap_back_share_increase`. The report gives the recurring lines and, per
    prefix, how many continuations returned.
    Exact where logits allow: on a white-box model with key=`measures.sentences` (the baseline too, where
    there is one), each injected continuation counts by its return probability along its path instead of
    its 0/1 (measures.path_return: the model's own teacher-forced probabilities that a recurring line starts
    at each sentence boundary, summed up to where the text itself returns; one path's value may exceed 1,
    and their mean is an unbiased estimate of the same rate, with less spread), judged by that mean with a
    Student-t interval, or by its difference from the baseline's with Welch's (Welch 1947). A side with no recurring line returns with probability 0 exactly.
    Text-only backends and other keys count 0/1, with Wilson and Newcombe intervals.
    Sequential: each side draws `batch` continuations per injection at a time (default n // 4, at least
    8), up to `n` (the last look draws what is left), and the check stops at the first look whose
    interval decides; alpha is split evenly over the possible looks (Bonferroni), as in the other
    sequential checks. `batch=n` is one look at the full alpha. The clean side is drawn once, at the first
    look (its recurring lines hold for the later ones); where no line recurs, nothing can be returned to,
    and the snap-back count is 0 without drawing injected continuations beyond the influence paths.
    Optional influence gates (white-box backends): the mean total KL the injection causes over `steps`
    tokens must reach `min_influence_nats` nats (with or without a baseline), and with a baseline
    `min_influence_ratio` times the baseline's (a baseline the injection does not move at all, influence
    0, asks for nothing: any influence is at least 0 times it). The curve is measured along the first
    look's first `influence_paths` injected continuations (None: all of the first look's).
    `seed` defaults to the session's (--worldprior-seed; 0 outside pytest); the baseline samples with
    `baseline_seed` (default: --worldprior-baseline-seed if set, else the same seed, common random numbers).
    Raises ValueError for an argument that does not apply in the mode (docs/arguments.md: the share limit
    that does not fit the baseline or its absence, an influence gate, `steps` or `influence_paths` on a
    model that gives text only, `min_influence_ratio` without a baseline or with one that gives text only),
    `position` / `prefix_draws` / `prefixes` given with a `prefix` (they choose how the prefixes are
    drawn), or `prefixes` above `prefix_draws`."""
    __tracebackhide__ = True
    lines = [injection] if isinstance(injection, str) else list(injection)
    check_mode("sampled" if model.gives_logits else "text", baseline)
    _check_prefix_choice()
    if min_influence_ratio is not None and not baseline.gives_logits:
        raise ValueError(f"min_influence_ratio={min_influence_ratio!r} compares the injection's influence on the model "
                         f"with its influence on the baseline, a KL between logits; the baseline "
                         f"{baseline.info().reference} gives text only: drop min_influence_ratio, or compare with a "
                         "baseline that gives logits")
    batch = _check_batch(n, batch)
    looks = math.ceil(n / batch)
    look_alpha = alpha / looks
    if prefix is None and prefixes > prefix_draws:
        raise ValueError(f"prefixes={prefixes} is more than prefix_draws={prefix_draws}: the prefixes are the most frequent "
                         f"of the drafts. Raise prefix_draws to {prefixes} or more, or lower prefixes")
    if not (isinstance(recurring_share, (int, float)) and not isinstance(recurring_share, bool) and 0 < recurring_share <= 1):
        raise ValueError(f"recurring_share must be a share in (0, 1], got {recurring_share!r}: a line recurs when at least "
                         "that share of the clean continuations holds it")
    settings = dict(position=position, prefix=prefix, prefix_draws=prefix_draws, prefixes=prefixes, separator=separator,
                    steps=steps, max_new_tokens=max_new_tokens, key=key, alpha=alpha, min_share=recurring_share)
    base_seed = seed if baseline_seed is None else baseline_seed
    ours, theirs = [], []
    for look in range(looks):  # both sides draw a batch per look; stop when the snap-back interval decides
        size = min(batch, n - look * batch)  # the last look draws what is left of n
        ours.append(_look(model, prompt, lines, ours, seed, look, size, influence_paths, settings))
        if baseline is not None:
            theirs.append(_look(baseline, prompt, lines, theirs, base_seed, look, size, influence_paths, settings))
        run = measures.pooled(ours, alpha)
        base_run = measures.pooled(theirs, alpha) if theirs else None
        verdict = _snap_back_verdict(run, base_run, max_snap_back_share, max_snap_back_share_increase, look_alpha,
                                     seed, {})
        if not verdict.inconclusive:
            break
    details = {"injections": lines, "candidate": _attractor_details(run, alpha), "looks": look + 1, "max_looks": looks,
               "alpha_per_look": look_alpha, "spending": "bonferroni", "batch": batch}
    if base_run is not None:
        details["baseline"] = dict(_attractor_details(base_run, alpha), model=baseline.info().reference)
    verdict = replace(verdict, alpha=alpha, details=details,
                      method=("sequential-" if looks > 1 else "") + verdict.method)
    if verdict.passed and (min_influence_nats is not None or min_influence_ratio is not None):
        verdict = _influence_verdict(run, base_run, min_influence_nats, min_influence_ratio, alpha, seed, details) or verdict
    if run.path_returns is not None:
        own = (float(run.path_returns.mean()), stats.t_interval(run.path_returns, alpha), "return probability")
    else:
        own = (run.snap_back_rate, _rate_interval(run, alpha), "snap-back rate")
    side = None if base_run is None else _side_value(base_run)
    return conclude(checks.ATTRACTOR, model, prompt, verdict, _attractor_story(run, base_run), own, baseline_value=side,
                    quantities=_quantities(details["candidate"], alpha))


def _side_value(run: measures.AttractorRun) -> tuple[float, str]:
    """The baseline's side as the reports show it: what the verdict compared."""
    if run.path_returns is not None:
        return float(run.path_returns.mean()), "return probability"
    return run.snap_back_rate, "snap-back"


def _quantities(side: dict, alpha: float) -> list[Quantity]:
    """The lineage rows of one side's details (pooled over the injections): the snap-back share with its
    Wilson interval (Wilson 1927) at level 1 - alpha; where it was measured, the return probability along
    the paths with its Student-t interval; and where the influence curve was measured the mean influence
    total (nats) with bounds from the per-injection intervals (they hold together when each does)."""
    interval = stats.wilson_interval(side["snap_back_count"], side["n"], alpha) if side.get("n") else None
    rows = [Quantity("snap-back share", side.get("snap_back"), interval)]
    if "return_probability" in side:
        rows.append(Quantity("return probability (from logits)", side["return_probability"],
                             tuple(side["return_probability_interval"])))
    entries = [entry for entry in side["per_injection"] if "influence_total" in entry]
    if entries:
        bounds = [entry.get("influence_total_interval") for entry in entries]
        mean = None if any(b is None or None in b for b in bounds) else (  # a KL total is never below 0
            max(0.0, sum(b[0] for b in bounds) / len(bounds)), sum(b[1] for b in bounds) / len(bounds))
        rows.append(Quantity("influence, mean total (nats)", sum(e["influence_total"] for e in entries) / len(entries), mean))
    return rows


def _look(model, prompt, lines, earlier, seed, look, size, influence_paths, settings) -> measures.AttractorRun:
    """One side's batch at one look. The first look draws the clean side (its recurring lines) and the
    influence paths; later looks reuse the first look's lines and draw only injected continuations."""
    first = not earlier
    head = None if first else earlier[0].results[0]
    return measures.run_attractor(model, prompt, lines, seed=seed, look=look, n=size, **settings,
                                  influence_paths=influence_paths if first else 0,
                                  lines=None if first else head.snap_back.recurring,
                                  wordings=None if first else head.wordings)


def _check_prefix_choice() -> None:
    """`position`, `prefix_draws` and `prefixes` say how the clean prefixes are drawn: with a given prefix a value
    of theirs would do nothing. Their defaults pass (a reproduce line writes every argument out)."""
    given = given_arguments()
    defaults = inspect.signature(assert_no_attractor).parameters
    for name in ("position", "prefix_draws", "prefixes"):
        if given.get("prefix") is not None and name in given and given[name] != defaults[name].default:
            raise ValueError(f"{name}={given[name]!r} was given with prefix=: {name} chooses how the model's own clean "
                             f"prefix is drawn, and the given prefix is used as it is. Drop {name}, or drop prefix")


def _check_batch(n, batch) -> int:
    if batch is None:
        return min(n, max(8, n // 4))
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= n:
        raise ValueError(f"batch must be an integer from 1 to n={n}, got {batch!r}")
    return batch


def _snap_back_verdict(run, base_run, max_share, max_share_increase, alpha, seed, details) -> Verdict:
    """The snap-back judged: by the return probability along each path (measures.path_return) where every
    side has one (white-box, key=sentences): its mean with a Student-t interval, or the difference of the
    two means with Welch's; else by the 0/1 counts, with a Wilson or Newcombe interval. A side whose clean
    text repeats no line returns with probability 0 exactly (nothing to return to), either way."""
    if run.path_returns is not None and (base_run is None or base_run.path_returns is not None):
        return _path_return_verdict(run, base_run, max_share, max_share_increase, alpha, seed, details)
    if base_run is None:
        interval = _rate_interval(run, alpha)
        return sampled_verdict(run.snap_back_rate, interval, None, max_share, run.n, "wilson", alpha, seed,
                                "snap-back rate (injected continuations that return to a recurring line)", details,
                                measure="snap-back rate")
    if _returns_to_something(run) and _returns_to_something(base_run):
        interval = stats.newcombe_difference_interval(run.snap_back_count, run.n, base_run.snap_back_count, base_run.n,
                                                      alpha)
        method = "newcombe"
    else:  # a side with nothing to return to has the rate 0 exactly: the interval is the other side's
        ours, theirs = _rate_interval(run, alpha), _rate_interval(base_run, alpha)
        interval, method = (ours[0] - theirs[1], ours[1] - theirs[0]), "wilson"
    return sampled_verdict(run.snap_back_rate - base_run.snap_back_rate, interval, None, max_share_increase, run.n,
                            method, alpha, seed, "snap-back rate minus the baseline's", details, measure="Δ snap-back rate")


def _returns_to_something(run: measures.AttractorRun) -> bool:
    return any(result.snap_back.recurring for result in run.results)


def _rate_interval(run: measures.AttractorRun, alpha: float) -> tuple[float, float]:
    """The Wilson interval of a side's snap-back rate; (0, 0) where its clean text repeats no line: nothing
    can be returned to, so the rate is 0 by definition, not by sampling."""
    if not _returns_to_something(run):
        return 0.0, 0.0
    return stats.wilson_interval(run.snap_back_count, run.n, alpha)


def _path_return_verdict(run, base_run, max_share, max_share_increase, alpha, seed, details) -> Verdict:
    """Student-t (one side) or Welch (Welch 1947) intervals over the per-path return probabilities. Where
    every value of a side is equal (nothing recurs: all 0), its spread is 0 and the interval is its mean:
    the paths' probabilities are exact, and with no recurring line there is nothing to return to."""
    ours = run.path_returns
    if base_run is None:
        interval = stats.t_interval(ours, alpha)
        return sampled_verdict(float(ours.mean()), interval, None, max_share, ours.size, "t", alpha, seed,
                               "return probability (along each injected path, from logits)", details,
                               measure="return probability")
    theirs = base_run.path_returns
    interval = stats.welch_difference_interval(float(ours.mean()), _standard_error(ours), ours.size,
                                               float(theirs.mean()), _standard_error(theirs), theirs.size, alpha)
    return sampled_verdict(float(ours.mean() - theirs.mean()), interval, None, max_share_increase, ours.size, "welch",
                           alpha, seed, "return probability minus the baseline's (along each injected path, from logits)",
                           details, measure="Δ return probability")


def _standard_error(values: np.ndarray) -> float:
    return float(scipy_stats.sem(values)) if values.size > 1 and np.ptp(values) > 0 else 0.0


def _influence_verdict(run, base_run, min_nats, min_ratio, alpha, seed, details) -> Verdict | None:
    """The influence gates given (min_nats on the model's own influence; min_ratio against the baseline's),
    the worse of the two where both are; None if neither. Both sides' influence is measured (the check's
    boundary refused a gate on a side that gives text only)."""
    verdicts = [gate(run, base_run, limit, alpha, seed, details)
                for gate, limit in ((_absolute_influence, min_nats), (_relative_influence, min_ratio)) if limit is not None]
    return worst(*verdicts) if verdicts else None


def _absolute_influence(run, base_run, min_nats, alpha, seed, details) -> Verdict:
    totals = run.influence_totals
    label = "total influence of the injection (nats)"
    if run.influence_is_exact:
        return stats.exact_verdict(float(totals.mean()), lower=min_nats, label=label, details=details,
                                   measure="influence (nats)")
    interval = stats.t_interval(totals, alpha)
    return sampled_verdict(totals.mean(), interval, min_nats, None, totals.size, "t", alpha, seed, label, details,
                           measure="influence (nats)")


def _relative_influence(run, base_run, min_ratio, alpha, seed, details) -> Verdict:
    totals, base_totals = run.influence_totals, base_run.influence_totals
    if base_totals.mean() <= 0:  # the injection does not move the baseline: min_ratio x 0 asks for nothing
        return stats.exact_verdict(float(totals.mean()), lower=0.0, details=details, measure="influence (nats)",
                                   label="total influence of the injection (nats); the baseline's is 0, so "
                                         "min_influence_ratio asks for at least 0")
    ratio = float(totals.mean() / base_totals.mean())
    label = "total influence / the baseline's"
    if run.influence_is_exact and base_run.influence_is_exact:
        return stats.exact_verdict(ratio, lower=min_ratio, label=label, details=details, measure="influence ratio")
    # Delta method for a ratio of two independent means.
    spread = np.sqrt(totals.var(ddof=1) / totals.size + ratio**2 * base_totals.var(ddof=1) / base_totals.size)
    half = float(scipy_stats.norm.ppf(1 - alpha / 2) * spread / base_totals.mean())
    return sampled_verdict(ratio, (ratio - half, ratio + half), min_ratio, None, totals.size, "delta", alpha, seed,
                            label, details, measure="influence ratio")


def _attractor_details(run: measures.AttractorRun, alpha: float) -> dict:
    """The numbers behind an attractor verdict, per injection, for the report."""
    per_injection = []
    for result in run.results:
        back, curve, restart = result.snap_back, result.influence, result.restart
        entry = {"injection": result.injection.injection, "where": result.injection.where,
                 "prefix": result.injection.prefix_text, "snap_back": back.rate, "snap_back_count": back.count,
                 "snap_back_interval": list(back.interval), "n": back.n, "clean_mode": back.clean_mode,
                 "clean_mode_share": back.clean_mode_share, "clean_example": back.clean_example,
                 "injected_example": back.injected_example,
                 "recurring_lines": [{"line": line, "share": share} for line, share in back.recurring],
                 "prefixes": [{"prefix": text, "returned": count, "n": n} for text, count, n in back.per_prefix]}
        if curve is not None:
            entry.update(influence=curve.kl.round(6).tolist(), influence_total=curve.total,
                         influence_total_interval=curve.total_interval, recovery_step=curve.recovery_step,
                         influence_method=curve.method)
        if restart is not None:
            entry.update(restart_clean=restart.clean, restart_injected=restart.injected)
        if result.path_returns is not None:
            entry.update(return_probability=float(result.path_returns.mean()))
        per_injection.append(entry)
    side = {"snap_back": run.snap_back_rate, "snap_back_count": run.snap_back_count, "n": run.n,
            "per_injection": per_injection}
    if run.path_returns is not None:
        side.update(return_probability=float(run.path_returns.mean()), wordings=list(run.results[0].wordings),
                    return_probability_interval=list(stats.t_interval(run.path_returns, alpha)))
    return side


def _attractor_story(run: measures.AttractorRun, base_run: measures.AttractorRun | None) -> list[str]:
    """Lines for a failure message: where the injection went, a clean and an injected continuation, the
    snap-back and the influence curve, for the model and the baseline."""
    lines = [f"where:  {run.results[0].injection.where}"]
    for who, each in (("model", run), ("baseline", base_run)):
        if each is None:
            continue
        starts = each.results[0].snap_back.per_prefix
        if len(starts) > 1:
            lines.append(f"{who}, {len(starts)} clean prefixes C, first {each.results[0].injection.prefix_text!r}")
        else:
            lines.append(f"{who}, clean prefix C = {each.results[0].injection.prefix_text!r}")
        recurring = each.results[0].snap_back.recurring
        lines.append("  recurring lines of the clean text: " + ("; ".join(f"{line!r} ({share:.0%})" for line, share in recurring)
                                                                if recurring else "none (nothing to return to)"))
        for result in each.results:
            back, curve = result.snap_back, result.influence
            snapped = " (snapped back)" if back.count else ""
            lines += [f"  then the injection {result.injection.injection!r}:",
                      f"    clean continuation:    {back.clean_example!r}",
                      f"    injected continuation: {back.injected_example!r}{snapped}" if back.injected_example or recurring
                      else "    injected continuation: none drawn",
                      (f"    snap-back: {back.count}/{back.n} = {back.rate:.3f} [{back.interval[0]:.3f}, "
                       f"{back.interval[1]:.3f}] to a recurring line" if recurring else
                       f"    snap-back: 0 of {back.n}: with no recurring line there is nothing to return to, so no "
                       "injected continuation needs drawing (those shown are the influence curve's)")]
            if result.path_returns is not None and recurring:
                lines.append(f"    return probability along the paths (from logits): {result.path_returns.mean():.3f} "
                             f"over {result.path_returns.size} (what the verdict judges: the model gives logits and the "
                             "key is measures.sentences)")
            if len(back.per_prefix) > 1:
                lines.append("    returned per prefix: " + ", ".join(f"{text.strip()[:40]!r} {count}/{n}"
                                                                   for text, count, n in back.per_prefix))
            if curve is not None:
                numbers = " ".join(f"{k:.3f}" for k in curve.kl)
                recovery = curve.recovery_step if curve.recovery_step is not None else "none"
                lines.append(f"    influence curve (KL nats per step): {numbers}; total {curve.total:.3f};"
                             f" recovered at step {recovery} (tolerance {curve.tolerance:g})")
            else:
                lines.append("    influence curve: not measured (this backend gives text, not logits)")
    return lines
