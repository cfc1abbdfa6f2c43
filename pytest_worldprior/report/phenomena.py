"""The five phenomena the suite checks, in report order, and the phenomenon each kind of check belongs to."""

from __future__ import annotations

PHENOMENA = ("Mode collapse", "Temperature insensitivity", "Biased randomness", "Prior shift", "Attractor states")
OTHER = "Other"  # a check kind this table does not know (a user's own recorded check)

_OF_CHECK = {"entropy": "Mode collapse", "sequence_entropy": "Mode collapse", "mode_share": "Mode collapse",
             "temperature": "Temperature insensitivity", "uniform_choice": "Biased randomness",
             "distribution_close": "Prior shift", "prior_shift": "Prior shift", "attractor": "Attractor states"}


def phenomenon(check: str) -> str:
    """The phenomenon of a verdict record's `check` (e.g. "uniform_choice" -> "Biased randomness"); OTHER
    for a kind not in the table."""
    return _OF_CHECK.get(check, OTHER)


def order(name: str) -> int:
    """Sort key: the phenomena in PHENOMENA's order, OTHER (and anything unknown) last."""
    return PHENOMENA.index(name) if name in PHENOMENA else len(PHENOMENA)
