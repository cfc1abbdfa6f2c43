"""The HTML report's tables: the verdicts of one phenomenon, each with its interval drawn as a bar against
the threshold, and the lineage table (one column per checkpoint, the direction of each step).

Cells are escaped text; colours come from the page's classes (pass, fail, inconclusive), and every
verdict is also written out, so nothing is said by colour alone.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence

from . import terminal
from .lineage import ARROWS, EXACT_TOLERANCE
from .terminal import number

BAR_WIDTH, BAR_HEIGHT = 160, 18  # px of the interval-against-threshold drawing
_OUTCOME_CLASS = {"PASS": "pass", "FAIL": "fail", "INCONCLUSIVE": "inconclusive"}


def threshold_text(threshold) -> str:
    """A verdict's threshold as read, with the signs ≤ and ≥: [low, high], ≤ high, ≥ low, or the one number."""
    return terminal.threshold_text(threshold, "≤", "≥")


def verdict_table(records: Iterable[dict]) -> str:
    """A `<table>` with one row per verdict record: test, model, measure, value with its interval, the
    interval drawn against the threshold, the threshold and the verdict."""
    rows = []
    for record in records:
        verdict = record["verdict"]
        interval = verdict.get("interval")
        value = number(verdict["estimate"]) + (f" [{number(interval[0])}, {number(interval[1])}]" if interval else " exact")
        test = record["test"] or ""
        outcome = verdict["outcome"]
        cells = [f"<td title='{_attr(test)}'>{_text(test.split('::')[-1])}</td>", f"<td>{_text(record['model'])}</td>",
                 f"<td>{_text(verdict['label'])}</td>", f"<td class='num'>{_text(value)}</td>",
                 f"<td>{interval_bar(verdict)}</td>", f"<td class='num'>{_text(threshold_text(verdict['threshold']))}</td>",
                 f"<td class='verdict'>{_text(outcome)}</td>"]
        rows.append(f"<tr class='{_OUTCOME_CLASS[outcome]}'>{''.join(cells)}</tr>")
    head = "".join(f"<th>{name}</th>" for name in ("test", "model", "measure", "value [interval]",
                                                    "interval against threshold", "threshold", "verdict"))
    return (f"<table class='verdicts'><colgroup><col class='c-test'><col class='c-model'><col class='c-measure'>"
            f"<col class='c-value'><col class='c-bar'><col class='c-threshold'><col class='c-verdict'></colgroup>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def interval_bar(verdict: dict) -> str:
    """An inline SVG, BAR_WIDTH x BAR_HEIGHT px: the allowed region of the threshold shaded, its finite ends
    as ticks, the interval as a bar (to the edge where an end is open) and the estimate as a dot. One linear
    scale per row, from the finite numbers of that row."""
    estimate, interval, threshold = verdict["estimate"], verdict.get("interval"), verdict["threshold"]
    low, high = (threshold if isinstance(threshold, (list, tuple)) else (threshold, threshold))
    ends = list(interval) if interval else [estimate, estimate]
    finite = [x for x in (estimate, *ends, low, high) if x is not None and math.isfinite(x)]
    if not finite:
        return "<svg class='bar' width='1' height='1'></svg>"
    start, stop = min(finite), max(finite)
    pad = (stop - start) * 0.08 or max(abs(start) * 0.1, 0.05)
    start, stop = start - pad, stop + pad

    def x(value, open_end):
        return open_end if value is None else 4 + (BAR_WIDTH - 8) * (value - start) / (stop - start)

    parts = [f"<title>{_text(_bar_title(estimate, interval, threshold))}</title>"]
    if isinstance(threshold, (list, tuple)):
        left, right = x(low, 0), x(high, BAR_WIDTH)
        parts.append(f"<rect class='allowed' x='{left:.1f}' y='2' width='{max(right - left, 1):.1f}' height='{BAR_HEIGHT - 4}'/>")
    for end in (low, high) if isinstance(threshold, (list, tuple)) else (threshold,):
        if end is not None:
            parts.append(f"<line class='limit' x1='{x(end, 0):.1f}' x2='{x(end, 0):.1f}' y1='0' y2='{BAR_HEIGHT}'/>")
    if interval:
        left, right = x(ends[0], 0), x(ends[1], BAR_WIDTH)
        parts.append(f"<rect class='interval' x='{left:.1f}' y='{BAR_HEIGHT / 2 - 3}' width='{max(right - left, 2):.1f}' height='6'/>")
    if estimate is not None:
        parts.append(f"<circle class='estimate' cx='{x(estimate, 0):.1f}' cy='{BAR_HEIGHT / 2}' r='3.5'/>")
    return (f"<svg class='bar' role='img' width='{BAR_WIDTH}' height='{BAR_HEIGHT}' viewBox='0 0 {BAR_WIDTH} {BAR_HEIGHT}'>"
            + "".join(parts) + "</svg>")


def _bar_title(estimate, interval, threshold) -> str:
    shown = f"estimate {number(estimate)}"
    if interval:
        shown += f", interval [{number(interval[0])}, {number(interval[1])}]"
    return f"{shown}; allowed {threshold_text(threshold)} (shaded)"


def lineage_table(rows: list[dict], checkpoints: Sequence[str]) -> str:
    """The lineage table (report.lineage.rows) as one `<table>`: a heading row per phenomenon, then per
    measure and case one value per checkpoint (with its interval where sampled) and the steps' arrows."""
    body = []
    for phenomenon in dict.fromkeys(row["phenomenon"] for row in rows):
        body.append(f"<tr class='group'><th colspan='{len(checkpoints) + 3}'>{_text(phenomenon)}</th></tr>")
        for row in rows:
            if row["phenomenon"] != phenomenon:
                continue
            arrows = " ".join(ARROWS.get(change["direction"], " ") for change in row["changes"])
            cells = [_text(row["measure"]), _text(row["case"]), *(_text(_cell(v)) for v in row["values"])]
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + f"<td class='change'>{_text(arrows)}</td></tr>")
    head = "".join(f"<th>{_text(name)}</th>" for name in ("measure", "case", *checkpoints, "change"))
    legend = (f"change per step ({' → '.join(checkpoints)}): ↑ up, ↓ down, = same (within {EXACT_TOLERANCE}; a mass "
              f"within a factor {1 + EXACT_TOLERANCE:g}), ~ intervals overlap; - not measured (a row that rarely answers "
              "keeps only its in-set mass)")
    return (f"<table class='lineage'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<p class='legend'>{_text(legend)}</p>")


