"""The kinds of check, each declared once: its name (the `check` of a verdict record), the phenomenon it
belongs to, whether --worldprior-fail-on can gate it against a stored baseline, the unit of the
model's own value (what a stored baseline keeps and a gate compares), and the rows it gives the lineage
table: the checked model's own quantities, which the assertion measures and records (`Quantity`) and the
lineage view only lays out.

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
    rows: tuple[str, ...]  # the lineage table's rows, in order: the names of the Quantity values it records
    gated: bool = True  # --worldprior-fail-on NAME:LIMIT compares it with a stored baseline


@dataclass(frozen=True)
class Quantity:
    """One of the checked model's own quantities, as the lineage table shows it: `name` is one of its
    kind's `rows` (the unit is in the name), `value` the quantity (None: not measured), `interval` its
    (low, high) bounds where it was sampled or bounded (an end None where unbounded), None where exact."""

    name: str
    value: float | None
    interval: tuple[float | None, float | None] | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "interval": None if self.interval is None else list(self.interval)}


# The kinds' names, for the code that handles one kind (an assertion concluding it, a report section):
ENTROPY, SEQUENCE_ENTROPY, MODE_SHARE, TEMPERATURE = "entropy", "sequence_entropy", "mode_share", "temperature"
UNIFORM_CHOICE, DISTRIBUTION_CLOSE, PRIOR_SHIFT, ATTRACTOR = "uniform_choice", "distribution_close", "prior_shift", "attractor"

KINDS = {kind.name: kind for kind in (
    CheckKind(ENTROPY, "Mode collapse", "nats", ("next-token entropy (nats)",)),
    CheckKind(SEQUENCE_ENTROPY, "Mode collapse", "nats", ("continuation entropy (nats)",)),
    CheckKind(MODE_SHARE, "Mode collapse", "share", ("commonest-opening share", "distinct@10 openings")),
    CheckKind(TEMPERATURE, "Temperature insensitivity", "nats",
              ("entropy gain over T (nats)", "matching temperature", "sharpening exponent γ", "implied temperature 1/γ")),
    CheckKind(UNIFORM_CHOICE, "Biased randomness", "share",
              ("top-answer share", "in-set mass", "distinct@10 answers", "chi-square from uniform")),
    CheckKind(DISTRIBUTION_CLOSE, "Prior shift", "nats", ("KL(target || model) over the answers (nats)", "in-set mass")),
    # prior_shift's gate is prior_kl, on every check's next-token distribution
    CheckKind(PRIOR_SHIFT, "Prior shift", "nats", ("prior KL(model || first) (nats)", "shifted-token share"), gated=False),
    CheckKind(ATTRACTOR, "Attractor states", "share",
              ("snap-back share", "return probability (from logits)", "influence, mean total (nats)")),
)}
# Lineage rows that span orders of magnitude (a mass that falls from 1e-3 to 1e-4 has changed tenfold):
# compared between checkpoints by ratio, and shown with significant digits, not decimals.
RATIO_ROWS = frozenset({"in-set mass"})
PRIOR_KL = "prior_kl"  # the gate on a check's next-token distribution against the stored one (nats), not a kind


def phenomenon(check: str) -> str:
    """The phenomenon of a verdict record's `check` (e.g. "uniform_choice" -> "Biased randomness"); OTHER
    for a kind not declared in KINDS."""
    kind = KINDS.get(check)
    return kind.phenomenon if kind is not None else OTHER


def gate_names() -> tuple[str, ...]:
    """What --worldprior-fail-on may name: every gated kind, then prior_kl."""
    return tuple(name for name, kind in KINDS.items() if kind.gated) + (PRIOR_KL,)


def row_order(check: str, name: str) -> tuple[int, int]:
    """Where a quantity's row goes in the lineage table: its kind's place in KINDS, then the row's place
    in the kind's `rows`; a kind or row not declared goes last."""
    kinds = list(KINDS)
    kind = KINDS.get(check)
    if kind is None:
        return (len(kinds), 0)
    return (kinds.index(check), kind.rows.index(name) if name in kind.rows else len(kind.rows))


def check_quantities(check: str, quantities) -> list[dict]:
    """The quantities of a `check` as a record keeps them (Quantity.as_dict). Raises ValueError for a
    name that the declared kind does not list in its `rows` (a user's own kind may record any)."""
    kind = KINDS.get(check)
    for quantity in quantities:
        if kind is not None and quantity.name not in kind.rows:
            raise ValueError(f"{quantity.name!r} is not a lineage row of the check kind {check!r}: declare it in "
                             f"checks.KINDS (its rows are {list(kind.rows)})")
    return [quantity.as_dict() for quantity in quantities]
