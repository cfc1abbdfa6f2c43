"""Temperature insensitivity: entropy must grow with the sampling temperature."""

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
    sequential_verdict,
    uses_logits,
)


@assertion(min_gain="min_gain_nats", mode="method")
def assert_temperature_sensitive(
    model: Backend,
    prompt: Prompt,
    *,
    temperatures: Sequence[float] = (0.7, 1.0, 1.5),
    min_gain_nats: float = 0.1,
    baseline: Backend | None = None,
    max_matching_temperature: float | None = None,
    method: str = "auto",
    n: int = 4096,
    seed: int | None = None,
    alpha: float = 1e-3,
) -> Verdict:
    """Entropy must grow from the lowest to the highest temperature by at least `min_gain_nats` nats.

    With a baseline, also: the temperature at which this model reaches the baseline's entropy at T=1 must
    not exceed `max_matching_temperature` (default: the highest temperature given). The gain alone misleads:
    a collapsed model can gain more entropy than its base and still need a far higher temperature to match it.
    Beside the matching temperature the details report the sharpening exponent gamma (p_model ∝ p_baseline^gamma,
    measures.sharpening_exponent) and its implied temperature 1/gamma, where both models share a tokenizer;
    if the power law holds, gamma equals the matching temperature.
    method='sampled' tests the gain only, sequentially, with at most `n` sample pairs (seeded with `seed`,
    by default the session's: --worldprior-seed, 0 outside pytest); a baseline is then refused, as are
    n and seed with method='exact' (docs/arguments.md). Raises ValueError for a model or baseline
    that gives no logits."""
    __tracebackhide__ = True
    temps = sorted(float(t) for t in temperatures)
    label = f"entropy gain T={temps[0]:g}->{temps[-1]:g} (nats)"
    for who, side in (("", model), ("the baseline ", baseline)):
        if side is not None and not side.gives_logits:
            raise ValueError(f"{who}{side.info().reference} gives text only: the temperature check needs the "
                             "probability of each sampled token under the sampling temperature, which this backend "
                             "does not return")
    route = "exact" if uses_logits(model, method) else "sampled"
    check_mode(route, baseline)
    if route == "sampled":
        # Pairs of fresh samples at the lowest and highest temperature; their surprisal difference has mean
        # H(T_high) - H(T_low), so the sequential rule applies to the gain directly.
        low, high = (measures.surprisal_draws(model, prompt, temperature=t, seed=seed) for t in (temps[0], temps[-1]))
        verdict = sequential_verdict(lambda k: high(k) - low(k), min_gain_nats, None, n, alpha, seed, label,
                                     measure="entropy gain (nats)")
        return conclude(checks.TEMPERATURE, model, prompt, verdict,
                        quantities=[Quantity("entropy gain over T (nats)", verdict.estimate, verdict.interval)])
    curve = measures.entropy_curve(model, prompt, temps)
    details = {"temperatures": temps, "entropy": curve.tolist()}
    gain = float(curve[-1] - curve[0])
    verdict = stats.exact_verdict(gain, lower=min_gain_nats, label=label, details=details, measure="entropy gain (nats)")
    if baseline is not None and verdict.passed:
        bound = max_matching_temperature if max_matching_temperature is not None else temps[-1]
        target = float(measures.next_token_entropy(baseline, [prompt], 1.0)[0])
        details["baseline_entropy_curve"] = measures.entropy_curve(baseline, prompt, temps).tolist()
        needed = measures.matching_temperature(model.next_token_logprobs([prompt])[0], target, t_max=max(10.0, 2 * bound))
        details.update(baseline_entropy_at_1=target, matching_temperature=needed, baseline=baseline.info().reference)
        details.update(_sharpening(model, baseline, prompt, alpha))
        label = "temperature needed to match the baseline's entropy at T=1"
        verdict = stats.exact_verdict(needed if needed is not None else float("inf"), upper=bound, label=label, details=details,
                                      measure="matching temperature")
    side = (details["baseline_entropy_at_1"], "nats at T=1") if "baseline_entropy_at_1" in details else None
    return conclude(checks.TEMPERATURE, model, prompt, verdict, own=(gain, None, f"entropy gain T={temps[0]:g}->{temps[-1]:g} (nats)"),
                    baseline_value=side, quantities=_quantities(gain, details))


def _quantities(gain: float, details: dict) -> list[Quantity]:
    """The lineage rows: the gain, and where a baseline was compared the matching temperature, the
    sharpening exponent γ and the implied temperature 1/γ (with γ's regression interval turned round)."""
    rows = [Quantity("entropy gain over T (nats)", gain)]
    if "matching_temperature" in details:
        rows.append(Quantity("matching temperature", details["matching_temperature"]))
    if details.get("sharpening_exponent") is not None:
        interval = details.get("sharpening_interval")
        rows.append(Quantity("sharpening exponent γ", details["sharpening_exponent"], tuple(interval) if interval else None))
        rows.append(Quantity("implied temperature 1/γ", details.get("sharpening_temperature"), _reciprocal(interval)))
    return rows


def _reciprocal(interval: list | None) -> tuple | None:
    """1/γ's interval from γ's: (1/high, 1/low) when γ's is positive; open above ((1/high, None)) when it
    reaches 0 or below, where 1/γ is unbounded; None without an interval."""
    if not interval or None in interval:
        return None
    low, high = interval
    return (1.0 / high if high > 0 else None, 1.0 / low if low > 0 else None)


def _sharpening(model: Backend, baseline: Backend | Recorded, prompt: Prompt, alpha: float) -> dict:
    """sharpening_exponent, sharpening_temperature (1/gamma) and the fit's interval and r^2 for the details;
    nothing where gamma is undefined: a baseline that gives no full distributions now (the stored one: its
    measurements, not a model) or another tokenizer."""
    if isinstance(baseline, Recorded) or model.vocabulary_sha256() != baseline.vocabulary_sha256():
        return {}
    found = measures.sharpening_exponent(model, baseline, [prompt], alpha=alpha)
    return {"sharpening_exponent": found.gamma, "sharpening_temperature": found.temperature,
            "sharpening_interval": list(found.interval), "sharpening_r_squared": found.r_squared,
            "sharpening_top_k": found.top_k}
