"""Biased randomness: the distribution over a closed set of answers (a random number, a coin, a name)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .. import checks, measures, stats
from ..backends.base import Backend, Prompt
from ..checks import Quantity
from ..measures.closed_set import MAX_IN_SET_DROP_NATS, MIN_IN_SET_MASS, ends_answer
from ..stats import Outcome, Verdict
from .conclude import (
    assertion,
    check_mode,
    conclude,
    sampled_verdict,
    uses_logits,
)


@assertion(max_increase="max_top_share_increase", mode="method")
def assert_uniform_choice(
    model: Backend,
    prompt: Prompt,
    choices: Sequence[str],
    *,
    max_top_share: float | None = None,
    max_off_set_mass: float | None = None,
    min_in_set_mass: float = MIN_IN_SET_MASS,
    baseline: Backend | None = None,
    max_top_share_increase: float | None = None,
    framing: str | None = None,
    method: str = "auto",
    n: int = 512,
    seed: int | None = None,
    alpha: float = 1e-3,
) -> Verdict:
    """The "random number" test: no allowed answer may take more than `max_top_share` of the mass
    (default twice its fair share, 2 / len(choices)), renormalised over the allowed set.

    With a baseline (exact, from its logits) the limit rises to the baseline's own top share plus
    `max_top_share_increase` where that is higher: the candidate may be as biased as the model it is compared
    with, not more. `framing` names how the question was put ("direct", "chat", "interpreter"): the
    session report then sets the framings of the same choices side by side and says which is flatter.

    A model that rarely gives an allowed answer at all is not judged on the few answers it gives: when its
    in-set mass (exact; in sampled mode the share of the n samples that are allowed answers) is below
    `min_in_set_mass` (default MIN_IN_SET_MASS, 0.05) the verdict is INCONCLUSIVE and says so, and so it is
    when the baseline's in-set mass is. `max_off_set_mass` limits the mass outside the allowed answers
    (exact; sampled, the share of the n samples that are no allowed answer, Wilson interval), judged
    where the top share passes. Sampled, the n answers are seeded with `seed` (default: the session's,
    --worldprior-seed; 0 outside pytest). Raises ValueError for fewer than 2 or repeated choices, a
    baseline without logits, a `max_top_share_increase` without a baseline or the reverse, or an argument
    that does not apply in the mode (docs/arguments.md)."""
    __tracebackhide__ = True
    route = "exact" if uses_logits(model, method) else "sampled"
    check_mode(route, baseline)
    bound = max_top_share if max_top_share is not None else min(1.0, 2 / len(choices))
    base_details = {}
    base = None
    if baseline is not None:
        if max_top_share_increase is None:
            raise ValueError("with a baseline, give max_top_share_increase: how much larger than the baseline's top share "
                             "the candidate's may be")
        if not uses_logits(baseline, "auto"):
            raise ValueError("the baseline's answer distribution is computed exactly: it needs a backend that gives logits")
        base = measures.choice_distribution(baseline, prompt, choices)
        base_details = {"baseline": baseline.info().reference, "baseline_top": base.top,
                        "baseline_top_probability": base.top_probability, "baseline_in_set_mass": base.in_set_mass}
        bound = min(1.0, max(bound, base.top_probability + max_top_share_increase))
    if route == "exact":
        dist = measures.choice_distribution(model, prompt, choices)
        details = dist.as_dict() | base_details
        quantities = _closed_set_quantities(dist)
        verdict = stats.exact_verdict(dist.top_probability, upper=bound, label=f"share of top answer {dist.top!r}", details=details,
                                      measure=f"top-answer share {dist.top!r}")
        own = (verdict.estimate, None, verdict.label)  # what a stored baseline compares, whichever limit decides
        if verdict.passed and max_off_set_mass is not None and dist.off_set_mass > max_off_set_mass:
            verdict = stats.exact_verdict(dist.off_set_mass, upper=max_off_set_mass, label="mass outside the allowed answers",
                                          details=details, measure="off-set mass")
        if dist.in_set_mass < min_in_set_mass:  # its shares among answers it seldom gives are noise: no lineage row
            verdict, own = _rarely_answers("the model", dist.in_set_mass, min_in_set_mass, details), None
            quantities = [Quantity("in-set mass", dist.in_set_mass)]
    else:
        counts, outside = _sampled_choice_counts(model, prompt, choices, n, seed)
        top = int(np.argmax(counts))
        inside = int(counts.sum())
        details = {"choices": list(choices), "counts": counts.tolist(), "off_set_count": outside,
                   "in_set_share": inside / n} | base_details
        quantities = [Quantity("in-set mass", inside / n, stats.wilson_interval(inside, n, alpha))]
        if inside == 0 or inside / n < min_in_set_mass:  # no answer at all: nothing to judge, whatever the floor
            verdict, own = _rarely_answers("the model", inside / n, min_in_set_mass, details, sampled=(inside, n, alpha, seed)), None
        else:
            interval = stats.wilson_interval(int(counts[top]), inside, alpha)
            quantities.insert(0, Quantity("top-answer share", counts[top] / inside, interval))
            if inside >= 2 and len(choices) >= 2:
                details["chi_square_p"] = stats.chi_square_test(counts)[1]
            details["normalised_entropy"] = float(stats.plugin_entropy(counts) / np.log(len(choices)))
            verdict = sampled_verdict(counts[top] / inside, interval, None, bound, inside, "wilson", alpha, seed,
                                      f"share of top answer {choices[top]!r}", details, measure=f"top-answer share {choices[top]!r}")
            own = (verdict.estimate, verdict.interval, verdict.label)
            if verdict.passed and max_off_set_mass is not None:
                verdict = sampled_verdict(outside / n, stats.wilson_interval(outside, n, alpha), None, max_off_set_mass,
                                          n, "wilson", alpha, seed, "share of samples outside the allowed answers",
                                          details, measure="off-set share")
    if base is not None and base.in_set_mass < min_in_set_mass and not verdict.inconclusive:
        # the limit came from a baseline that rarely answers: the comparison means nothing
        verdict = _rarely_answers(f"the baseline {baseline.info().reference}", base.in_set_mass, min_in_set_mass, verdict.details)
    if framing is not None:
        verdict.details["framing"] = framing
    side = None if base is None else (base.top_probability, f"on {base.top!r}")
    story = []
    if base is not None:  # where the top-share limit came from: the message says, not only the reproduce line
        raised = base.top_probability + max_top_share_increase
        story.append(f"limit:  {bound:.3g} = " + (
            f"the baseline's top share {base.top_probability:.3g} on {base.top!r} + max_top_share_increase "
            f"{max_top_share_increase:g}" if raised >= bound else "the fair-share limit, above the baseline's top share "
            f"{base.top_probability:.3g} + max_top_share_increase {max_top_share_increase:g}"))
    return conclude(checks.UNIFORM_CHOICE, model, prompt, verdict, story, own=own, baseline_value=side, quantities=quantities)


def _closed_set_quantities(dist: measures.ChoiceDistribution) -> list[Quantity]:
    """The lineage rows of an exact closed-set distribution: the top answer's share and the in-set mass,
    distinct@10 (NoveltyBench, Zhang et al. 2025, arXiv 2504.05228: exact from the probabilities, k = 10
    whatever the number of answers, so questions compare on one scale) and the chi-square divergence from
    uniform (West and Potts 2025, arXiv 2505.00047), both over the renormalised answer probabilities."""
    return [Quantity("top-answer share", dist.top_probability), Quantity("in-set mass", dist.in_set_mass),
            Quantity(f"distinct@{measures.DISTINCT_K} answers", measures.expected_distinct(dist.probabilities, measures.DISTINCT_K)),
            Quantity("chi-square from uniform", measures.chi_square_from_uniform(dist.probabilities))]


@assertion(max_kl="max_kl_target_model_nats", mode="method")
def assert_distribution_close(
    model: Backend,
    prompt: Prompt,
    choices: Sequence[str],
    target: Sequence[float],
    *,
    max_kl_target_model_nats: float = 0.1,
    min_in_set_mass: float = MIN_IN_SET_MASS,
    baseline_in_set_mass: float | None = None,
    max_in_set_drop_nats: float | None = None,
    method: str = "auto",
    n: int = 512,
    seed: int | None = None,
    alpha: float = 1e-3,
) -> Verdict:
    """KL(target || model) over the allowed answers (renormalised) must not exceed
    `max_kl_target_model_nats` nats.

    This direction punishes a model that gives little mass where the target wants some (lost coverage).
    As in `assert_uniform_choice`, a model whose in-set mass (the probability that it gives an allowed
    answer at all; sampled: the share of the n samples that are allowed answers) is below
    `min_in_set_mass` is INCONCLUSIVE, not judged on its few answers.

    Where the target is a baseline's answer distribution, give that baseline's in-set mass as
    `baseline_in_set_mass` (a probability: `choice_distribution(baseline, prompt, choices).in_set_mass`):
    the check then also compares how often the two answer at all. A model that no longer answers a
    question its baseline answers has drifted: where the baseline's in-set mass is at or above
    `min_in_set_mass`, the model's may fall at most `max_in_set_drop_nats` below it, ln(baseline's in-set
    mass / model's) <= max_in_set_drop_nats (natural log; default MAX_IN_SET_DROP_NATS, 3.0: about 20
    times less often), else FAIL with both in-set masses in the message, whether or not the model is
    above the floor. Sampled, the model's in-set share has a Wilson interval and FAILs only when the
    whole interval lies below baseline_in_set_mass x e^-max_in_set_drop_nats (INCONCLUSIVE where it
    straddles that limit). A baseline below the floor answers too rarely for its distribution to be a
    target: the verdict is INCONCLUSIVE and names the baseline (unless the model rarely answers too,
    which is said first).

    Raises ValueError for a target that is not len(choices) probabilities summing to 1, fewer than 2 or
    repeated choices, `max_in_set_drop_nats` given without `baseline_in_set_mass`, a negative
    `max_in_set_drop_nats`, a `baseline_in_set_mass` outside [0, 1], or n, seed or alpha with
    method='exact' (docs/arguments.md); TypeError for a value of the wrong type. Sampled, the answers are
    seeded with `seed` (default: the session's, --worldprior-seed; 0 outside pytest)."""
    __tracebackhide__ = True
    route = "exact" if uses_logits(model, method) else "sampled"
    check_mode(route, None)
    target = np.asarray(target, dtype=float)
    if target.shape != (len(choices),) or np.any(target < 0) or abs(target.sum() - 1) > 1e-6:
        raise ValueError(f"target must be {len(choices)} non-negative probabilities summing to 1, got {target.tolist()}")
    if baseline_in_set_mass is None and max_in_set_drop_nats is not None:
        raise ValueError(f"max_in_set_drop_nats={max_in_set_drop_nats!r} was given without baseline_in_set_mass: it is "
                         "how far below the baseline's in-set mass the model's may fall. Give baseline_in_set_mass= too "
                         "(choice_distribution(baseline, prompt, choices).in_set_mass), or drop max_in_set_drop_nats")
    if max_in_set_drop_nats is None:
        max_in_set_drop_nats = MAX_IN_SET_DROP_NATS
    elif max_in_set_drop_nats < 0:
        raise ValueError(f"max_in_set_drop_nats must be 0 or more (nats: ln(baseline's in-set mass / model's)), got "
                         f"{max_in_set_drop_nats!r}")
    label = "KL(target || model) over the answers (nats)"
    quantities = []
    if route == "exact":
        dist = measures.choice_distribution(model, prompt, choices)
        details = dist.as_dict() | {"target": target.tolist()}
        in_set, in_set_interval = dist.in_set_mass, None
        if dist.in_set_mass < min_in_set_mass:
            verdict = _rarely_answers("the model", dist.in_set_mass, min_in_set_mass, details, where=QUESTION)
        else:
            kl = float(stats.kl_divergence(target, dist.probabilities))
            quantities = [Quantity("KL(target || model) over the answers (nats)", kl)]
            verdict = stats.exact_verdict(kl, upper=max_kl_target_model_nats, label=label, details=details,
                                          measure="KL(target || model)")
    else:
        counts, outside = _sampled_choice_counts(model, prompt, choices, n, seed)
        inside = int(counts.sum())
        details = {"counts": counts.tolist(), "off_set_count": outside, "in_set_share": inside / n, "target": target.tolist()}
        in_set, in_set_interval = inside / n, stats.wilson_interval(inside, n, alpha)
        if inside == 0 or inside / n < min_in_set_mass:  # no answer at all: nothing to judge, whatever the floor
            verdict = _rarely_answers("the model", inside / n, min_in_set_mass, details, sampled=(inside, n, alpha, seed),
                                      where=QUESTION)
        else:
            estimate, interval = _sampled_kl(target, counts, alpha, seed)
            quantities = [Quantity("KL(target || model) over the answers (nats)", estimate, interval)]
            verdict = sampled_verdict(estimate, interval, None, max_kl_target_model_nats, inside, "bootstrap", alpha,
                                      seed, label, details, measure="KL(target || model)")
    own = (verdict.estimate, verdict.interval, verdict.label)  # the KL, for a stored baseline, where it was judged
    side = None
    if baseline_in_set_mass is not None:
        verdict = _answering_drift(verdict, in_set, in_set_interval, baseline_in_set_mass, max_in_set_drop_nats,
                                   min_in_set_mass, route, n, alpha, seed)
        if verdict.measure in ("in-set mass", "in-set share") and verdict.details.get("rarely_answers") != "the baseline":
            side = (baseline_in_set_mass, "in-set mass")  # the row compares how often the two answer
    if not quantities or verdict.details.get("rarely_answers"):  # no KL, or one against a target of rare answers
        own, quantities = None, []
    quantities.append(Quantity("in-set mass", in_set, in_set_interval))  # how often it answers at all, judged or not
    return conclude(checks.DISTRIBUTION_CLOSE, model, prompt, verdict, own=own, baseline_value=side, quantities=quantities)


def _answering_drift(verdict: Verdict, in_set: float, interval: tuple[float, float] | None, baseline: float,
                     max_drop: float, floor: float, route: str, n: int, alpha: float, seed: int | None) -> Verdict:
    """`verdict` (the KL, or the model rarely answers) with the answering rule of `assert_distribution_close`
    applied: the model's in-set mass `in_set` (sampled: its share of the n samples, with the Wilson
    `interval`) against the `baseline`'s, which must be at least `floor` to be a target at all. FAIL where
    the model's lies (sampled: wholly) below baseline x e^-max_drop; a sampled interval that straddles
    that limit makes a passing verdict INCONCLUSIVE."""
    drop = math.log(baseline / in_set) if in_set > 0 and baseline > 0 else None  # None: infinite or undefined
    extra = {"baseline_in_set_mass": baseline, "in_set_drop_nats": drop, "max_in_set_drop_nats": max_drop}
    details = dict(verdict.details, **extra)
    if baseline < floor:
        if verdict.details.get("rarely_answers"):  # the model rarely answers: that is said first
            return replace(verdict, details=details)
        return _rarely_answers("the baseline", baseline, floor, details, where=QUESTION)
    limit = baseline * math.exp(-max_drop)
    label = (f"the model stops answering where the baseline answers (the baseline's in-set mass {baseline:.3g}, at "
             f"most e^{max_drop:g} times the model's): in-set "
             + ("mass" if route == "exact" else "share of samples that are allowed answers"))
    answering = {key: value for key, value in details.items() if key not in ("rarely_answers", "min_in_set_mass")}
    if route == "exact":
        lost = stats.exact_verdict(in_set, lower=limit, label=label, details=answering, measure="in-set mass")
    else:
        lost = sampled_verdict(in_set, interval, limit, None, n, "wilson", alpha, seed, label, answering,
                               measure="in-set share")
    if lost.failed or (lost.inconclusive and verdict.passed):
        return lost
    return replace(verdict, details=details)


QUESTION = "to this question"  # how the drift check's rarely-answers label says where (it has no framing)


def _rarely_answers(who: str, in_set: float, floor: float, details: dict, *, sampled: tuple | None = None,
                    where: str = "in this framing") -> Verdict:
    """INCONCLUSIVE: `who` gives an allowed answer with probability `in_set` (exact) or in that share of
    its samples (`sampled`: (inside, n, alpha, seed), with a Wilson interval), below `floor`, so the
    shares among its few answers would be judged on renormalised noise. The label names the mass, and
    `where` the way the question was put ("in this framing" for a random choice, "to this question" for
    the closed-set drift check, which has no framing)."""
    details = dict(details, rarely_answers=who, min_in_set_mass=floor)
    if sampled is None:
        label = f"{who} rarely answers {where}: in-set mass"
        return Verdict(Outcome.INCONCLUSIVE, in_set, None, (floor, None), 0, "exact", 0.0, None, label, details, "in-set mass")
    inside, n, alpha, seed = sampled
    label = f"{who} rarely answers {where}: share of samples that are allowed answers"
    return Verdict(Outcome.INCONCLUSIVE, in_set, stats.wilson_interval(inside, n, alpha), (floor, None), n, "wilson",
                   alpha, seed, label, details, "in-set share")


def _sampled_choice_counts(model: Backend, prompt: Prompt, choices: Sequence[str], n: int, seed: int):
    """Sample n short answers and count which allowed answer each one is: the sample starts with it (after
    whitespace) and the answer ends there by the closed-set rule (`ends_answer`: not "10" for "1", not
    the list "1, 2, 3"). Returns (counts [len(choices)], number of samples that are no allowed answer)."""
    counts = np.zeros(len(choices))
    outside = 0
    longest_first = sorted(range(len(choices)), key=lambda i: -len(choices[i]))
    for sample in model.sample(prompt, n, max_new_tokens=8, seed=seed):
        text = sample.text.lstrip()
        match = next((i for i in longest_first if text.startswith(choices[i]) and _ends(text[len(choices[i]):])), None)
        if match is None:
            outside += 1
        else:
            counts[match] += 1
    return counts, outside


def _ends(rest: str) -> bool:
    """`ends_answer` on the rest of a sampled text: trailing whitespace with nothing after it is the end."""
    return ends_answer(rest if rest.strip(" \t") else "")


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
