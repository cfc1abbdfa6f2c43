"""The session report in the terminal: every verdict in one table, then the numbers behind attractor and random-choice checks.

Verdict records travel on each test's report (`report.worldprior`, plain JSON-able dicts), so under
pytest-xdist the controller receives every worker's records with the test reports and prints one
report. Rows are ordered by test id and then by the order of the checks within a test, so a serial and
a distributed run print the same report.
"""

from __future__ import annotations

from collections.abc import Iterable

from tabulate import tabulate

from .. import checks

# "Flatter" means a normalised entropy higher by more than this (1 = uniform over the answers).
FLATTER_MARGIN = 0.01

COLUMNS = ("test", "check", "model", "measure", "value", "baseline", "threshold", "interval", "verdict")


def number(x: float | None) -> str:
    """Three decimals in the usual range, three significant digits outside it; "-" for None (JSON's
    null: no value, or an unbounded end)."""
    if x is None:
        return "-"
    return f"{x:.3f}" if 0.001 <= abs(x) < 1000 or x == 0 else f"{x:.3g}"


def threshold_text(threshold, at_most: str = "<=", at_least: str = ">=") -> str:
    """A verdict's threshold as read: [low, high], <= high, >= low, or the one number."""
    if not isinstance(threshold, (list, tuple)):
        return number(threshold)
    low, high = threshold
    if low is not None and high is not None:
        return f"[{number(low)}, {number(high)}]"
    return f"{at_most} {number(high)}" if high is not None else f"{at_least} {number(low)}"


def baseline_text(record: dict) -> str:
    """The baseline's side of the comparison (the record's typed `baseline_value`), "-" where none was measured."""
    side = record.get("baseline_value")
    return "-" if not side else f"{number(side['value'])} {side['unit']}"


def measure_name(record: dict) -> str:
    """The quantity's short name (the verdict's typed `measure`); a record without one shows its label."""
    verdict = record["verdict"]
    return verdict.get("measure") or verdict["label"]


def ordered(records: Iterable[dict]) -> list[dict]:
    """By test id, then by the order of the checks within the test (stable across xdist)."""
    return sorted(records, key=lambda r: (r["test"] or "", r.get("number", 0)))


def table(records: Iterable[dict], width: int | None = None) -> str:
    """Every verdict, one row each. Without `width`: every column at full length (the check, the full
    measure label, the interval in its own column), as the HTML page shows it. With `width` (characters,
    e.g. pytest's terminal width): the fitted table of `fitted_table`."""
    if width is not None:
        return "\n".join(fitted_table(records, width))
    rows = []
    for record in ordered(records):
        verdict = record["verdict"]
        interval = verdict.get("interval")
        rows.append([
            (record["test"] or "").split("::")[-1],
            record["check"],
            record["model"],
            verdict["label"],
            number(verdict["estimate"]),
            baseline_text(record),
            threshold_text(verdict["threshold"]),
            f"[{number(interval[0])}, {number(interval[1])}]" if interval else "exact",
            verdict["outcome"],
        ])
    return tabulate(rows, headers=COLUMNS, tablefmt="simple", disable_numparse=True)


FITTED_HEADERS = {"test": "test", "model": "model", "measure": "measure", "value": "value [interval]",
                  "baseline": "baseline", "limit": "limit", "verdict": "verdict"}
MIN_MEASURE = 12  # characters a measure name keeps when the fitted table shortens it


def fitted_table(records: Iterable[dict], width: int) -> list[str]:
    """The verdict table in at most `width` characters a line (pytest's terminal width), where it can be.

    Columns: test, model (only when the records name more than one), measure (short names), value with
    its interval, the baseline's side (where a check measured one), limit, verdict. The first layout that
    fits wins: one row per verdict with every column; without the baseline column; then the test ids move
    to a line of their own above their checks (with the model, when the records name several), with and
    then without the baseline column, the measure names shortened down to MIN_MEASURE characters (ending
    in "…"). A test id longer than `width` is shortened in the middle. Raises ValueError if width < 20."""
    if width < 20:
        raise ValueError(f"width is a terminal's width in characters, at least 20; got {width!r}")
    rows = [_fitted_cells(record) for record in ordered(records)]
    several_models = len({row["model"] for row in rows}) > 1
    baseline = ["baseline"] if any(row["baseline"] != "-" for row in rows) else []
    model = ["model"] if several_models else []
    for extra in (baseline, []):
        lines = _tabulate(rows, ["test", *model, "measure", "value", *extra, "limit", "verdict"])
        if max(map(len, lines)) <= width:
            return lines
    for extra in (baseline, []):
        columns = ["measure", "value", *extra, "limit", "verdict"]
        lines = _tabulate(rows, columns, indent="  ")
        if max(map(len, lines)) <= width or not extra:
            break
    room = max(MIN_MEASURE, max(len(row["measure"]) for row in rows) - (max(map(len, lines)) - width))
    shortened = [dict(row, measure=_cut_end(row["measure"], room)) for row in rows]
    lines = _tabulate(shortened, columns, indent="  ")
    grouped, previous = lines[:2], None
    for row, line in zip(rows, lines[2:]):
        if row["test"] != previous:
            models = sorted({r["model"] for r in rows if r["test"] == row["test"]}) if several_models else []
            grouped.append(_cut_middle(row["test"] + (f"  ({', '.join(models)})" if models else ""), width))
            previous = row["test"]
        grouped.append(line)
    return grouped


