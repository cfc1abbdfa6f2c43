"""The compact gate syntax for comparing a run with stored baselines, in the spirit of
pytest-benchmark's --benchmark-compare-fail: `CHECK:LIMIT` items such as `entropy:-10%` or `prior_kl:0.05`.

- A signed limit allows a change in that direction only, up to its size: `entropy:-10%` lets the
  entropy fall by at most 10 % of the stored value (and rise freely); `mode_share:+0.1` lets the share
  rise by at most 0.1.
- An unsigned limit bounds the change either way: `temperature:0.2`.
- `prior_kl:X` bounds KL(candidate || stored) over the stored next-token distributions, in nats.
- `none` drops every gate named before it.

A comparison uses both intervals: PASS when every change the intervals allow is within the gate, FAIL
when none is; in between, PASS when the estimated change is within the gate and INCONCLUSIVE when it is
not (exact values have no width). For prior_kl the stored side is 0 and the new one the KL's certain
interval from `measures.topk.kl_to_stored`: PASS only when its upper end is within the gate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import WorldpriorError
from ..checks import gate_names
from ..stats.outcome import Outcome

#: The check names assertions record (the report's "check" column) whose own value a stored baseline
#: keeps, plus the stored-distribution KL. (prior_shift compares two models and has no value of its own.)
CHECKS = gate_names()  # the gated check kinds (checks.py), then prior_kl
_ITEM = re.compile(r"^(?P<check>[a-z_]+):(?P<sign>[+-]?)(?P<number>\d+(?:\.\d*)?|\.\d+)(?P<percent>%?)$")


class GateSyntaxError(WorldpriorError, ValueError):
    """A --worldprior-fail-on item that cannot be read."""


@dataclass(frozen=True)
class Gate:
    check: str
    limit: float  # size of the allowed change (a fraction of the stored value when relative)
    direction: int  # -1: only falls are limited, +1: only rises, 0: either way
    relative: bool

    def allowed(self, stored: float) -> tuple[float, float]:
        """The range of change (new - stored) this gate accepts."""
        size = self.limit * abs(stored) if self.relative else self.limit
        return (-size if self.direction <= 0 else -math.inf, size if self.direction >= 0 else math.inf)

    def judge(self, stored: float, stored_interval: tuple[float, float] | None,
              new: float, new_interval: tuple[float, float] | None, *, certain: bool = False) -> Outcome:
        """Judge new against stored. The change's interval combines the two intervals' sides in
        quadrature (each may be lopsided, as the stored-KL bound is); exact values have no width.

        FAIL when the whole interval lies beyond the gate, PASS when it lies within. In between, a gate is
        a regression alarm: a confidence interval whose estimate is within the gate passes (noise is no
        regression), one whose estimate is beyond it is INCONCLUSIVE. A `certain` interval (the stored-KL
        bound: the truth is inside for sure, the estimate is only its lowest value) is INCONCLUSIVE in
        between."""
        stored_down, stored_up = _sides(stored, stored_interval)
        new_down, new_up = _sides(new, new_interval)
        change = new - stored
        change_low, change_high = change - math.hypot(new_down, stored_up), change + math.hypot(new_up, stored_down)
        low, high = self.allowed(stored)
        if low <= change_low and change_high <= high:
            return Outcome.PASS
        if change_high < low or change_low > high:
            return Outcome.FAIL
        return Outcome.PASS if not certain and low <= change <= high else Outcome.INCONCLUSIVE

    def __str__(self) -> str:
        sign = "" if self.check == "prior_kl" else {-1: "-", 0: "", 1: "+"}[self.direction]
        return f"{self.check}:{sign}{self.limit * 100:g}%" if self.relative else f"{self.check}:{sign}{self.limit:g}"


#: What a run compared with stored baselines checks when --worldprior-fail-on is not given. Each limit is
#: far outside what a model compared with its own recording moves (0: same seeds, same numbers) and
#: inside what the toy collapsed model does to the toy base model (tests/test_stored_baselines.py).
DEFAULT_FAIL_ON = ("entropy:-25% sequence_entropy:-25% mode_share:+0.2 uniform_choice:+0.2 temperature:-50% "
                   "distribution_close:+0.2 attractor:+0.2 prior_kl:0.5")


def parse_gates(items: Iterable[str]) -> dict[str, Gate]:
    """Read `CHECK:LIMIT` items (space- or comma-separated within an item too); the last one for a check wins."""
    gates: dict[str, Gate] = {}
    for item in (part for text in items for part in re.split(r"[\s,]+", text.strip()) if part):
        if item == "none":  # --worldprior-fail-on none: compare nothing (a missing entry is still reported)
            gates.clear()
            continue
        gate = _parse(item, "--worldprior-fail-on item")
        if gate.check not in CHECKS:
            raise GateSyntaxError(f"--worldprior-fail-on item {item!r}: unknown check {gate.check!r}; known: {', '.join(CHECKS)}")
        gates[gate.check] = gate
    return gates


def parse_limit(name: str, limit: str) -> Gate:
    """A gate for a value a test stores itself: `limit` is the part after the colon, e.g. "-10%"."""
    if not re.fullmatch(r"[a-z_]+", name):
        name = "value"  # the syntax only needs a word here; messages name the value themselves
    return _parse(f"{name}:{limit}", "limit")


def _parse(item: str, what: str) -> Gate:
    match = _ITEM.match(item)
    if not match:
        raise GateSyntaxError(
            f"{what} {item!r} is not CHECK:LIMIT; write for example entropy:-10% "
            "(entropy may fall by at most 10 %) or prior_kl:0.05 (nats)"
        )
    check, relative = match["check"], match["percent"] == "%"
    if check == "prior_kl" and (relative or match["sign"]):
        raise GateSyntaxError(f"{what} {item!r}: prior_kl takes a plain number of nats, e.g. prior_kl:0.05")
    limit = float(match["number"]) / (100 if relative else 1)
    direction = {"-": -1, "+": 1, "": 0}[match["sign"]]
    return Gate(check, limit, +1 if check == "prior_kl" else direction, relative)


def _sides(estimate: float, interval: tuple[float, float] | None) -> tuple[float, float]:
    """How far the interval reaches below and above the estimate."""
    if interval is None:
        return 0.0, 0.0
    low, high = interval
    return max(estimate - low, 0.0), max(high - estimate, 0.0)
