"""Verdicts: the outcome of a check, the rule that decides it from an interval, and its one-line text.

A sampled check FAILs only when its confidence interval lies wholly outside the allowed range (the
data clearly exclude it), PASSes only when the interval lies wholly inside, and is INCONCLUSIVE
otherwise. A value computed exactly (e.g. from logits) has no interval and is compared directly.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ..jsonsafe import jsonable
from .checks import check_bounds, check_number
from .outcome import Outcome


@dataclass(frozen=True)
class Verdict:
    """The result of one check (frozen).

    `estimate` is the measured value and `interval` its (low, high) confidence interval at level
    1 - `alpha`, in the units of the measure (nats for entropies and divergences); `threshold` is a
    float or (lower, upper) with None for an open side; `n` is the number of samples. For exact
    computations `interval` is None, `n` 0 or None and `method` "exact". `seed` records the seed
    used, `label` names the quantity in `describe`, `details` holds method-specific extras. `measure`
    is the quantity's short name for tables (e.g. "Δ snap-back rate"), set where the verdict is made;
    reports read it, never the label."""

    outcome: Outcome
    estimate: float
    interval: tuple[float, float] | None
    threshold: float | tuple[float | None, float | None]
    n: int | None
    method: str
    alpha: float
    seed: int | None = None
    label: str = "value"
    details: dict = field(default_factory=dict)
    measure: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAIL

    @property
    def inconclusive(self) -> bool:
        return self.outcome is Outcome.INCONCLUSIVE

    def as_dict(self) -> dict:
        """The fields as a dict that json.dumps accepts (via jsonsafe.jsonable: numpy scalars and
        arrays become Python numbers and lists, tuples lists, the outcome its string)."""
        return jsonable(asdict(self))

    def describe(self) -> str:
        """One line, e.g. 'FAIL: mode share 0.92 [0.85, 0.96] > max 0.50 (n=64, wilson, ...)'."""
        digits = _digits(self.estimate, self.threshold)
        text = f"{self.outcome.value}: {self.label} {_fmt(self.estimate, digits)}"
        if self.interval is not None:
            text += f" [{_fmt(self.interval[0], digits)}, {_fmt(self.interval[1], digits)}]"
        text += " " + _describe_threshold(self.threshold, self.outcome, digits)
        exact = self.interval is None
        extra = ([] if exact and not self.n else [f"n={self.n}"]) + [self.method]
        extra += [] if exact else [f"alpha={self.alpha:g}"]
        if self.seed is not None:
            extra.append(f"seed={self.seed}")
        return f"{text} ({', '.join(extra)})"


def _fmt(x: float | None, digits: int = 2) -> str:
    """Two decimals in the usual range, three significant digits outside it; `digits` more where two
    numbers of one line would otherwise print alike."""
    if x is None:
        return "-"
    if digits > 2:
        return f"{x:.{digits + 1}g}"
    return f"{x:.2f}" if 0.01 <= abs(x) < 1000 or x == 0 else f"{x:.3g}"


def _digits(estimate: float, threshold) -> int:
    """The fewest digits (2, 4, then 6) at which the estimate does not print like a different bound, so a
    line never reads '0.08 < min 0.08'."""
    bounds = [b for b in (threshold if isinstance(threshold, tuple) else (threshold,)) if b is not None and b != estimate]
    for digits in (2, 4):
        if all(_fmt(b, digits) != _fmt(estimate, digits) for b in bounds):
            return digits
    return 6


def _describe_threshold(threshold, outcome: Outcome, digits: int = 2) -> str:
    if not isinstance(threshold, tuple):
        return f"vs threshold {_fmt(threshold, digits)}"
    lo, hi = threshold
    ok, bad = outcome is Outcome.PASS, outcome is Outcome.FAIL
    if lo is not None and hi is not None:
        word = "in" if ok else "outside" if bad else "vs"
        return f"{word} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"
    if hi is not None:
        return f"{'<=' if ok else '>' if bad else 'vs'} max {_fmt(hi, digits)}"
    return f"{'>=' if ok else '<' if bad else 'vs'} min {_fmt(lo, digits)}"


def decide(estimate: float, interval: tuple[float, float] | None, *, lower: float | None = None,
           upper: float | None = None, tol: float = 0.0) -> Outcome:
    """Is the value within [lower, upper] (inclusive; None leaves a side open)?

    With an `interval` (low, high): PASS when it lies wholly inside, FAIL when wholly outside (it
    clearly excludes the allowed range), INCONCLUSIVE otherwise; `estimate` is only validated. With
    interval None the estimate is exact: PASS if lower - tol <= estimate <= upper + tol, else FAIL.
    All numbers are scalars in the measure's own units.

    Raises ValueError if estimate, a bound, tol (exact case) or an interval end is NaN or not a
    number, if lower and upper are both None, if lower > upper, or if low > high."""
    est = check_number(estimate, "estimate")
    lo, hi = check_bounds(lower, upper)
    lo = -math.inf if lo is None else lo
    hi = math.inf if hi is None else hi
    if interval is None:
        tol = float(check_number(tol, "tol"))
        return Outcome.PASS if lo - tol <= est <= hi + tol else Outcome.FAIL
    a, b = (check_number(v, "interval") for v in interval)
    if a > b:
        raise ValueError(f"interval must be (low, high) with low <= high, got {interval!r}")
    if lo <= a and b <= hi:
        return Outcome.PASS
    if b < lo or a > hi:
        return Outcome.FAIL
    return Outcome.INCONCLUSIVE


def exact_verdict(value: float, *, lower: float | None = None, upper: float | None = None,
                  tol: float = 0.0, label: str = "value", details: dict | None = None, measure: str = "") -> Verdict:
    """A Verdict for a scalar computed exactly (e.g. from logits): PASS or FAIL as `decide` with no
    interval, method "exact", n 0, alpha 0; `tol` is recorded in details. Raises ValueError as
    `decide` does."""
    outcome = decide(value, None, lower=lower, upper=upper, tol=tol)
    return Verdict(outcome, float(value), None, check_bounds(lower, upper), 0, "exact", 0.0, None, label,
                   dict(details or {}, tol=tol), measure)
