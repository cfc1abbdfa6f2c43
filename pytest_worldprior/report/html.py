"""A single-file HTML report: the verdict table, the random-choice and attractor sections of the terminal
report, and the plots a person would rather look at than read,
H(T) curves for both models, answer histograms for closed-set prompts and attractor influence curves.
Images are PNGs embedded as data URIs, so the file can be mailed or kept as a CI artifact.

Plots need matplotlib, an optional extra: pip install 'pytest-worldprior[html]'.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..files import atomic_write_text
from . import lineage as lineage_view
from . import terminal

INSTALL_HINT = "pip install 'pytest-worldprior[html]' (it adds matplotlib)"


def check_available() -> None:
    """Raise ImportError with the fix if matplotlib is missing (called when the option is given)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(f"--worldprior-html draws plots with matplotlib, which is not installed: {INSTALL_HINT}") from None


def write(path: str | Path, records: Iterable[dict], lineage: Sequence[str] | None = None) -> None:
    """Write the page atomically; with `lineage` (checkpoint references), the lineage table and one chart per
    phenomenon with the checkpoints side by side come first."""
    records = terminal.ordered(records)
    sections = [_figure(title, draw) for title, draw in _plots(records)]
    if lineage:
        rows = lineage_view.rows(records, lineage)
        charts = [_figure(f"Lineage, {phenomenon}", draw, size=(9, 1.5 + 2.6 * count), subplots=count)
                  for phenomenon, count, draw in _lineage_plots(rows, lineage)]
        sections = ([f"<h2>Lineage: {html.escape(' → '.join(lineage))}</h2>\n"
                     f"<pre>{html.escape(lineage_view.table(rows, lineage))}</pre>\n"] + charts + sections)
    texts = [(title, lines) for title, lines in (("Random choices: top answer per framing", terminal.choice_lines(records)),
                                                 ("Attractors: snap-back and influence", terminal.attractor_lines(records))) if lines]
    body = (f"<h1>pytest-worldprior report</h1>\n<pre>{html.escape(terminal.table(records))}</pre>\n"
            + "".join(f"<h2>{title}</h2>\n<pre>{html.escape(chr(10).join(lines))}</pre>\n" for title, lines in texts)
            + "\n".join(sections))
    page = ("<!doctype html>\n<html><head><meta charset='utf-8'><title>pytest-worldprior report</title>"
            "<style>body{font-family:sans-serif;margin:2em} pre{font-size:12px} figure{display:inline-block;margin:1em}"
            "</style></head>\n<body>\n" + body + "\n</body></html>\n")
    atomic_write_text(Path(path), page)


def _plots(records: list[dict]):
    """(title, draw(axes)) for every record that has something to draw."""
    for record in records:
        details, name = record["verdict"]["details"], (record["test"] or "").split("::")[-1]
        if record["check"] == "temperature" and "temperatures" in details:
            yield f"{name}: H(T)", lambda ax, d=details, m=record["model"]: _entropy_curves(ax, d, m)
        elif "choices" in details and "probabilities" in details:
            yield f"{name}: answers of {record['model']}", lambda ax, d=details: _histogram(ax, d)
        elif record["check"] == "attractor" and "influence" in details["candidate"]["per_injection"][0]:
            yield f"{name}: influence of the injection", lambda ax, d=details, m=record["model"]: _influence(ax, d, m)


def _entropy_curves(ax, details: dict, model: str) -> None:
    ax.plot(details["temperatures"], details["entropy"], marker="o", label=model)
    if "baseline_entropy_curve" in details:
        ax.plot(details["temperatures"], details["baseline_entropy_curve"], marker="s", label=details.get("baseline", "baseline"))
    ax.set_xlabel("temperature")
    ax.set_ylabel("next-token entropy (nats)")
    ax.legend()


def _histogram(ax, details: dict) -> None:
    ax.bar(details["choices"], details["probabilities"])
    ax.set_xlabel("answer")
    ax.set_ylabel("probability (within the allowed answers)")


def _influence(ax, details: dict, model: str) -> None:
    for role, style in (("candidate", "-"), ("baseline", "--")):
        if role not in details:
            continue
        who = details[role].get("model", model)
        for entry in details[role]["per_injection"]:
            steps = range(1, len(entry["influence"]) + 1)
            ax.plot(steps, entry["influence"], style, marker=".", label=f"{who}: {entry['injection']}")
    ax.set_xlabel("step after the injection")
    ax.set_ylabel("KL(injected || clean), nats")
    ax.legend(fontsize=7)


def _lineage_plots(rows: list[dict], checkpoints: Sequence[str]):
    """(phenomenon, number of measures, draw(axes)) per phenomenon: per measure, grouped bars, one bar per
    checkpoint for each case, with the sampled interval as an error bar."""
    for phenomenon in dict.fromkeys(row["phenomenon"] for row in rows):
        by_measure: dict[str, list[dict]] = {}
        for row in rows:
            if row["phenomenon"] == phenomenon:
                by_measure.setdefault(row["measure"], []).append(row)
        yield phenomenon, len(by_measure), lambda axes, m=by_measure: _lineage_bars(axes, m, checkpoints)


def _lineage_bars(axes, by_measure: dict[str, list[dict]], checkpoints: Sequence[str]) -> None:
    width = 0.8 / len(checkpoints)
    for ax, (measure, measure_rows) in zip(axes, by_measure.items()):
        for i, checkpoint in enumerate(checkpoints):
            values = [row["values"][i] for row in measure_rows]
            heights = [v["estimate"] if v["estimate"] is not None else float("nan") for v in values]  # nan: no bar
            ends = [(_end(v, 0, h), _end(v, 1, h)) for h, v in zip(heights, values)]
            # max(0, ...): a zero-width interval may sit one rounding step off its estimate.
            errors = [[max(0.0, h - low) for h, (low, _) in zip(heights, ends)],
                      [max(0.0, high - h) for h, (_, high) in zip(heights, ends)]]
            sampled = any(v["interval"] for v in values)  # exact values get no (zero-length) error bars
            ax.bar([j + i * width for j in range(len(values))], heights, width, yerr=errors if sampled else None,
                   capsize=2, label=checkpoint)
        ax.set_xticks([j + width * (len(checkpoints) - 1) / 2 for j in range(len(measure_rows))])
        ax.set_xticklabels([row["case"] for row in measure_rows], fontsize=7, rotation=30, ha="right")
        ax.set_ylabel(measure, fontsize=7)
    axes[0].legend(fontsize=7)


def _end(value: dict, side: int, height: float) -> float:
    """One end of a value's interval for an error bar; the bar's height where there is none (or it is open)."""
    interval = value["interval"]
    return interval[side] if interval and interval[side] is not None else height


def _figure(title: str, draw, *, size=(6, 3.5), subplots: int | None = None) -> str:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(subplots or 1, figsize=size, squeeze=False, layout="constrained")
    axes = axes[:, 0] if subplots else axes[0, 0]
    try:
        draw(axes)
        figure.suptitle(title, fontsize=9)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    finally:
        pyplot.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"<figure><img alt='{html.escape(title, quote=True)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(title)}</figcaption></figure>")