def _cell(value: dict) -> str:
    estimate, interval = value["estimate"], value["interval"]
    if estimate is None:
        return "-"
    text = number(estimate)
    if interval is not None:
        text += f" [{number(interval[0]) if interval[0] is not None else '?'}, {number(interval[1]) if interval[1] is not None else '?'}]"
    return text


def _text(value: object) -> str:
    return html.escape(str(value), quote=False)


def _attr(value: object) -> str:
    return html.escape(re.sub(r"\s+", " ", str(value)), quote=True)


def framing_table(contrasts: list[dict]) -> str:
    """The random-choice framings side by side (the JSON report's `framing_contrasts`): per model, question
    and framing the top answer, its share, the flatness H/Hmax (1 = uniform), the in-set mass and the verdict."""
    body = []
    for entry in contrasts:
        for name, framing in entry["framings"].items():
            flat = framing.get("normalised_entropy")
            mass = framing.get("in_set_mass", None if framing.get("off_set_mass") is None else 1 - framing["off_set_mass"])
            cells = [entry["model"], entry["question"], name, framing["top"], number(framing["top_probability"]),
                     number(flat), number(mass), framing["outcome"] + (" (rarely answers)" if framing.get("rarely_answers") else "")]
            body.append(f"<tr class='{_OUTCOME_CLASS[framing['outcome']]}'>" + "".join(f"<td>{_text(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{name}</th>" for name in ("model", "question", "framing", "top answer", "its share", "H/Hmax",
                                                    "in-set mass", "verdict"))
    return f"<table class='framings'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
