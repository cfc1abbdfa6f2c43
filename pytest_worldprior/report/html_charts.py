"""The HTML report's charts, drawn with matplotlib as SVG and embedded as data URIs (the page needs no
network). Each chart compares: H(T) curves of every model on one axis per prompt, the answer histograms
of every model and framing in one chart per question, the answer distributions of prior-shift checks
against their target, influence curves of every model and injection overlaid per prompt, and the
lineage's checkpoints side by side per measure.

Every function takes verdict records as the JSON report holds them (report.schema.json) and returns
HTML `<figure>` elements; records without the data a chart needs draw nothing. matplotlib is imported
on first use (the [html] extra).

A closed-set row (an answer histogram, or a model or target of the prior-shift chart) whose in-set mass
(the probability of giving an allowed answer at all; sampled, the share of samples that were one) is
below the floor is renormalised noise, not a choice: its bars are drawn grey and hatched with the mass
written on them, and the figure's caption lists it (`<ul class='below-floor'>`, one item per row:
"below the in-set floor: MODEL on 'PROMPT' (in-set mass M, floor F)"). The floor is the record's
details["min_in_set_mass"], else the library's default (measures.closed_set.MIN_IN_SET_MASS); the mark
follows the mass, whatever the verdict made of it. A baseline below the floor (details
"baseline_in_set_mass"; "target_in_set_mass" for the target of a prior-shift check) is listed too, once:
a lineage run checks its first checkpoint against itself, and that row is listed already.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Sequence

from .. import checks

ALLOWED_BARS = 12  # answer sets up to this size are grouped bars; larger ones (1-100) are lines


def temperature_curves(records: Iterable[dict], baseline: str) -> list[str]:
    """One chart, one axis per prompt: entropy (nats) against temperature for the checked model and for
    the baseline (`baseline` names it: the records hold its curve, not its name)."""
    curves: dict[str, dict[str, tuple[list, list]]] = {}
    for record in records:
        details = record["verdict"]["details"]
        if record["check"] != checks.TEMPERATURE or "temperatures" not in details or "entropy" not in details:
            continue
        by_model = curves.setdefault(record["prompt"], {})
        by_model.setdefault(record["model"], (details["temperatures"], details["entropy"]))
        if "baseline_entropy_curve" in details:
            by_model.setdefault(baseline, (details["temperatures"], details["baseline_entropy_curve"]))
    if not curves:
        return []

    def draw(ax, prompt):
        for model, (temperatures, entropy) in curves[prompt].items():
            ax.plot(temperatures, [math.nan if h is None else h for h in entropy], marker="o", label=model)
        ax.set_xlabel("temperature T")
        ax.set_ylabel("next-token entropy (nats)")

    return [figure("H(T): next-token entropy against temperature", list(curves), draw)]


def answer_histograms(records: Iterable[dict]) -> list[str]:
    """One chart per answer set of the random-choice checks: each answer's probability (sampled: its share
    of the allowed answers drawn) for every model and framing, with the uniform share as a line. A row
    below the in-set floor is hatched (module docstring)."""
    groups: dict[tuple[str, ...], _Rows] = {}
    for record in records:
        details = record["verdict"]["details"]
        shares = _shares(details)
        if record["check"] != checks.UNIFORM_CHOICE or shares is None:
            continue
        choices = tuple(str(c).strip("'\"") for c in details["choices"])  # 'heads' printed by Python is heads
        label = f"{record['model']}, {details['framing']}" if "framing" in details else record["model"]
        rows = groups.setdefault(choices, _Rows())
        if label in rows.series:
            continue
        rows.add(label, shares, record["prompt"], _in_set(record), _floor(details))
        base = details.get("baseline_in_set_mass")
        if isinstance(base, (int, float)):  # its answers are not drawn, but the candidate's limit came from them
            named = isinstance(details.get("baseline"), str)
            who = f"the baseline {details['baseline']}" if named else "the baseline"
            own = None  # its row in this chart, where it is checked too (a lineage run checks the first checkpoint itself)
            if named:
                own = f"{details['baseline']}, {details['framing']}" if "framing" in details else details["baseline"]
            rows.note_below(f"{who} of {label}", record["prompt"], base, _floor(details), suffix="its answers not drawn", row=own)
    charts = []
    for choices, rows in groups.items():
        def draw(ax, _, choices=choices, rows=rows):
            _bars(ax, choices, rows.series, rows.below)
            ax.axhline(1 / len(choices), color="black", linestyle=":", linewidth=1, label="uniform")
            ax.set_ylabel("probability within the allowed answers")
        charts.append(figure(f"Answers to {_question(choices)}", [None], draw, width=11 if len(choices) > ALLOWED_BARS else 7,
                             notes=rows.notes))
    return charts


def target_histograms(records: Iterable[dict]) -> list[str]:
    """One chart, one axis per prompt of the closed-set prior-shift checks: the answer distribution of every
    model against the check's target. A model or target below the in-set floor is hatched (module docstring)."""
    groups: dict[str, tuple[list[str], _Rows]] = {}
    for record in records:
        details = record["verdict"]["details"]
        if record["check"] != checks.DISTRIBUTION_CLOSE or "probabilities" not in details or "target" not in details:
            continue
        _, rows = groups.setdefault(record["prompt"], ([str(c) for c in details["choices"]], _Rows()))
        floor = _floor(details)
        if record["model"] not in rows.series:
            rows.add(record["model"], details["probabilities"], record["prompt"], _in_set(record), floor)
        if "target" not in rows.series:
            target_mass = details.get("target_in_set_mass", details.get("baseline_in_set_mass"))
            who = f"the target ({details['baseline']})" if isinstance(details.get("baseline"), str) else "the target"
            rows.add("target", details["target"], record["prompt"], target_mass, floor, who=who)
    if not groups:
        return []

    def draw(ax, prompt):
        choices, rows = groups[prompt]
        _bars(ax, choices, rows.series, rows.below)
        ax.set_ylabel("probability")

    notes = [note for _, rows in groups.values() for note in rows.notes]
    return [figure("Closed-set answers against the target", list(groups), draw, notes=notes)]