def _fitted_cells(record: dict) -> dict[str, str]:
    verdict = record["verdict"]
    interval = verdict.get("interval")
    value = number(verdict["estimate"]) + (f" [{number(interval[0])}, {number(interval[1])}]" if interval else "")
    return {"test": (record["test"] or "").split("::")[-1], "model": record["model"],
            "measure": measure_name(record), "value": value, "baseline": baseline_text(record),
            "limit": threshold_text(verdict["threshold"]), "verdict": verdict["outcome"]}


def _tabulate(rows: list[dict], columns: list[str], indent: str = "") -> list[str]:
    text = tabulate([[row[c] for c in columns] for row in rows], headers=[FITTED_HEADERS[c] for c in columns],
                    tablefmt="simple", disable_numparse=True)
    return [indent + line.rstrip() for line in text.splitlines()]


def _cut_end(text: str, room: int) -> str:
    return text if len(text) <= room else text[:room - 1] + "…"


def _cut_middle(text: str, room: int) -> str:
    """`text` in at most `room` characters: its start and its end (where a test's parameters are), "…" between."""
    if len(text) <= room:
        return text
    tail = (room - 1) // 2
    return text[:room - 1 - tail] + "…" + text[len(text) - tail:]


def detail_lines(records: Iterable[dict]) -> list[str]:
    """Every verdict in full, two lines each (pytest -v): the test's node id, then the outcome, check,
    model, measure label, value, interval, limit, the baseline's side, n, method, alpha and seed."""
    lines = []
    for record in ordered(records):
        verdict = record["verdict"]
        interval = verdict.get("interval")
        value = number(verdict["estimate"]) + (f" [{number(interval[0])}, {number(interval[1])}]" if interval else "")
        extra = [f"n={verdict['n']}"] if verdict.get("n") else []
        extra += [verdict["method"]] + ([f"alpha={verdict['alpha']:g}"] if interval else [])
        extra += [f"seed={verdict['seed']}"] if verdict.get("seed") is not None else []
        baseline = baseline_text(record)
        lines.append(record["test"] or "")
        lines.append(f"  {verdict['outcome']} {record['check']} on {record['model']}: {verdict['label']} {value}, "
                     f"limit {threshold_text(verdict['threshold'])}" + (f", baseline {baseline}" if baseline != "-" else "")
                     + f" ({', '.join(extra)})")
    return lines


def attractor_lines(records: Iterable[dict]) -> list[str]:
    """Per attractor check, per model and injection: snap-back, influence curve, story restart."""
    lines = []
    for record in ordered(records):
        if record["check"] != checks.ATTRACTOR:
            continue
        details = record["verdict"]["details"]
        lines.append(f"{record['test']}  prompt {record['prompt']!r}")
        for role in ("candidate", "baseline"):
            if role not in details:
                continue
            model = details[role].get("model", record["model"])
            for entry in details[role]["per_injection"]:
                low, high = entry["snap_back_interval"]
                lines.append(f"  {model} ({role}), {entry['where']} {entry['prefix']!r}, injection {entry['injection']!r}:")
                recurring = entry.get("recurring_lines")
                if recurring is None:  # a report written before the recurring lines: the one clean mode
                    recurring = [{"line": entry["clean_mode"], "share": entry["clean_mode_share"]}] if entry["clean_mode"] else []
                into = "; ".join(f"{r['line']!r} ({r['share']:.0%} of clean)" for r in recurring) or "no recurring line"
                lines.append(f"    snap-back {entry['snap_back_count']}/{entry['n']} = {entry['snap_back']:.3f} "
                             f"[{low:.3f}, {high:.3f}] to {into}")
                if len(entry.get("prefixes", [])) > 1:
                    lines.append("    returned per prefix C: " + ", ".join(f"{p['prefix'].strip()!r} {p['returned']}/{p['n']}"
                                                                          for p in entry["prefixes"]))
                if "influence" in entry:
                    curve = " ".join(f"{k:.3f}" for k in entry["influence"])
                    recovery = entry["recovery_step"] if entry["recovery_step"] is not None else "none"
                    lines.append(f"    influence (KL nats per step): {curve}; total {entry['influence_total']:.3f}; "
                                 f"recovered at step {recovery}")
                if "restart_clean" in entry:
                    lines.append(f"    story restart: {entry['restart_clean']:.4f} clean, {entry['restart_injected']:.4f} injected")
    return lines


