"""The compact gate syntax for comparing a run with stored baselines, in the spirit of
pytest-benchmark's --benchmark-compare-fail: `CHECK:LIMIT` items such as `entropy:-10%` or `prior_kl:0.05`.

- A signed limit allows a change in that direction only, up to its size: `entropy:-10%` lets the
  entropy fall by at most 10 % of the stored value (and rise freely); `mode_share:+0.1` lets the share
  rise by at most 0.1.
- An unsigned limit bounds the change either way: `temperature:0.2`.
- `prior_kl:X` bounds KL(candidate || stored) over the stored next-token distributions, in nats.

A comparison uses both intervals: PASS when every change the intervals allow is within the gate, FAIL
when none is, INCONCLUSIVE otherwise (exact values have no width). For prior_kl the stored side is 0
and the new one the KL's certain interval from `baselines.kl_to_stored`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import WorldpriorError
from .stats import Outcome

#: The check names assertions record (the report's "check" column), plus the stored-distribution KL.
CHECKS = ("entropy", "sequence_entropy", "mode_share", "temperature", "uniform_choice", "distribution_close",
          "prior_shift", "attractor", "prior_kl")
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
              new: float, new_interval: tuple[float, float] | None) -> Outcome:
        """Judge new against stored. The change's interval combines the two intervals' sides in
        quadrature (each may be lopsided, as the stored-KL bound is); exact values have no width."""
        stored_down, stored_up = _sides(stored, stored_interval)
        new_down, new_up = _sides(new, new_interval)
        change = new - stored
        change_low, change_high = change - math.hypot(new_down, stored_up), change + math.hypot(new_up, stored_down)
        low, high = self.allowed(stored)
        if low <= change_low and change_high <= high:
            return Outcome.PASS
        if change_high < low or change_low > high:
            return Outcome.FAIL
        return Outcome.INCONCLUSIVE

    def __str__(self) -> str:
        sign = {-1: "-", 0: "", 1: "+"}[self.direction]
        return f"{self.check}:{sign}{self.limit * 100:g}%" if self.relative else f"{self.check}:{sign}{self.limit:g}"


def parse_gates(items: Iterable[str]) -> dict[str, Gate]:
    """Read `CHECK:LIMIT` items (space- or comma-separated within an item too); the last one for a check wins."""
    gates: dict[str, Gate] = {}
    for item in (part for text in items for part in re.split(r"[\s,]+", text.strip()) if part):
        match = _ITEM.match(item)
        if not match:
            raise GateSyntaxError(
                f"--worldprior-fail-on item {item!r} is not CHECK:LIMIT; write for example entropy:-10% "
                "(entropy may fall by at most 10 %) or prior_kl:0.05 (nats)"
            )
        check = match["check"]
        if check not in CHECKS:
            raise GateSyntaxError(f"--worldprior-fail-on item {item!r}: unknown check {check!r}; known: {', '.join(CHECKS)}")
        relative = match["percent"] == "%"
        if check == "prior_kl" and (relative or match["sign"]):
            raise GateSyntaxError(f"--worldprior-fail-on item {item!r}: prior_kl takes a plain number of nats, e.g. prior_kl:0.05")
        limit = float(match["number"]) / (100 if relative else 1)
        direction = {"-": -1, "+": 1, "": 0}[match["sign"]]
        gates[check] = Gate(check, limit, +1 if check == "prior_kl" else direction, relative)
    return gates


def _sides(estimate: float, interval: tuple[float, float] | None) -> tuple[float, float]:
    """How far the interval reaches below and above the estimate."""
    if interval is None:
        return 0.0, 0.0
    low, high = interval
    return max(estimate - low, 0.0), max(high - estimate, 0.0)