class _Rows:
    """The rows (series) of one closed-set chart, those below the in-set floor (label: in-set mass) and the
    caption's list of them."""

    def __init__(self) -> None:
        self.series: dict[str, list[float]] = {}
        self.below: dict[str, float] = {}
        self._notes: list[tuple[str | None, str]] = []  # (the row it is about where that row may be drawn, note)

    def add(self, label: str, values: list[float], prompt: str, mass: float | None, floor: float, who: str | None = None) -> None:
        self.series[label] = list(values)
        if mass is not None and mass < floor:
            self.below[label] = mass
            self.note_below(who or label, prompt, mass, floor)

    def note_below(self, who: str, prompt: str, mass: float, floor: float, suffix: str = "", row: str | None = None) -> None:
        """List `who` where `mass` is below `floor`; a note about a `row` that is drawn and marked itself goes."""
        if mass < floor:
            note = (f"below the in-set floor: {who} on '{_shorten(prompt, 60)}' "
                    f"(in-set mass {_mass(mass)}, floor {floor:g}{'; ' + suffix if suffix else ''})")
            self._notes.append((row, note))

    @property
    def notes(self) -> list[str]:
        return list(dict.fromkeys(note for row, note in self._notes if row is None or row not in self.below))


def _in_set(record: dict) -> float | None:
    """A closed-set record's in-set mass: exact, the probability of an allowed answer at all; sampled, the
    share of samples that were one; None where the record has neither."""
    details = record["verdict"]["details"]
    if isinstance(details.get("in_set_mass"), (int, float)):
        return details["in_set_mass"]
    if isinstance(details.get("off_set_mass"), (int, float)):
        return 1.0 - details["off_set_mass"]
    if isinstance(details.get("in_set_share"), (int, float)):
        return details["in_set_share"]
    if details.get("rarely_answers") == "the model":  # its verdict's estimate is the in-set mass
        return record["verdict"]["estimate"]
    return None


def _floor(details: dict) -> float:
    """The in-set floor the check used: the record's min_in_set_mass, else the library's default."""
    if isinstance(details.get("min_in_set_mass"), (int, float)):
        return details["min_in_set_mass"]
    from ..measures.closed_set import MIN_IN_SET_MASS

    return MIN_IN_SET_MASS


def _mass(mass: float) -> str:
    return f"{mass:.2g}"


