"""The kinds of check, each declared once: its name (the `check` of a verdict record), the phenomenon it
belongs to, whether --worldprior-fail-on can gate it against a stored baseline, and the unit of the
model's own value (what a stored baseline keeps and a gate compares).

Reports, gates and the stored-baseline comparison read kinds from here, never from string literals of
their own. A check kind not declared here (a user's own recorded check) belongs to OTHER.
"""

from __future__ import annotations

from dataclasses import dataclass

PHENOMENA = ("Mode collapse", "Temperature insensitivity", "Biased randomness", "Prior shift", "Attractor states")
OTHER = "Other"  # the phenomenon of a check kind not declared here


@dataclass(frozen=True)
class CheckKind:
    name: str  # the verdict record's `check`, e.g. "uniform_choice"
    phenomenon: str  # one of PHENOMENA
    own_unit: str  # the unit of the model's own value ("nats", "share", ...)
    gated: bool = True  # --worldprior-fail-on NAME:LIMIT compares it with a stored baseline


KINDS = {kind.name: kind for kind in (
    CheckKind("entropy", "Mode collapse", "nats"),
    CheckKind("sequence_entropy", "Mode collapse", "nats"),
    CheckKind("mode_share", "Mode collapse", "share"),
    CheckKind("temperature", "Temperature insensitivity", "nats"),
    CheckKind("uniform_choice", "Biased randomness", "share"),
    CheckKind("distribution_close", "Prior shift", "nats"),
    CheckKind("prior_shift", "Prior shift", "nats", gated=False),  # its gate is prior_kl, on every check's top-k
    CheckKind("attractor", "Attractor states", "share"),
)}
PRIOR_KL = "prior_kl"  # the gate on a check's next-token distribution against the stored one (nats), not a kind


def phenomenon(check: str) -> str:
    """The phenomenon of a verdict record's `check` (e.g. "uniform_choice" -> "Biased randomness"); OTHER
    for a kind not declared in KINDS."""
    kind = KINDS.get(check)
    return kind.phenomenon if kind is not None else OTHER


def gate_names() -> tuple[str, ...]:
    """What --worldprior-fail-on may name: every gated kind, then prior_kl."""
    return tuple(name for name, kind in KINDS.items() if kind.gated) + (PRIOR_KL,)
