"""The five phenomena the suite checks, in report order, and the phenomenon each kind of check belongs to
(declared with the kinds in checks.py)."""

from __future__ import annotations

from ..checks import OTHER, PHENOMENA, phenomenon

__all__ = ["OTHER", "PHENOMENA", "order", "phenomenon"]


def order(name: str) -> int:
    """Sort key: the phenomena in PHENOMENA's order, OTHER (and anything unknown) last."""
    return PHENOMENA.index(name) if name in PHENOMENA else len(PHENOMENA)