def influence_curves(records: Iterable[dict]) -> list[str]:
    """One chart, one axis per prompt of the attractor checks: KL(injected || clean) per step after the
    injection, every model (line style) and injection (colour) overlaid."""
    groups: dict[str, dict[tuple[str, str], list[float]]] = {}
    for record in records:
        details = record["verdict"]["details"]
        if record["check"] != checks.ATTRACTOR:
            continue
        for role in ("candidate", "baseline"):
            side = details.get(role)
            for entry in (side or {}).get("per_injection", ()):
                if "influence" in entry:
                    who = side.get("model", record["model"])
                    groups.setdefault(record["prompt"], {}).setdefault((who, entry["injection"]), entry["influence"])
    if not groups:
        return []

    def draw(ax, prompt):
        curves = groups[prompt]
        injections = list(dict.fromkeys(injection for _, injection in curves))
        models = list(dict.fromkeys(model for model, _ in curves))
        for (model, injection), curve in curves.items():
            ax.plot(range(1, len(curve) + 1), curve, ("-", "--", ":", "-.")[models.index(model) % 4], marker=".",
                    color=f"C{injections.index(injection) % 10}", label=f"{model}: {injection}")
        ax.set_xlabel("step after the injection")
        ax.set_ylabel("KL(injected || clean), nats")

    return [figure("Influence of the injection", list(groups), draw, legend_per_axis=True)]


def lineage_bars(rows: list[dict], checkpoints: Sequence[str]) -> list[str]:
    """One chart per phenomenon of the lineage table (report.lineage.rows): one axis per measure, grouped
    bars, one per checkpoint for each case, sampled intervals as error bars."""
    charts = []
    for phenomenon in dict.fromkeys(row["phenomenon"] for row in rows):
        by_measure: dict[str, list[dict]] = {}
        for row in rows:
            if row["phenomenon"] == phenomenon:
                by_measure.setdefault(row["measure"], []).append(row)
        charts.append(figure(f"Lineage, {phenomenon}", list(by_measure),
                             lambda ax, measure, m=by_measure: _lineage_axis(ax, measure, m[measure], checkpoints), columns=2))
    return charts


def _lineage_axis(ax, measure: str, measure_rows: list[dict], checkpoints: Sequence[str]) -> None:
    width = 0.8 / len(checkpoints)
    for i, checkpoint in enumerate(checkpoints):
        values = [row["values"][i] for row in measure_rows]
        heights = [v["estimate"] if v["estimate"] is not None else math.nan for v in values]  # nan: no bar
        ends = [(_end(v, 0, h), _end(v, 1, h)) for h, v in zip(heights, values)]
        # max(0, ...): a zero-width interval may sit one rounding step off its estimate.
        errors = [[max(0.0, h - low) for h, (low, _) in zip(heights, ends)],
                  [max(0.0, high - h) for h, (_, high) in zip(heights, ends)]]
        sampled = any(v["interval"] for v in values)  # exact values get no (zero-length) error bars
        ax.bar([j + i * width for j in range(len(values))], heights, width, yerr=errors if sampled else None,
               capsize=2, label=checkpoint)
    ax.set_xticks([j + width * (len(checkpoints) - 1) / 2 for j in range(len(measure_rows))])
    ax.set_xticklabels([row["case"] for row in measure_rows], fontsize=7, rotation=20, ha="right")
    ax.set_ylabel("value", fontsize=7)


def _end(value: dict, side: int, height: float) -> float:
    """One end of a value's interval for an error bar; the bar's height where there is none (or it is open)."""
    interval = value["interval"]
    return interval[side] if interval and interval[side] is not None else height


def _shares(details: dict) -> list[float] | None:
    """Each allowed answer's probability (exact) or share of the allowed answers drawn (sampled), or None."""
    if details.get("probabilities"):
        return list(details["probabilities"])
    counts = details.get("counts")
    if counts and sum(counts) > 0:
        return [c / sum(counts) for c in counts]
    return None


def _question(choices: Sequence[str]) -> str:
    if all(c.isdigit() for c in choices):
        return f"a number from {min(map(int, choices))} to {max(map(int, choices))}"
    return ", ".join(choices) if len(choices) <= 6 else f"{', '.join(choices[:5])}, ... ({len(choices)} answers)"


