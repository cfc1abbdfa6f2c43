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

from .. import stats
from ..measures.novelty import DISTINCT_K, chi_square_from_uniform, expected_distinct
from . import phenomena
from .terminal import ordered

EXACT_TOLERANCE = 0.005  # shown with three decimals; smaller changes are rounding, not a direction
ARROWS = {"up": "↑", "down": "↓", "same": "=", "unresolved": "~"}


def measures(record: dict) -> list[tuple[str, float | None, list | None]]:
    """(measure, value, interval or None) of the checked model's own quantities in one verdict record.

    Units: entropies and KL in nats, temperatures as T, shares and masses as probabilities, distinct@k as a
    number of answer classes, chi-square and the sharpening exponent γ dimensionless. distinct@10 (NoveltyBench,
    Zhang et al. 2025, arXiv 2504.05228) is exact from a closed set's probabilities (k = 10 whatever the number
    of answers, so questions compare on one scale) and estimated from all the samples of a mode-share check;
    the chi-square divergence from uniform (West and Potts 2025, arXiv 2505.00047) is exact; γ (Verbalized
    Sampling, Zhang et al. 2025, arXiv 2510.01171) comes with its regression interval. The attractor
    rows pool the check's injections: the snap-back share with its Wilson interval (Wilson 1927), the mean
    influence total with bounds from the per-injection intervals.
    """
    verdict, check = record["verdict"], record["check"]
    details = verdict.get("details") or {}
    own = (record.get("extra") or {}).get("own") or {}
    if check == "entropy":
        return [("next-token entropy (nats)", verdict["estimate"], verdict["interval"])]
    if check == "sequence_entropy":
        return [("continuation entropy (nats)", own.get("estimate"), own.get("interval"))]
    if check == "mode_share":
        rows = [("commonest-opening share", own.get("estimate"), own.get("interval"))]
        distinct = details.get("distinct_at_k")
        if distinct:
            rows.append((f"distinct@{distinct['k']} openings", distinct["estimate"], distinct["interval"]))
        return rows
    if check == "temperature":
        rows = [("entropy gain over T (nats)", own.get("estimate"), own.get("interval"))]
        if "matching_temperature" in details:
            rows.append(("matching temperature", details["matching_temperature"], None))
        if details.get("sharpening_exponent") is not None:
            interval = details.get("sharpening_interval")
            rows.append(("sharpening exponent γ", details["sharpening_exponent"], interval))
            rows.append(("implied temperature 1/γ", details.get("sharpening_temperature"), _reciprocal(interval)))
        return rows
    if check == "uniform_choice":
        rows = [("top-answer share", details.get("top_probability", verdict["estimate"]), verdict["interval"])]
        if details.get("off_set_mass") is not None:
            rows.append(("in-set mass", 1.0 - details["off_set_mass"], None))
        if details.get("probabilities"):
            rows.append((f"distinct@{DISTINCT_K} answers", expected_distinct(details["probabilities"], DISTINCT_K), None))
            rows.append(("chi-square from uniform", chi_square_from_uniform(details["probabilities"]), None))
        return rows
    if check == "distribution_close":
        return [("KL(first || model) over the answers (nats)", verdict["estimate"], verdict["interval"])]
    if check == "prior_shift":
        rows = [("prior KL(model || first) (nats)", verdict["estimate"], verdict["interval"])]
        if details.get("shifted_share") is not None:
            rows.append(("shifted-token share", details["shifted_share"], None))
        return rows
    if check == "attractor" and "candidate" in details:
        side = details["candidate"]
        interval = (list(stats.wilson_interval(side["snap_back_count"], side["n"], verdict.get("alpha", 1e-3)))
                    if side.get("n") else None)
        rows = [("snap-back share", side.get("snap_back"), interval)]
        entries = [entry for entry in side["per_injection"] if "influence_total" in entry]
        if entries:
            rows.append(("influence, mean total (nats)", sum(e["influence_total"] for e in entries) / len(entries),
                         _mean_interval([e.get("influence_total_interval") for e in entries])))
        return rows
    return []


def _reciprocal(interval: list | None) -> list | None:
    """1/γ's interval from γ's: [1/high, 1/low] when γ's is positive; open above ([1/high, None]) when it
    reaches 0 or below, where 1/γ is unbounded; None without an interval."""
    if not interval or None in interval:
        return None
    low, high = interval
    return [1.0 / high if high > 0 else None, 1.0 / low if low > 0 else None]


def _mean_interval(intervals: list) -> list | None:
    """Bounds for a mean of several quantities from an interval on each (they hold together when each
    does); None when any is exact or missing."""
    if not intervals or any(i is None or None in i for i in intervals):
        return None
    return [sum(i[0] for i in intervals) / len(intervals), sum(i[1] for i in intervals) / len(intervals)]


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
        changes = [{"from": a["checkpoint"], "to": b["checkpoint"], "direction": direction(a, b)}
                   for a, b in zip(values, values[1:])]
        result.append({**row, "values": values, "changes": changes})
    measure_order = {measure: i for i, measure in enumerate(dict.fromkeys(r["measure"] for r in result))}
    # Stable: within a phenomenon and measure, the cases keep the order of the tests.
    return sorted(result, key=lambda r: (phenomena.order(r["phenomenon"]), measure_order[r["measure"]]))


def direction(a: dict, b: dict) -> str | None:
    """'up', 'down', 'same' (within EXACT_TOLERANCE), 'unresolved' (intervals overlap) or None."""
    if a["estimate"] is None or b["estimate"] is None:
        return None
    low_a, high_a = a["interval"] or (a["estimate"], a["estimate"])
    low_b, high_b = b["interval"] or (b["estimate"], b["estimate"])
    if abs(b["estimate"] - a["estimate"]) <= EXACT_TOLERANCE:
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


def _cell(value: dict) -> str:
    estimate, interval = value["estimate"], value["interval"]
    if estimate is None:
        return "-"
    text = f"{estimate:.3f}"
    if interval is not None:
        low, high = (f"{x:.2f}" if x is not None else "?" for x in interval)
        text += f" [{low}, {high}]"
    return text


def table(lineage_rows: list[dict], checkpoints: Sequence[str]) -> str:
    """The lineage table as text, one block per phenomenon: measure, case, one column per checkpoint, and
    the arrows of the steps between them."""
    blocks = []
    for phenomenon in dict.fromkeys(row["phenomenon"] for row in lineage_rows):
        body = [[row["measure"], row["case"], *(_cell(v) for v in row["values"]),
                 " ".join(ARROWS.get(c["direction"], " ") for c in row["changes"])]
                for row in lineage_rows if row["phenomenon"] == phenomenon]
        headers = [phenomenon, "case", *checkpoints, "change"]
        blocks.append(tabulate(body, headers=headers, tablefmt="simple", disable_numparse=True))
    legend = (f"change per step ({' -> '.join(checkpoints)}): ↑ up, ↓ down, = same (within {EXACT_TOLERANCE}), "
              "~ intervals overlap")
    return "\n\n".join(blocks + [legend])
