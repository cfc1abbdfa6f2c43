"""Mode collapse, exactly or from samples: next-token entropy and the entropy of whole continuations."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .. import checks, measures, stats
from ..backends.base import Backend, Prompt
from ..checks import Quantity
from ..measures.entropy import KnownPath, overlap, sequence_paths
from ..stats import Outcome, Verdict
from ..stats.degenerate import known_paths_interval
from .conclude import (
    assertion,
    check_mode,
    conclude,
    need_bound,
    sampled_verdict,
    sequential_verdict,
    uses_logits,
    worst,
)


@assertion(mode="method")
def assert_entropy_within(
    model: Backend,
    prompt: Prompt,
    *,
    min_nats: float | None = None,
    max_nats: float | None = None,
    baseline: Backend | None = None,
    max_drop_nats: float | None = None,
    temperature: float = 1.0,
    method: str = "auto",
    n: int = 2048,
    seed: int | None = None,
    alpha: float = 1e-3,
) -> Verdict:
    """Next-token entropy at `temperature` must lie in [min_nats, max_nats]. With a baseline and
    `max_drop_nats`, it must also be at least the baseline's exact entropy on the same prompt minus that.

    Routes (docs/arguments.md): exact where the model gives logits (method 'auto' or 'exact'); with
    method 'auto', a server's top-k log-probabilities at T=1 give certain bounds; otherwise (and always
    with method='sampled') sampled: drawn in batches until the interval clears the bounds, at most `n`
    samples (then INCONCLUSIVE). `seed` defaults to the session's (--worldprior-seed; 0 outside pytest).
    Raises ValueError for an argument that does not apply in the mode (max_drop_nats without a baseline;
    n, seed or alpha with method='exact'), or a baseline that gives no logits."""
    __tracebackhide__ = True
    if uses_logits(model, method):
        route = "exact"
    elif method == "auto" and temperature == 1.0 and model.gives_top_logprobs:
        route = "top-k"
    else:
        route = "sampled"
    check_mode(route, baseline)
    details = {}
    if baseline is not None:
        if max_drop_nats is None:
            raise ValueError("with a baseline, give max_drop_nats: how far below the baseline's entropy is allowed")
        if not uses_logits(baseline, "auto"):
            raise ValueError("the baseline's entropy is computed exactly: it needs a backend that gives logits")
        reference = float(measures.next_token_entropy(baseline, [prompt], temperature)[0])
        details = {"baseline_entropy": reference, "baseline": baseline.info().reference}
        min_nats = reference - max_drop_nats if min_nats is None else max(min_nats, reference - max_drop_nats)
    need_bound(min_nats, max_nats)
    label = f"next-token entropy (nats, T={temperature:g})"
    measure = "next-token entropy (nats)" if temperature == 1 else f"next-token entropy, T={temperature:g}"
    if route == "exact":
        value = float(measures.next_token_entropy(model, [prompt], temperature)[0])
        verdict = stats.exact_verdict(value, lower=min_nats, upper=max_nats, label=label, details=details, measure=measure)
    elif route == "top-k":  # a server's top-k log-probabilities: certain bounds
        top = model.top_logprobs(prompt)
        bounds = measures.entropy_bounds([logprob for _, logprob in top], model.vocab_size)
        verdict = sampled_verdict(bounds.estimate, (bounds.low, bounds.high), min_nats, max_nats, bounds.top_k,
                                   "top-k bound", alpha, None, label,
                                   details | {"top_k": bounds.top_k, "tail_mass": bounds.tail_mass}, measure=measure)
    elif model.gives_sampling_logprobs:  # sequential: sample in batches until the interval clears the bounds, at most n
        draw = measures.surprisal_draws(model, prompt, temperature=temperature, seed=seed)
        vocab = model.vocab_size  # every draw the same surprisal: the exact bound of stats.degenerate

        def all_equal(surprisal, draws, look_alpha):
            return stats.all_equal_entropy_interval(surprisal, draws, look_alpha, vocab)

        verdict = sequential_verdict(draw, min_nats, max_nats, n, alpha, seed, label, all_equal, measure=measure)
        verdict = replace(verdict, details={**verdict.details, **details})
    else:  # text only: Miller-Madow over n sampled tokens
        sampled = measures.sampled_next_token_entropy(model, prompt, n, temperature=temperature, seed=seed, alpha=alpha)
        verdict = sampled_verdict(sampled.estimate, sampled.interval, min_nats, max_nats, n, sampled.method, alpha, seed, label,
                                  details, measure=measure)
    return conclude(checks.ENTROPY, model, prompt, verdict,
                    baseline_value=None if baseline is None else (details["baseline_entropy"], "nats"),
                    quantities=[Quantity("next-token entropy (nats)", verdict.estimate, verdict.interval)])


@assertion()
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
    seed: int | None = None,
    baseline_seed: int | None = None,
    alpha: float = 1e-3,
) -> Verdict:
    """Entropy of whole continuations of up to `max_new_tokens` tokens (chain rule along n sampled paths,
    t interval) must be at least `min_nats`; with a baseline, at most `max_drop_nats` below the baseline's
    (Welch interval on the difference). Give `min_nats` alone, a baseline with `max_drop_nats`, or all
    three: then both must hold, and the verdict that FAILs decides, else the one that is INCONCLUSIVE,
    else (both PASS) the `min_nats` one. Needs logits. Between models with different tokenizers the
    same token count covers about, not exactly, the same text; the mean lengths are in the details. The
    baseline samples with `baseline_seed` (default: --worldprior-baseline-seed if set, else the same seed;
    another makes the samples independent); `seed` defaults to the session's (--worldprior-seed; 0 outside
    pytest).

    Where every path is alike (a collapsed model) there is no spread to build a t or Welch interval on:
    the model's interval is then stats.degenerate's all-equal bound overlapped with the certain bound
    from the drawn paths' exact probabilities (measures.sequence_entropy; a side's interval is subtracted
    from the other's, method "all-equal"); and where that does not decide, up to MORE_PATH_LOOKS further
    looks of n paths add their distinct paths to the known ones (_more_paths; no alpha spent, the bound is
    certain). A model whose paths differ is judged exactly as before, on the same samples."""
    __tracebackhide__ = True
    if (baseline is None) != (max_drop_nats is None):
        raise ValueError("a baseline and max_drop_nats go together: give both, or neither")
    if min_nats is None and baseline is None:
        raise ValueError("give min_nats, a baseline with max_drop_nats, or all three: a check without a bound asserts nothing")
    for side in (model, baseline):
        if side is not None and not uses_logits(side, "auto"):
            raise ValueError("sequence entropy is computed along sampled paths from logits: it needs a backend that gives them")
    check_mode("sampled", baseline)
    settings = dict(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed, alpha=alpha)
    ours = measures.sequence_entropy(model, prompt, n, **settings)
    label = f"entropy of {max_new_tokens}-token continuations (nats, T={temperature:g})"
    measure = (f"{max_new_tokens}-token entropy (nats)" if temperature == 1
               else f"{max_new_tokens}-token entropy, T={temperature:g}")
    details = {"mean_length": ours.mean_length}
    theirs = None
    if baseline is not None:
        base_settings = dict(settings, seed=seed if baseline_seed is None else baseline_seed)
        theirs = measures.sequence_entropy(baseline, prompt, n, **base_settings)
        details.update(baseline_entropy=theirs.estimate, baseline=baseline.info().reference,
                       baseline_mean_length=theirs.mean_length)

    def judge(estimate: float, interval: tuple[float, float], drawn: int) -> list[Verdict]:
        verdicts = []
        if min_nats is not None:
            verdicts.append(sampled_verdict(estimate, interval, min_nats, None, drawn, ours.method, alpha, seed, label,
                                            details, measure=measure))
        if theirs is not None:
            if ours.standard_error is None or theirs.standard_error is None:  # a side's paths all alike: its exact bound
                difference, method = (interval[0] - theirs.interval[1], interval[1] - theirs.interval[0]), "all-equal"
            else:
                difference, method = stats.welch_difference_interval(estimate, ours.standard_error, n, theirs.estimate,
                                                                     theirs.standard_error, n, alpha), "welch"
            verdicts.append(sampled_verdict(estimate - theirs.estimate, difference, -max_drop_nats, None, drawn, method,
                                            alpha, seed, f"entropy minus the baseline's of {max_new_tokens}-token "
                                            f"continuations (nats, T={temperature:g})", details, measure="Δ " + measure))
        return verdicts

    estimate, interval, drawn = ours.estimate, ours.interval, n
    verdicts = judge(estimate, interval, drawn)
    if ours.known_paths is not None:  # every path alike: what the logits know of the drawn paths, and more paths
        details["known_mass"] = ours.known_mass
        if worst(*verdicts).outcome is Outcome.INCONCLUSIVE:
            estimate, interval, drawn, verdicts = _more_paths(model, prompt, ours, n, max_new_tokens, temperature, seed,
                                                              judge, details)
    if len(verdicts) == 2:
        details["checks"] = [v.describe() for v in verdicts]
    return conclude(checks.SEQUENCE_ENTROPY, model, prompt, worst(*verdicts), own=(estimate, interval, label),
                    baseline_value=None if baseline is None else (details["baseline_entropy"], "nats"),
                    quantities=[Quantity("continuation entropy (nats)", estimate, interval)])


# Where every path of a collapsed sample is the same and neither bound decides, at most this many further
# looks of n fresh paths each (so at most 4n paths, the 4 looks of sequential_verdict).
MORE_PATH_LOOKS = 3


def _more_paths(model: Backend, prompt: Prompt, ours, n: int, max_new_tokens: int, temperature: float, seed: int,
                judge, details: dict) -> tuple[float, tuple[float, float], int, list[Verdict]]:
    """Where every path of the first look was alike and the check is INCONCLUSIVE: draw further looks of
    n paths (measures.sequence_paths, seed derived from (seed, look), so a run repeats with its seed) until
    `judge(estimate, interval, paths drawn)` decides, at most MORE_PATH_LOOKS.

    Each look's new distinct paths join those of the first look in the prefix tree of
    stats.degenerate.known_paths_interval: a path drawn once has its probability and its value known
    exactly, so the mass left unknown only shrinks. That bound is certain, so the looks spend no alpha (no
    Bonferroni split over them): the interval is the first look's (all-equal bound at the check's alpha,
    overlapped with the certain one) overlapped with the certain bound of all paths so far, and it can
    miss only where the first look's missed. The estimate is the mean of every path drawn (unbiased like
    the first look's), kept inside the interval. Returns (estimate, interval, paths drawn, verdicts) and
    leaves `more_paths` (paths drawn after the first look) and `known_mass` in details."""
    most = math.log(len(model.token_texts()))  # no step holds more than log V nats
    paths = {path.tokens: path for path in map(KnownPath._make, ours.known_paths)}  # stored results give plain tuples
    total, drawn = ours.estimate * n, n
    for look in range(1, MORE_PATH_LOOKS + 1):
        look_seed = int(np.random.SeedSequence([seed, look]).generate_state(1)[0])
        for path in sequence_paths(model, prompt, n, max_new_tokens=max_new_tokens, temperature=temperature,
                                   seed=look_seed):
            path = KnownPath._make(path)
            total += path.count * math.fsum(path.entropies)
            paths.setdefault(path.tokens, path)
        drawn += n
        low, high, known = known_paths_interval(paths.values(), max_new_tokens, most)
        interval = overlap(ours.interval, (low, high))
        estimate = min(max(total / drawn, interval[0]), interval[1])
        details.update(more_paths=drawn - n, known_mass=known)
        verdicts = judge(estimate, interval, drawn)
        if worst(*verdicts).outcome is not Outcome.INCONCLUSIVE:
            break
    return estimate, interval, drawn, verdicts
