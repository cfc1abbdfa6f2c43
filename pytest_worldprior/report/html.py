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
from collections.abc import Iterable
from pathlib import Path

from ..files import atomic_write_text
from . import terminal

INSTALL_HINT = "pip install 'pytest-worldprior[html]' (it adds matplotlib)"


def check_available() -> None:
    """Raise ImportError with the fix if matplotlib is missing (called when the option is given)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(f"--worldprior-html draws plots with matplotlib, which is not installed: {INSTALL_HINT}") from None


def write(path: str | Path, records: Iterable[dict]) -> None:
    records = terminal.ordered(records)
    sections = [_figure(title, draw) for title, draw in _plots(records)]
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


def _figure(title: str, draw) -> str:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6, 3.5))
    try:
        draw(axes)
        axes.set_title(title, fontsize=9)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    finally:
        pyplot.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"<figure><img alt='{html.escape(title, quote=True)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(title)}</figcaption></figure>")
