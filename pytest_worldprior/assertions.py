"""Public assertions. Each runs a measure, turns it into a Verdict, records it, and raises on FAIL with the
measured value, interval, threshold, seed and a one-line reproduction.

mode="exact" computes from logits (deterministic); mode="sampled" uses generated text only and gives an
interval, so it can end INCONCLUSIVE; mode="auto" is exact where the backend exposes logits.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace

import hypothesis
import numpy as np
from scipy import stats as scipy_stats

from . import baseline_session, measures, recording, stats
from .backends.base import Backend, Prompt
from .stats import Outcome, Verdict

_policy = {"inconclusive": "xfail"}


class Inconclusive(Exception):
    """The interval straddles the threshold even at the sample cap: neither PASS nor FAIL can be claimed."""


class InconclusiveWarning(UserWarning):
    pass


def inconclusive_policy() -> str:
    return _policy["inconclusive"]


def set_inconclusive_policy(policy: str) -> None:
    if policy not in recording.INCONCLUSIVE_POLICIES:
        raise ValueError(f"inconclusive policy must be one of {recording.INCONCLUSIVE_POLICIES}, got {policy!r}")
    _policy["inconclusive"] = policy


def assert_entropy_within(
    model: Backend,
    prompt: Prompt,
    *,
    min_nats: float | None = None,
    max_nats: float | None = None,
    baseline: Backend | None = None,
    max_drop_nats: float | None = None,
    temperature: float = 1.0,
    mode: str = "auto",
    n: int = 2048,
    seed: int = 0,
    alpha: float = 1e-3,
) -> Verdict:
    """Next-token entropy at `temperature` must lie in [min_nats, max_nats]. With a baseline and
    `max_drop_nats`, it must also be at least the baseline's exact entropy on the same prompt minus that.

    Sampled mode draws in batches until the interval clears the bounds, at most `n` samples (then INCONCLUSIVE)."""
    __tracebackhide__ = True
    details = {}
    if baseline is not None:
        if max_drop_nats is None:
            raise ValueError("with a baseline, give max_drop_nats: how far below the baseline's entropy is allowed")
        if not _exact(baseline, "auto"):
            raise ValueError("the baseline's entropy is computed exactly: it needs a backend that gives logits")
        reference = float(measures.next_token_entropy(baseline, [prompt], temperature)[0])
        details = {"baseline_entropy": reference, "baseline": baseline.info().reference}
        min_nats = reference - max_drop_nats if min_nats is None else max(min_nats, reference - max_drop_nats)
    _need_bound(min_nats, max_nats)
    label = f"next-token entropy (nats, T={temperature:g})"
    if _exact(model, mode):
        value = float(measures.next_token_entropy(model, [prompt], temperature)[0])
        verdict = stats.exact_verdict(value, lower=min_nats, upper=max_nats, label=label, details=details)
    elif temperature == 1.0 and getattr(model, "top_k", 0):  # a server's top-k log-probabilities: certain bounds
        top = model.top_token_logprobs(prompt)
        bounds = measures.entropy_bounds([logprob for _, logprob in top], getattr(model, "vocab_size", None))
        verdict = _sampled_verdict(bounds.estimate, (bounds.low, bounds.high), min_nats, max_nats, bounds.top_k,
                                   "top-k bound", alpha, None, label,
                                   details | {"top_k": bounds.top_k, "tail_mass": bounds.tail_mass})
    else:
        try:  # sequential: sample in batches until the interval clears the bounds, at most n samples
            draw = measures.surprisal_draws(model, prompt, temperature=temperature, seed=seed)
            verdict = _sequential(draw, min_nats, max_nats, n, alpha, seed, label)
            verdict = replace(verdict, details={**verdict.details, **details})
        except NotImplementedError:  # text only: Miller-Madow over n sampled tokens
            sampled = measures.sampled_next_token_entropy(model, prompt, n, temperature=temperature, seed=seed, alpha=alpha)
            verdict = _sampled_verdict(sampled.estimate, sampled.interval, min_nats, max_nats, n, sampled.method, alpha, seed, label, details)
    call = f"assert_entropy_within(model, {prompt!r}, min_nats={min_nats}, max_nats={max_nats}, temperature={temperature}, mode={mode!r}, seed={seed})"
    return _conclude("entropy", model, prompt, verdict, call)


def assert_sequence_entropy_within(
    model: Backend,
    prompt: Prompt,
    *,
    min_nats: float | None = None,
    baseline: Backend | None = None,
    max_drop_nats: float | None = None,
    n: int = 32,
    max_new_tokens: int = 16,
    temperature: float = 1.0,
    seed: int = 0,
    alpha: float = 1e-3,
) -> Verdict:
    """Entropy of whole continuations of up to `max_new_tokens` tokens (chain rule along n sampled paths,
    t interval) must be at least `min_nats`; with a baseline, at most `max_drop_nats` below the baseline's
    (Welch interval on the difference). Needs logits. Between models with different tokenizers the
    same token count covers about, not exactly, the same text; the mean lengths are in the details."""
    __tracebackhide__ = True
    if (min_nats is None, max_drop_nats is None) != ((True, False) if baseline is not None else (False, True)):
        raise ValueError("give min_nats alone, or a baseline together with max_drop_nats")
    for side in (model, baseline):
        if side is not None and not _exact(side, "auto"):
            raise ValueError("sequence entropy is computed along sampled paths from logits: it needs a backend that gives them")
    settings = dict(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed, alpha=alpha)
    ours = measures.sequence_entropy(model, prompt, n, **settings)
    label = f"entropy of {max_new_tokens}-token continuations (nats, T={temperature:g})"
    details = {"mean_length": ours.mean_length}
    if baseline is None:
        verdict = _sampled_verdict(ours.estimate, ours.interval, min_nats, None, n, ours.method, alpha, seed, label, details)
    else:
        theirs = measures.sequence_entropy(baseline, prompt, n, **settings)
        details.update(baseline_entropy=theirs.estimate, baseline=baseline.info().reference,
                       baseline_mean_length=theirs.mean_length)
        interval = stats.welch_difference_interval(ours.estimate, ours.standard_error or 0.0, n,
                                                   theirs.estimate, theirs.standard_error or 0.0, n, alpha)
        verdict = _sampled_verdict(ours.estimate - theirs.estimate, interval, -max_drop_nats, None, n, "welch", alpha,
                                   seed, label.replace("entropy", "entropy minus the baseline's", 1), details)
    limit = f"min_nats={min_nats}" if baseline is None else f"baseline=load_model({baseline.info().reference!r}), max_drop_nats={max_drop_nats}"
    call = (f"assert_sequence_entropy_within(model, {prompt!r}, {limit}, n={n}, max_new_tokens={max_new_tokens}, "
            f"temperature={temperature}, seed={seed})")
    return _conclude("sequence_entropy", model, prompt, verdict, call, own=(ours.estimate, ours.interval, label))


def assert_temperature_sensitive(
    model: Backend,
    prompt: Prompt,
    *,
    temperatures: Sequence[float] = (0.7, 1.0, 1.5),
    min_gain: float = 0.1,
    baseline: Backend | None = None,
    max_matching_temperature: float | None = None,
    mode: str = "auto",
    n: int = 4096,
    seed: int = 0,
    alpha: float = 1e-3,
) -> Verdict:
    """Entropy must grow from the lowest to the highest temperature by at least `min_gain` nats.

    With a baseline, also: the temperature at which this model reaches the baseline's entropy at T=1 must
    not exceed `max_matching_temperature` (default: the highest temperature given). The gain alone misleads:
    a collapsed model can gain more entropy than its base and still need a far higher temperature to match it.
    Sampled mode tests the gain only, sequentially, with at most `n` sample pairs."""
    __tracebackhide__ = True
    temps = sorted(float(t) for t in temperatures)
    if len(temps) < 2:
        raise ValueError(f"temperatures needs at least two values, got {list(temperatures)!r}")
    label = f"entropy gain T={temps[0]:g}->{temps[-1]:g} (nats)"
    call = f"assert_temperature_sensitive(model, {prompt!r}, temperatures={temps}, min_gain={min_gain}, seed={seed})"
    if not model.gives_logits:
        raise ValueError(f"{model.info().reference} gives text only: the temperature check needs the probability "
                         "of each sampled token under the sampling temperature, which this backend does not return")
    if not _exact(model, mode):
        # Pairs of fresh samples at the lowest and highest temperature; their surprisal difference has mean
        # H(T_high) - H(T_low), so the sequential rule applies to the gain directly.
        low, high = (measures.surprisal_draws(model, prompt, temperature=t, seed=seed) for t in (temps[0], temps[-1]))
        verdict = _sequential(lambda k: high(k) - low(k), min_gain, None, n, alpha, seed, label)
        return _conclude("temperature", model, prompt, verdict, call)
    curve = measures.entropy_curve(model, prompt, temps)
    details = {"temperatures": temps, "entropy": curve.tolist()}
    gain = float(curve[-1] - curve[0])
    verdict = stats.exact_verdict(gain, lower=min_gain, label=label, details=details)
    if baseline is not None and verdict.passed:
        bound = max_matching_temperature if max_matching_temperature is not None else temps[-1]
        target = float(measures.next_token_entropy(baseline, [prompt], 1.0)[0])
        details["baseline_entropy_curve"] = measures.entropy_curve(baseline, prompt, temps).tolist()
        needed = measures.matching_temperature(model.next_token_logprobs([prompt])[0], target, t_max=max(10.0, 2 * bound))
        details.update(baseline_entropy_at_1=target, matching_temperature=needed, baseline=baseline.info().reference)
        label = "temperature needed to match the baseline's entropy at T=1"
        verdict = stats.exact_verdict(needed if needed is not None else float("inf"), upper=bound, label=label, details=details)
        call = call[:-1] + f", baseline=load_model({baseline.info().reference!r}), max_matching_temperature={bound})"
    return _conclude("temperature", model, prompt, verdict, call, own=(gain, None, f"entropy gain T={temps[0]:g}->{temps[-1]:g} (nats)"))


def assert_uniform_choice(
    model: Backend,
    prompt: Prompt,
    choices: Sequence[str],
    *,
    max_top_share: float | None = None,
    max_off_set_mass: float | None = None,
    baseline: Backend | None = None,
    max_increase: float | None = None,
    framing: str | None = None,
    mode: str = "auto",
    n: int = 512,
    seed: int = 0,
    alpha: float = 1e-3,
) -> Verdict:
    """The "random number" test: no allowed answer may take more than `max_top_share` of the mass
    (default twice its fair share, 2 / len(choices)), renormalised over the allowed set.

    With a baseline (exact, from its logits) the limit rises to the baseline's own top share plus
    `max_increase` where that is higher: the candidate may be as biased as the model it is compared
    with, not more. `framing` names how the question was put ("direct", "chat", "interpreter"): the
    session report then sets the framings of the same choices side by side and says which is flatter."""
    __tracebackhide__ = True
    bound = max_top_share if max_top_share is not None else min(1.0, 2 / len(choices))
    base_details = {}
    if baseline is None and max_increase is not None:
        raise ValueError("max_increase compares with a baseline: give baseline= as well, or drop max_increase")
    if baseline is not None:
        if max_increase is None:
            raise ValueError("with a baseline, give max_increase: how much larger than the baseline's top share the candidate's may be")
        if not _exact(baseline, "auto"):
            raise ValueError("the baseline's answer distribution is computed exactly: it needs a backend that gives logits")
        base = measures.choice_distribution(baseline, prompt, choices)
        base_details = {"baseline": baseline.info().reference, "baseline_top": base.top,
                        "baseline_top_probability": base.top_probability}
        bound = min(1.0, max(bound, base.top_probability + max_increase))
    limit = (f"max_top_share={max_top_share}, baseline=load_model({baseline.info().reference!r}), max_increase={max_increase}"
             if baseline is not None else f"max_top_share={bound}")
    call = f"assert_uniform_choice(model, {prompt!r}, {list(choices)!r}, {limit}, mode={mode!r}, seed={seed})"
    if _exact(model, mode):
        dist = measures.choice_distribution(model, prompt, choices)
        details = dist.as_dict() | base_details
        verdict = stats.exact_verdict(dist.top_probability, upper=bound, label=f"share of top answer {dist.top!r}", details=details)
        own = (verdict.estimate, None, verdict.label)  # what a stored baseline compares, whichever limit decides
        if verdict.passed and max_off_set_mass is not None and dist.off_set_mass > max_off_set_mass:
            verdict = stats.exact_verdict(dist.off_set_mass, upper=max_off_set_mass, label="mass outside the allowed answers", details=details)
    else:
        counts, outside = _sampled_choice_counts(model, prompt, choices, n, seed)
        top = int(np.argmax(counts))
        inside = int(counts.sum())
        if inside == 0:
            raise AssertionError(f"none of {n} samples gave an allowed answer to {prompt!r}")
        interval = stats.wilson_interval(int(counts[top]), inside, alpha)
        details = {"choices": list(choices), "counts": counts.tolist(), "off_set_count": outside} | base_details
        if inside >= 2 and len(choices) >= 2:
            details["chi_square_p"] = stats.chi_square_test(counts)[1]
        details["normalised_entropy"] = float(stats.plugin_entropy(counts) / np.log(len(choices)))
        verdict = _sampled_verdict(counts[top] / inside, interval, None, bound, inside, "wilson", alpha, seed,
                                   f"share of top answer {choices[top]!r}", details)
        own = (verdict.estimate, verdict.interval, verdict.label)
    if framing is not None:
        verdict.details["framing"] = framing
    return _conclude("uniform_choice", model, prompt, verdict, call, own=own)


def assert_distribution_close(
    model: Backend,
    prompt: Prompt,
    choices: Sequence[str],
    target: Sequence[float],
    *,
    max_kl: float = 0.1,
    mode: str = "auto",
    n: int = 512,
    seed: int = 0,
    alpha: float = 1e-3,
) -> Verdict:
    """KL(target || model) over the allowed answers (renormalised) must not exceed `max_kl` nats.

    This direction punishes a model that gives little mass where the target wants some (lost coverage)."""
    __tracebackhide__ = True
    target = np.asarray(target, dtype=float)
    if target.shape != (len(choices),) or np.any(target < 0) or abs(target.sum() - 1) > 1e-6:
        raise ValueError(f"target must be {len(choices)} non-negative probabilities summing to 1, got {target.tolist()}")
    call = f"assert_distribution_close(model, {prompt!r}, {list(choices)!r}, {target.tolist()}, max_kl={max_kl}, mode={mode!r}, seed={seed})"
    label = "KL(target || model) over the answers (nats)"
    if _exact(model, mode):
        dist = measures.choice_distribution(model, prompt, choices)
        kl = float(stats.kl_divergence(target, dist.probabilities))
        verdict = stats.exact_verdict(kl, upper=max_kl, label=label, details=dist.as_dict() | {"target": target.tolist()})
    else:
        counts, outside = _sampled_choice_counts(model, prompt, choices, n, seed)
        estimate, interval = _sampled_kl(target, counts, alpha, seed)
        verdict = _sampled_verdict(estimate, interval, None, max_kl, int(counts.sum()), "bootstrap", alpha, seed, label,
                                   {"counts": counts.tolist(), "off_set_count": outside, "target": target.tolist()})
    return _conclude("distribution_close", model, prompt, verdict, call)


def assert_prior_shift_within(
    model: Backend,
    baseline: Backend,
    prompts: Sequence[Prompt],
    *,
    max_kl: float = 1.0,
    max_shifted_share: float | None = None,
    continuation_tokens: int = 16,
    seed: int = 0,
) -> Verdict:
    """Mean KL(model || baseline) over the positions of the model's own continuations of the probe prompts
    must not exceed `max_kl` nats (exact; both models must share a tokenizer).

    There is no sampled mode: where the models cannot both give logits or do not share a tokenizer,
    compare them with assert_mode_share_within (samples) and assert_distribution_close (closed sets)."""
    __tracebackhide__ = True
    if not (_exact(model, "auto") and _exact(baseline, "auto")):
        raise ValueError("assert_prior_shift_within needs logits from both models (exact mode); compare "
                         "closed-set distributions with assert_distribution_close for text-only backends")
    shift = measures.prior_shift(model, baseline, prompts, continuation_tokens=continuation_tokens, seed=seed)
    details = {"mean_js": shift.mean_js, "shifted_share": shift.shifted_share, "positions": int(shift.kl.size),
               "kl_per_position": shift.kl.round(6).tolist(), "baseline": baseline.info().reference}
    verdict = stats.exact_verdict(shift.mean_kl, upper=max_kl, label="mean KL(model || baseline) (nats)", details=details)
    if verdict.passed and max_shifted_share is not None:
        verdict = stats.exact_verdict(shift.shifted_share, upper=max_shifted_share, label="share of shifted positions", details=details)
    call = (f"assert_prior_shift_within(model, load_model({baseline.info().reference!r}), {list(prompts)!r}, max_kl={max_kl}, "
            f"max_shifted_share={max_shifted_share}, continuation_tokens={continuation_tokens}, seed={seed})")
    return _conclude("prior_shift", model, "; ".join(map(str, prompts)), verdict, call, own=None)


def assert_mode_share_within(
    model: Backend,
    prompt: Prompt,
    *,
    max_share: float | None = None,
    baseline: Backend | None = None,
    max_increase: float | None = None,
    n: int = 64,
    max_new_tokens: int = 8,
    temperature: float = 1.0,
    key: Callable[[str], str] = measures.first_words,
    seed: int = 0,
    alpha: float = 1e-3,
) -> Verdict:
    """Mode collapse among samples: of n seeded continuations, the share in the largest answer class
    (classes by `key`, by default the first three words) must stay under `max_share` (Wilson interval),
    or with a baseline exceed the baseline's share on the same prompt by at most `max_increase` (Newcombe
    interval). Text only, so it works for any backend and compares models whose tokenizers differ."""
    __tracebackhide__ = True
    if baseline is None and (max_share is None or max_increase is not None):
        raise ValueError("without a baseline, give max_share (and not max_increase, which compares with a baseline)")
    if baseline is not None and (max_increase is None or max_share is not None):
        raise ValueError("with a baseline, give max_increase (how much larger than the baseline's the share may be), not max_share")
    settings = dict(max_new_tokens=max_new_tokens, temperature=temperature, key=key, seed=seed, alpha=alpha)
    ours = measures.sampled_mode_share(model, prompt, n, **settings)
    what = "opening" if key is measures.first_words else "answer class"
    details = {"mode": ours.mode, "count": ours.count, "n": ours.n, "classes": ours.classes, "share": ours.share}
    if baseline is None:
        verdict = _sampled_verdict(ours.share, ours.interval, None, max_share, n, "wilson", alpha, seed,
                                   f"share of the commonest {what} {ours.mode!r}", details)
    else:
        theirs = measures.sampled_mode_share(baseline, prompt, n, **settings)
        details["baseline"] = {"model": baseline.info().reference, "mode": theirs.mode, "count": theirs.count,
                               "classes": theirs.classes, "share": theirs.share}
        interval = stats.newcombe_difference_interval(ours.count, ours.n, theirs.count, theirs.n, alpha)
        verdict = _sampled_verdict(ours.share - theirs.share, interval, None, max_increase, n, "newcombe", alpha, seed,
                                   f"commonest-{what} share minus the baseline's ({ours.mode!r})", details)
    limit = f"max_share={max_share}" if baseline is None else f"baseline=load_model({baseline.info().reference!r}), max_increase={max_increase}"
    call = (f"assert_mode_share_within(model, {prompt!r}, {limit}, n={n}, max_new_tokens={max_new_tokens}, "
            f"temperature={temperature}, seed={seed}"
            + (f", key={getattr(key, '__qualname__', key)}" if key is not measures.first_words else "") + ")")
    return _conclude("mode_share", model, prompt, verdict, call, own=(ours.share, ours.interval, f"share of the commonest {what}"))


def assert_no_attractor(
    model: Backend,
    prompt: Prompt,
    injection: str | Sequence[str],
    *,
    position: int | str = "sentence",
    prefix: str | None = None,
    prefix_draws: int = 8,
    baseline: Backend | None = None,
    max_snap_back: float = 0.25,
    max_snap_back_increase: float = 0.2,
    min_influence: float | None = None,
    min_influence_ratio: float | None = None,
    n: int = 128,
    steps: int = 8,
    max_new_tokens: int = 32,
    key: Callable[[str], str] = measures.last_sentence,
    separator: str = " ",
    seed: int = 0,
    baseline_seed: int | None = None,
    alpha: float = 1e-3,
) -> Verdict:
    """After the injected line(s), the model must not snap back to where it was going without them.

    The model writes a clean prefix C (its first sentence by default, or `position` tokens; the most
    frequent of `prefix_draws` seeded drafts), or C is the given `prefix`; each injection J follows it,
    and n continuations of P + C + J are compared with n of P + C.
    Snap-back rate: the share of injected continuations in the clean mode (largest class under `key`,
    by default the last complete sentence). Without a baseline it must stay under `max_snap_back`; with
    one, measured on the same injections, it may exceed the baseline's by at most `max_snap_back_increase`.
    Optional influence gates (white-box backends): the mean total KL the injection causes over `steps`
    tokens must reach `min_influence` nats, or `min_influence_ratio` times the baseline's.
    The baseline samples with `baseline_seed` (default: the same seed, common random numbers)."""
    __tracebackhide__ = True
    lines = [injection] if isinstance(injection, str) else list(injection)
    if not lines:
        raise ValueError("give at least one injection")
    settings = dict(position=position, prefix=prefix, prefix_draws=prefix_draws, separator=separator, n=n, steps=steps,
                    max_new_tokens=max_new_tokens, key=key, alpha=alpha)
    run = measures.run_attractor(model, prompt, lines, seed=seed, **settings)
    base_run = None
    if baseline is not None:
        base_seed = seed if baseline_seed is None else baseline_seed
        base_run = measures.run_attractor(baseline, prompt, lines, seed=base_seed, **settings)
    details = {"injections": lines, "candidate": _attractor_details(run)}
    if base_run is not None:
        details["baseline"] = dict(_attractor_details(base_run), model=baseline.info().reference)
    verdict = _snap_back_verdict(run, base_run, max_snap_back, max_snap_back_increase, alpha, seed, details)
    if verdict.passed and (min_influence is not None or min_influence_ratio is not None):
        verdict = _influence_verdict(run, base_run, min_influence, min_influence_ratio, alpha, seed, details) or verdict
    where = f"prefix={prefix!r}" if prefix is not None else f"position={position!r}, prefix_draws={prefix_draws}"
    limits = (f"max_snap_back_increase={max_snap_back_increase}" if baseline else f"max_snap_back={max_snap_back}")
    limits += f", min_influence={min_influence}" if min_influence is not None else ""
    limits += f", min_influence_ratio={min_influence_ratio}" if min_influence_ratio is not None else ""
    call = (f"assert_no_attractor(model, {prompt!r}, {lines!r}, {where}, {limits}, n={n}, steps={steps}, "
            f"max_new_tokens={max_new_tokens}, seed={seed}"
            + (f", key={getattr(key, '__qualname__', key)}" if key is not measures.last_sentence else "")
            + (f", baseline=load_model({baseline.info().reference!r}), baseline_seed={baseline_seed}" if baseline else "")
            + ")")
    own = (run.snap_back_rate, stats.wilson_interval(run.snap_back_count, run.n, alpha), "snap-back rate")
    return _conclude("attractor", model, prompt, verdict, call, _attractor_story(run, base_run), own)


def _snap_back_verdict(run, base_run, max_snap_back, max_increase, alpha, seed, details) -> Verdict:
    if base_run is None:
        interval = stats.wilson_interval(run.snap_back_count, run.n, alpha)
        return _sampled_verdict(run.snap_back_rate, interval, None, max_snap_back, run.n, "wilson", alpha, seed,
                                "snap-back rate (injected continuations in the clean mode)", details)
    interval = stats.newcombe_difference_interval(run.snap_back_count, run.n, base_run.snap_back_count, base_run.n, alpha)
    return _sampled_verdict(run.snap_back_rate - base_run.snap_back_rate, interval, None, max_increase, run.n,
                            "newcombe", alpha, seed, "snap-back rate minus the baseline's", details)


def _influence_verdict(run, base_run, min_influence, min_ratio, alpha, seed, details) -> Verdict | None:
    """The influence gate that applies (absolute without a baseline, a ratio with one); None if neither."""
    totals = run.influence_totals
    if totals is None:
        raise ValueError("min_influence and min_influence_ratio need logits; this backend gives text only: "
                         "gate on the snap-back rate alone")
    if base_run is None:
        if min_influence is None:
            return None
        label = "total influence of the injection (nats)"
        if run.influence_is_exact:
            return stats.exact_verdict(float(totals.mean()), lower=min_influence, label=label, details=details)
        interval = stats.t_interval(totals, alpha)
        return _sampled_verdict(totals.mean(), interval, min_influence, None, totals.size, "t", alpha, seed, label, details)
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
    return _sampled_verdict(ratio, (ratio - half, ratio + half), min_ratio, None, totals.size, "delta", alpha, seed,
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


# ---- shared machinery ------------------------------------------------------------------------------


def _exact(model: Backend, mode: str) -> bool:
    if mode not in ("auto", "exact", "sampled"):
        raise ValueError(f"mode must be 'auto', 'exact' or 'sampled', got {mode!r}")
    if mode == "sampled":
        return False
    white_box = model.gives_logits
    if mode == "exact" and not white_box:
        raise ValueError(f"{type(model).__name__} gives no logits; use mode='sampled'")
    return white_box


def _need_bound(lower, upper) -> None:
    if lower is None and upper is None:
        raise ValueError("give min_nats, max_nats or both: a check without a bound asserts nothing")


def _sampled_verdict(estimate, interval, lower, upper, n, method, alpha, seed, label, details=None) -> Verdict:
    outcome = stats.decide(estimate, interval, lower=lower, upper=upper)
    return Verdict(outcome, float(estimate), tuple(map(float, interval)), (lower, upper), n, method, alpha, seed, label, details or {})


def _sequential(draw, lower, upper, max_n: int, alpha: float, seed: int, label: str) -> Verdict:
    """At most 4 looks, the first at max_n / 4. Surprisals are right-skewed (skewness ~2.7 on the toy), and
    the t interval undercovers at small n: looks from n=64 gave 0.8 % false FAILs at alpha 0.1 %, looks from
    n=512 about 0.2 % (measured by simulation from the exact distribution; see BENCHMARKS.md)."""
    batch = max(16, max_n // 4)
    return stats.sequential_mean(draw, lower=lower, upper=upper, alpha=alpha, batch=batch, min_n=batch,
                                 max_n=max(max_n, batch), seed=seed, label=label)


def _sampled_choice_counts(model: Backend, prompt: Prompt, choices: Sequence[str], n: int, seed: int):
    """Sample n short answers and count which allowed answer each one is (a whole word, not a prefix)."""
    counts = np.zeros(len(choices))
    outside = 0
    longest_first = sorted(range(len(choices)), key=lambda i: -len(choices[i]))
    for sample in model.sample(prompt, n, max_new_tokens=8, seed=seed):
        text = sample.text.lstrip()
        match = next((i for i in longest_first if text.startswith(choices[i]) and not text[len(choices[i]):][:1].isalnum()), None)
        if match is None:
            outside += 1
        else:
            counts[match] += 1
    return counts, outside


def _sampled_kl(target: np.ndarray, counts: np.ndarray, alpha: float, seed: int) -> tuple[float, tuple[float, float]]:
    """KL(target || sampled answer frequencies) with a BCa bootstrap interval. Frequencies get half a count
    per answer (Jeffreys prior) so that an answer never sampled does not make the KL infinite.

    The plug-in KL is biased upward; BCa corrects for that, the percentile interval does not (simulated at
    the toy's exact distribution: 2.3 % false FAILs with percentile, 0.5-0.7 % with BCa, alpha 0.1 %)."""

    def kl(labels: np.ndarray, axis: int = -1) -> np.ndarray:
        rows = np.moveaxis(np.asarray(labels, dtype=int), axis, -1)
        shape = rows.shape[:-1]
        rows = rows.reshape(-1, rows.shape[-1])
        freqs = np.stack([np.bincount(row, minlength=len(target)) for row in rows]) + 0.5
        freqs /= freqs.sum(axis=1, keepdims=True)
        return np.asarray(stats.kl_divergence(np.broadcast_to(target, freqs.shape), freqs)).reshape(shape)

    labels = np.repeat(np.arange(len(target)), counts.astype(int))
    interval = stats.bootstrap_interval(labels, kl, alpha, seed, method="BCa", n_resamples=4999)
    return float(kl(labels[None, :])[0]), interval


_OWN = object()  # _conclude's default: the verdict's own estimate and interval


def _conclude(check: str, model: Backend, prompt, verdict: Verdict, call: str, story: Sequence[str] = (), own=_OWN) -> Verdict:
    """Record the verdict; raise on FAIL (and on INCONCLUSIVE, by policy) with a message that shows the
    numbers, `story` (check-specific lines), the seed and a line that reproduces the check.

    `own` is the model's own quantity, (estimate, interval or None, label), where the verdict's is relative
    to a baseline (None: no such quantity): stored baselines record and compare it."""
    __tracebackhide__ = True
    own = (verdict.estimate, verdict.interval, verdict.label) if own is _OWN else own
    session = baseline_session.active()
    comparison = session.compare_check(check, model, prompt, verdict, own) if session is not None else None
    outcome = verdict.outcome
    if comparison is not None:
        verdict.details["stored_baseline"] = comparison.details
        outcome = max(outcome, comparison.outcome, key=_SEVERITY.index)
    reference = model.info().reference
    recording.RECORDER.models[reference] = model.info().as_dict()
    recording.RECORDER.add(recording.VerdictRecord(check, reference, str(prompt), dict(verdict.as_dict(), outcome=outcome.value)))
    if outcome is Outcome.PASS:
        return verdict
    first = verdict.describe()
    if verdict.passed:  # the stored-baseline comparison is what did not pass
        first = f"{outcome.value} against the stored baseline (the check itself: {first})"
    message = (
        f"{first}\n"
        + "".join(f"  {line}\n" for line in (comparison.lines if comparison is not None else ()))
        + f"  model:  {reference}\n"
        f"  prompt: {prompt!r}\n"
        + "".join(f"  {line}\n" for line in story)
        + f"  seed:   {verdict.seed if verdict.seed is not None else 'n/a (exact)'}\n"
        f"  reproduce: from pytest_worldprior import *; model = load_model({reference!r}); {call}"
    )
    if outcome is Outcome.FAIL:
        raise AssertionError(message)
    policy = _policy["inconclusive"]
    if policy == "xfail" and hypothesis.currently_in_test_context():
        # Inside @given an INCONCLUSIVE example is no counterexample: discard it (its verdict is recorded)
        # rather than let Hypothesis shrink towards it as if it were a failure.
        hypothesis.event("worldprior: INCONCLUSIVE example discarded")
        hypothesis.reject()
    if policy == "fail":
        raise AssertionError("INCONCLUSIVE treated as failure (--worldprior-inconclusive=fail)\n" + message)
    if policy == "warn":
        warnings.warn(InconclusiveWarning(message), stacklevel=3)
        return verdict
    raise Inconclusive(message)


_SEVERITY = [Outcome.PASS, Outcome.INCONCLUSIVE, Outcome.FAIL]
