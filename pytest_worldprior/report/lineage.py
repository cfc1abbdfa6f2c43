"""The lineage view (--worldprior-lineage A,B,C): checkpoints of one model side by side, one row per measure.

Every checkpoint runs the suite as the model under test against the first checkpoint, so each row takes
the checked model's own quantity from its verdict records: one column per checkpoint, an interval where
the quantity was sampled, and the direction of each step (A->B, B->C). A direction is "up" or "down" only
when it is visible: values that differ by more than `EXACT_TOLERANCE` and, where sampled, whose
intervals do not overlap; otherwise "=" (within the tolerance) or "~" (the intervals overlap).
The gate verdicts, not these arrows, are the tests: each later checkpoint is compared with the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from tabulate import tabulate

from .. import checks
from . import phenomena
from .terminal import ordered

EXACT_TOLERANCE = 0.005  # shown with three decimals; smaller changes are rounding, not a direction
ARROWS = {"up": "↑", "down": "↓", "same": "=", "unresolved": "~"}


def measures(record: dict) -> list[tuple[str, float | None, list | None]]:
    """(measure, value, interval or None) of the checked model's own quantities in one verdict record, in
    the order its check kind declares them (checks.KINDS rows): what the assertion measured and recorded
    as `quantities` (checks.Quantity), read here, never recomputed. Units are in the names (nats, T,
    shares and masses as probabilities, distinct@10 as a number of answer classes, chi-square and γ
    dimensionless); each assertion's docstring gives the quantity's source."""
    found = sorted(record.get("quantities") or [], key=lambda q: checks.row_order(record["check"], q["name"]))
    return [(q["name"], q["value"], q["interval"]) for q in found]


def _case(test: str | None, checkpoints: Sequence[str]) -> str:
    """A short name for the measured case: the test's parameter id without the checkpoint and the role."""
    test = test or ""
    name = test.split("::")[-1]
    match = re.search(r"\[(.*)\]$", name)
    case = match.group(1) if match else name
    for checkpoint in sorted(checkpoints, key=len, reverse=True):
        if case == checkpoint:
            case = ""
            break
        if case.startswith(checkpoint + "-"):
            case = case[len(checkpoint) + 1:]
            break
        if case.endswith("-" + checkpoint):
            case = case[: -len(checkpoint) - 1]
            break
    case = re.sub(r"^(candidate|baseline)-", "", case)
    return case or re.sub(r"\[.*$", "", name).removeprefix("test_")


def recorded_name(checkpoint: str) -> str:
    """How verdict records name a checkpoint: a path as its resolved absolute path (as the loader does),
    anything else (a short name, a server reference) as given."""
    path = Path(checkpoint).expanduser()
    return str(path.resolve()) if path.exists() else checkpoint


def rows(records: Iterable[dict], checkpoints: Sequence[str]) -> list[dict]:
    """One dict per measured case and measure: phenomenon, measure, case, check, prompt, `values` (one
    {"checkpoint", "estimate", "interval"} per checkpoint as given, estimate None where it was not measured)
    and `changes` (one {"from", "to", "direction"} per consecutive pair)."""
    table: dict[tuple, dict] = {}
    given = {recorded_name(c): c for c in checkpoints}
    for record in ordered(records):
        if record["model"] not in given:
            continue
        for measure, value, interval in measures(record):
            key = (record["check"], measure, record["prompt"])
            row = table.setdefault(key, {
                "phenomenon": phenomena.phenomenon(record["check"]), "measure": measure,
                "case": _case(record["test"], checkpoints), "check": record["check"],
                "prompt": record["prompt"], "values": {}})
            row["values"].setdefault(given[record["model"]], {"estimate": value, "interval": interval})
    result = []
    for row in table.values():
        values = [{"checkpoint": c, **row["values"].get(c, {"estimate": None, "interval": None})} for c in checkpoints]
        ratio = row["measure"] in checks.RATIO_ROWS
        changes = [{"from": a["checkpoint"], "to": b["checkpoint"], "direction": direction(a, b, ratio=ratio)}
                   for a, b in zip(values, values[1:])]
        result.append({**row, "values": values, "changes": changes})
    measure_order = {measure: i for i, measure in enumerate(dict.fromkeys(r["measure"] for r in result))}
    # Stable: within a phenomenon, by the declared rows (checks.KINDS), and within a measure the cases keep
    # the order of the tests.
    return sorted(result, key=lambda r: (phenomena.order(r["phenomenon"]), checks.row_order(r["check"], r["measure"]),
                                         measure_order[r["measure"]]))


def direction(a: dict, b: dict, *, ratio: bool = False) -> str | None:
    """'up', 'down', 'same' (within EXACT_TOLERANCE), 'unresolved' (intervals overlap) or None. With
    `ratio` (a row of checks.RATIO_ROWS, such as a mass) the tolerance is relative: 'same' within a factor
    1 + EXACT_TOLERANCE, so 0.0014 -> 0.0003 is 'down' however small both are."""
    if a["estimate"] is None or b["estimate"] is None:
        return None
    low_a, high_a = a["interval"] or (a["estimate"], a["estimate"])
    low_b, high_b = b["interval"] or (b["estimate"], b["estimate"])
    gap = abs(b["estimate"] - a["estimate"])
    if gap <= (EXACT_TOLERANCE * max(abs(a["estimate"]), abs(b["estimate"])) if ratio else EXACT_TOLERANCE):
        return "same"  # below what the table shows, sampled or not (a zero-width interval included)
    if a["interval"] is None and b["interval"] is None:
        return "up" if b["estimate"] > a["estimate"] else "down"
    if None in (low_a, high_a, low_b, high_b):
        return "unresolved"
    if low_b > high_a:
        return "up"
    if high_b < low_a:
        return "down"
    return "unresolved"


def _cell(value: dict, ratio: bool = False) -> str:
    """A value as the table shows it: three decimals; a small value of a ratio row (a mass of 1e-3 or less)
    with two significant digits, so that its change is seen, as its arrow says."""
    estimate, interval = value["estimate"], value["interval"]
    if estimate is None:
        return "-"
    text = f"{estimate:.2g}" if ratio and estimate != 0 and abs(estimate) < 0.01 else f"{estimate:.3f}"
    if interval is not None:
        low, high = (f"{x:.2f}" if x is not None else "?" for x in interval)
        text += f" [{low}, {high}]"
    return text


def table(lineage_rows: list[dict], checkpoints: Sequence[str]) -> str:
    """The lineage table as text, one block per phenomenon: measure, case, one column per checkpoint, and
    the arrows of the steps between them."""
    blocks = []
    for phenomenon in dict.fromkeys(row["phenomenon"] for row in lineage_rows):
        body = [[row["measure"], row["case"], *(_cell(v, row["measure"] in checks.RATIO_ROWS) for v in row["values"]),
                 " ".join(ARROWS.get(c["direction"], " ") for c in row["changes"])]
                for row in lineage_rows if row["phenomenon"] == phenomenon]
        headers = [phenomenon, "case", *checkpoints, "change"]
        blocks.append(tabulate(body, headers=headers, tablefmt="simple", disable_numparse=True))
    legend = (f"change per step ({' -> '.join(checkpoints)}): ↑ up, ↓ down, = same (within {EXACT_TOLERANCE}; a mass "
              f"within a factor {1 + EXACT_TOLERANCE:g}), ~ intervals overlap; - not measured (a row that rarely answers "
              "keeps only its in-set mass)")
    return "\n\n".join(blocks + [legend])
