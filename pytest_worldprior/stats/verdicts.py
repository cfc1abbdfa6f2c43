"""Outcome and Verdict, the decision rule, and the one-line description of a verdict."""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field

from ..jsonsafe import jsonable
from .checks import check_bounds, check_number


class Outcome(enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class Verdict:
    """The result of one check. `threshold` is a float or (lower, upper) with None for an open side;
    `interval` is None and `n` 0/None for exact computations."""

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
        """A JSON-serialisable dict (numpy scalars and arrays become floats and lists)."""
        return jsonable(asdict(self))

    def describe(self) -> str:
        """One line, e.g. 'FAIL: mode share 0.92 [0.85, 0.96] > max 0.50 (n=64, wilson, ...)'."""
        text = f"{self.outcome.value}: {self.label} {_fmt(self.estimate)}"
        if self.interval is not None:
            text += f" [{_fmt(self.interval[0])}, {_fmt(self.interval[1])}]"
        text += " " + _describe_threshold(self.threshold, self.outcome)
        exact = self.interval is None
        extra = ([] if exact and not self.n else [f"n={self.n}"]) + [self.method]
        extra += [] if exact else [f"alpha={self.alpha:g}"]
        if self.seed is not None:
            extra.append(f"seed={self.seed}")
        return f"{text} ({', '.join(extra)})"


def _fmt(x: float | None) -> str:
    return "-" if x is None else (f"{x:.2f}" if 0.01 <= abs(x) < 1000 or x == 0 else f"{x:.3g}")


def _describe_threshold(threshold, outcome: Outcome) -> str:
    if not isinstance(threshold, tuple):
        return f"vs threshold {_fmt(threshold)}"
    lo, hi = threshold
    ok, bad = outcome is Outcome.PASS, outcome is Outcome.FAIL
    if lo is not None and hi is not None:
        word = "in" if ok else "outside" if bad else "vs"
        return f"{word} [{_fmt(lo)}, {_fmt(hi)}]"
    if hi is not None:
        return f"{'<=' if ok else '>' if bad else 'vs'} max {_fmt(hi)}"
    return f"{'>=' if ok else '<' if bad else 'vs'} min {_fmt(lo)}"


def decide(estimate: float, interval: tuple[float, float] | None, *, lower: float | None = None,
           upper: float | None = None, tol: float = 0.0) -> Outcome:
    """Is the value within [lower, upper]? PASS when the whole interval is inside, FAIL when the
    whole interval is outside (it clearly excludes the allowed range), INCONCLUSIVE otherwise.
    With interval None the estimate is exact and is compared directly, with slack `tol`."""
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
                  tol: float = 0.0, label: str = "value", details: dict | None = None) -> Verdict:
    """A Verdict for a value computed exactly (e.g. from logits): PASS or FAIL, no interval."""
    outcome = decide(value, None, lower=lower, upper=upper, tol=tol)
    return Verdict(outcome, float(value), None, check_bounds(lower, upper), 0, "exact", 0.0, None, label,
                   dict(details or {}, tol=tol))