def _question(choices: list[str]) -> str:
    if all(c.isdigit() for c in choices):
        return f"{min(map(int, choices))}-{max(map(int, choices))}"
    return ", ".join(choices) if len(choices) <= 6 else f"{', '.join(choices[:5])}, ... ({len(choices)} answers)"


def framing_contrasts(records: Iterable[dict]) -> list[dict]:
    """Random-choice checks with a `framing`, grouped by model and answer set: each framing's top answer,
    its probability and flatness, its in-set mass (sampled: the share of samples that were allowed
    answers), whether the model rarely answers in it (in-set mass below the floor: INCONCLUSIVE), and
    whether the interpreter framing is flatter than each other one (framings the model rarely answers
    in are not compared)."""
    groups: dict[tuple[str, tuple[str, ...]], dict[str, dict]] = {}
    for record in ordered(records):
        details = record["verdict"].get("details") or {}
        if record["check"] != checks.UNIFORM_CHOICE or "framing" not in details:
            continue
        choices = tuple(c.strip("'\"") for c in details["choices"])  # 'heads' printed by Python is heads
        if "top" in details:
            top, share = details["top"], details["top_probability"]
        else:  # sampled: counts
            counts = details["counts"]
            top, share = choices[counts.index(max(counts))], max(counts) / max(1, sum(counts))
        groups.setdefault((record["model"], choices), {})[details["framing"]] = {
            "top": top, "top_probability": share, "normalised_entropy": details.get("normalised_entropy"),
            "off_set_mass": details.get("off_set_mass"), "in_set_mass": _in_set(details),
            "rarely_answers": "rarely_answers" in details, "outcome": record["verdict"]["outcome"],
        }
    contrasts = []
    for (model, choices), framings in groups.items():
        entry = {"model": model, "question": _question(list(choices)), "framings": framings}
        judged = {name: f for name, f in framings.items() if not f["rarely_answers"]}
        interpreter = judged.get("interpreter", {}).get("normalised_entropy")
        if interpreter is not None:  # flatter by a visible margin, not by rounding noise
            entry["interpreter_flatter_than"] = {
                name: interpreter > f["normalised_entropy"] + FLATTER_MARGIN
                for name, f in judged.items() if name != "interpreter" and f["normalised_entropy"] is not None
            }
        contrasts.append(entry)
    return contrasts


def _in_set(details: dict) -> float | None:
    """The in-set mass of a random-choice record (exact), or the share of samples that were allowed
    answers (sampled); None where neither was recorded."""
    if "in_set_mass" in details:
        return details["in_set_mass"]
    if details.get("off_set_mass") is not None:
        return 1.0 - details["off_set_mass"]
    return details.get("in_set_share")


def choice_lines(records: Iterable[dict]) -> list[str]:
    """The random-choice section: per model and answer set, the top answer of each framing with its
    flatness (normalised entropy, 1 = uniform) and in-set mass, then whether the interpreter framing is
    flatter. A framing the model rarely answers in shows its in-set mass only."""
    lines = []
    for entry in framing_contrasts(records):
        parts = []
        for name, f in entry["framings"].items():
            mass = f["in_set_mass"]
            shown = "-" if mass is None else f"{mass:.2f}" if mass >= 0.01 else f"{mass:.1g}"
            if f["rarely_answers"]:
                parts.append(f"{name} rarely answers (in-set {shown}, not judged)")
                continue
            flat = f" H/Hmax {f['normalised_entropy']:.2f}" if f["normalised_entropy"] is not None else ""
            in_set = f", in-set {shown}" if mass is not None else ""
            parts.append(f"{name} {f['top']!r} {f['top_probability']:.2f} ({flat.strip()}{in_set})")
        lines.append(f"{entry['model']}, {entry['question']}: " + " | ".join(parts))
        for other, flatter in entry.get("interpreter_flatter_than", {}).items():
            ours, theirs = entry["framings"]["interpreter"]["normalised_entropy"], entry["framings"][other]["normalised_entropy"]
            lines.append(f"  interpreter framing flatter than {other}: {'yes' if flatter else 'no'} "
                         f"(H/Hmax {ours:.2f} vs {theirs:.2f})")
    return lines