def _bars(ax, choices: Sequence[str], series: dict[str, list[float]], below: dict[str, float] | None = None) -> None:
    """Grouped bars, one group per answer and one bar per series; lines for a large answer set. A series in
    `below` (label: its in-set mass) is drawn grey and hatched in its colour (as a line: faded and dotted),
    its mass in its legend label and written on its tallest bar (highest point)."""
    below = below or {}
    marks = []  # (x, height, mass) where a mass is written
    for i, (label, values) in enumerate(series.items()):
        colour = f"C{i % 10}"
        mass = below.get(label)
        shown = label if mass is None else f"{label} (in-set mass {_mass(mass)})"
        top = max(range(len(values)), key=values.__getitem__) if values else None
        if len(choices) > ALLOWED_BARS:
            if mass is None:
                ax.plot(range(len(choices)), values, marker=".", linewidth=1, color=colour, label=shown)
            else:
                ax.plot(range(len(choices)), values, marker="x", markersize=3, linestyle=":", linewidth=1, color=colour, alpha=0.5,
                        label=shown)
                marks.append((top, values[top], mass))
        else:
            width = 0.8 / len(series)
            xs = [j + i * width for j in range(len(choices))]
            if mass is None:
                ax.bar(xs, values, width, color=colour, label=shown)
            else:
                ax.bar(xs, values, width, color="#eaeef2", edgecolor=colour, hatch="////", linewidth=0.8, label=shown)
                marks.append((xs[top], values[top], mass))
    if len(choices) > ALLOWED_BARS:
        step = max(1, len(choices) // 20)
        ax.set_xticks(range(0, len(choices), step), [choices[i] for i in range(0, len(choices), step)], fontsize=7)
    else:
        width = 0.8 / len(series)
        ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(choices))], choices, fontsize=8)
    ceiling = ax.get_ylim()[1]
    for x, height, mass in marks:  # inside a tall bar, above a short one
        inside = height >= 0.45 * ceiling
        ax.text(x, height / 2 if inside else height + 0.02 * ceiling, f"in-set mass {_mass(mass)}", rotation=90, fontsize=6,
                ha="center", va="center" if inside else "bottom", bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    ax.set_xlabel("answer")


def figure(title: str, panels: list, draw, *, columns: int = 3, width: float | None = None, legend_per_axis: bool = False,
           notes: Sequence[str] = ()) -> str:
    """A `<figure>` with one chart: one axis per panel (draw(ax, panel) fills it; a panel not None is the
    axis' title), in `columns` columns, one legend for all (or one per axis, where the axes show different
    series). The chart is an SVG image with its text kept as text; its ids are salted with the title, so
    the same input gives the same bytes. `notes` (the rows below the in-set floor) are listed in the
    caption, `<ul class='below-floor'>`."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    from matplotlib import pyplot

    columns = min(columns, len(panels))
    rows = math.ceil(len(panels) / columns)
    size = (width or 4.4 * columns, 0.6 + 2.9 * rows)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": title, "font.size": 9}):
        chart, axes = pyplot.subplots(rows, columns, figsize=size, squeeze=False, layout="constrained")
        try:
            flat = list(axes.flat)
            for ax, panel in zip(flat, panels):
                draw(ax, panel)
                if panel is not None:
                    ax.set_title(_shorten(str(panel)), fontsize=8)
            for ax in flat[len(panels):]:
                ax.remove()
            if legend_per_axis:
                for ax in flat[:len(panels)]:
                    ax.legend(fontsize=6)
            handles = {} if legend_per_axis else {
                label: handle for ax in flat[:len(panels)] for handle, label in zip(*ax.get_legend_handles_labels())}
            if handles:
                chart.legend(handles.values(), handles.keys(), loc="outside lower center", fontsize=8,
                             ncols=min(4, len(handles)), frameon=False)
            buffer = io.BytesIO()
            chart.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")  # the legend too
        finally:
            pyplot.close(chart)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    wide = " wide" if size[0] > 7.5 else ""  # several panels, or many answers: the whole row
    listed = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    listed = f"<ul class='below-floor'>{listed}</ul>" if listed else ""
    return (f"<figure class='chart{wide}'><img alt='{html.escape(title, quote=True)}' src='data:image/svg+xml;base64,{data}'>"
            f"<figcaption>{html.escape(title)}{listed}</figcaption></figure>")


def _shorten(text: str, limit: int = 70) -> str:
    """The text on one line, at most `limit` characters: its start and its end around "…", since prompts
    that share a preamble (an interpreter transcript) differ at the end."""
    text = " ".join(text.split())  # a prompt's newlines in one title line
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]
