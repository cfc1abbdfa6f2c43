"""The HTML report: one file that opens offline, drawn from the JSON report's document (report.schema.json).

First the gate: PASS or FAIL, the count of PASS, FAIL and INCONCLUSIVE verdicts (and of pytest's
skipped tests and its exit code, where the session gave them), the models with their fingerprints, the
seed and the versions. With --worldprior-lineage the lineage table and its charts come next. Then one
section per phenomenon: its verdict table, each interval drawn as a bar against its threshold, and the
charts that compare the models (html_charts; a closed-set row below the in-set floor is drawn hatched
and listed under its chart). Charts are SVG images in data URIs; every text is escaped.

    python -m pytest_worldprior.report.html report.json -o report.html

renders the page of a JSON report written with --worldprior-report. Plots need matplotlib, an optional
extra: pip install 'pytest-worldprior[html]'.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..files import atomic_write_text
from . import html_charts, html_tables, phenomena, terminal

INSTALL_HINT = "pip install 'pytest-worldprior[html]' (it adds matplotlib)"
OUTCOMES = ("PASS", "FAIL", "INCONCLUSIVE")
TEST_COUNTS = ("passed", "failed", "skipped", "xfailed", "xpassed", "error")  # pytest's summary words

STYLE = """
*{box-sizing:border-box} body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:12px 20px;color:#1f2328}
h1{font-size:18px;margin:0 0 4px} h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #d0d7de}
h2 small{font-weight:normal;color:#57606a;font-size:13px}
.gate{border-left:10px solid #57606a;background:#f6f8fa;padding:8px 14px}
.gate.pass{border-color:#1a7f37} .gate.fail{border-color:#cf222e}
.result{font-size:26px;font-weight:700;margin-right:10px} .gate.pass .result{color:#1a7f37} .gate.fail .result{color:#cf222e}
.counts span{display:inline-block;border-radius:10px;padding:1px 9px;margin:2px 6px 2px 0;font-weight:600;background:#eaeef2}
.counts .pass,td.verdict{background:#dafbe1} .counts .fail{background:#ffebe9} .counts .inconclusive{background:#fff8c5}
.meta{color:#57606a;font-size:12px;margin:4px 0 0} nav a{margin-right:12px}
table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:12.5px;margin:4px 0}
th,td{text-align:left;padding:2px 6px;border-bottom:1px solid #d8dee4;overflow-wrap:anywhere;vertical-align:middle}
th{background:#f6f8fa} td.num{font-variant-numeric:tabular-nums}
table.models{font-size:12px;margin:4px 0 0} table.models td,table.models th{padding:1px 6px}
col.c-test{width:21%} col.c-model{width:11%} col.c-measure{width:24%} col.c-value{width:13%} col.c-bar{width:172px}
col.c-threshold{width:9%} col.c-verdict{width:8.5rem}
tr.pass td.verdict{background:#dafbe1;color:#116329;font-weight:600} tr.fail td.verdict{background:#cf222e;color:#fff;font-weight:600}
tr.inconclusive td.verdict{background:#fff8c5;color:#7d4e00;font-weight:600}
tr.group th{background:#eaeef2} td.change{font-size:15px}
svg.bar{display:block} .allowed{fill:#dafbe1} .limit{stroke:#57606a;stroke-width:1.5}
.interval{fill:#57606a} tr.fail .interval,tr.fail .estimate{fill:#cf222e} tr.pass .interval,tr.pass .estimate{fill:#1a7f37}
tr.inconclusive .interval,tr.inconclusive .estimate{fill:#bf8700} .estimate{fill:#1f2328;stroke:#fff}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px;margin-top:8px}
figure.chart{margin:0;min-width:0} figure.chart.wide{grid-column:1/-1}
figure.chart img{display:block;width:100%;height:auto} figcaption{font-size:12px;color:#57606a}
ul.below-floor{margin:2px 0 0;padding-left:18px;color:#7d4e00}
details pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px}
"""


def check_available() -> None:
    """Raise ImportError with the fix if matplotlib is missing (called when the option is given)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(f"--worldprior-html draws plots with matplotlib, which is not installed: {INSTALL_HINT}") from None


def gate(report: Mapping, session: Mapping | None = None) -> dict:
    """The gate's result: {"result": "PASS" or "FAIL", "verdicts": count per outcome, "tests": pytest's
    count per TEST_COUNTS word or None, "exit_code": int or None}. With `session` ({"exit_code": int,
    "tests": {word: count}}, what the plugin knows at the end) pytest's exit code decides (0 is PASS);
    without it (a page drawn from a JSON file), any FAIL verdict is a FAIL. Raises ValueError for a
    session without an integer exit code or with a count that is not a non-negative integer."""
    verdicts = {o: int(report["summary"].get(o, 0)) for o in OUTCOMES}
    if session is None:
        return {"result": "FAIL" if verdicts["FAIL"] else "PASS", "verdicts": verdicts, "tests": None, "exit_code": None}
    code, tests = session.get("exit_code"), dict(session.get("tests") or {})
    if not isinstance(code, int) or isinstance(code, bool):
        raise ValueError(f"session exit_code must be pytest's integer exit status, got {code!r}")
    wrong = {word: n for word, n in tests.items() if word not in TEST_COUNTS or not isinstance(n, int) or n < 0}
    if wrong:
        raise ValueError(f"session tests must count {TEST_COUNTS} with non-negative integers, got {wrong!r}")
    return {"result": "PASS" if code == 0 else "FAIL", "verdicts": verdicts,
            "tests": {word: tests.get(word, 0) for word in TEST_COUNTS}, "exit_code": code}


def render(report: Mapping, session: Mapping | None = None) -> str:
    """The page for a JSON report document (json_report.document, or a --worldprior-report file read back)
    and, optionally, pytest's session outcome (see `gate`). Returns the HTML text."""
    records = report["verdicts"]
    summary = gate(report, session)
    sections = []
    lineage = report.get("lineage")
    if lineage:
        checkpoints = lineage["checkpoints"]
        sections.append(_section("lineage", f"Lineage: {' → '.join(checkpoints)}", "",
                                 html_tables.lineage_table(lineage["rows"], checkpoints),
                                 html_charts.lineage_bars(lineage["rows"], checkpoints)))
    by_phenomenon: dict[str, list[dict]] = {}
    for record in records:
        by_phenomenon.setdefault(phenomena.phenomenon(record["check"]), []).append(record)
    for name in sorted(by_phenomenon, key=phenomena.order):
        group = by_phenomenon[name]
        counts = Counter(r["verdict"]["outcome"] for r in group)
        extra = ""
        if name == "Biased randomness" and report.get("framing_contrasts"):
            extra = "<h3>Framings side by side</h3>" + html_tables.framing_table(report["framing_contrasts"])
        if name == "Attractor states" and terminal.attractor_lines(group):
            extra = ("<details><summary>Snap-back, influence and story restart per model and injection</summary>"
                     f"<pre>{html.escape(chr(10).join(terminal.attractor_lines(group)))}</pre></details>")
        sections.append(_section(_anchor(name), name, ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o]),
                                 html_tables.verdict_table(group) + extra, _charts(name, group, report)))
    nav = "".join(f"<a href='#{_anchor(name)}'>{html.escape(name)}</a>"
                  for name in (["lineage"] if lineage else []) + sorted(by_phenomenon, key=phenomena.order))
    return ("<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>pytest-worldprior report: {summary['result']}</title><style>{STYLE}</style></head>\n<body>\n"
            f"{_header(report, summary)}\n<nav>{nav}</nav>\n" + "\n".join(sections) + "\n</body></html>\n")


def _charts(name: str, records: list[dict], report: Mapping) -> list[str]:
    if name == "Temperature insensitivity":
        return html_charts.temperature_curves(records, report.get("settings", {}).get("baseline", "baseline"))
    if name == "Biased randomness":
        return html_charts.answer_histograms(records)
    if name == "Prior shift":
        return html_charts.target_histograms(records)
    if name == "Attractor states":
        return html_charts.influence_curves(records)
    return []


def _header(report: Mapping, summary: dict) -> str:
    counts = [f"<span class='{o.lower()}'>{o} {summary['verdicts'][o]}</span>" for o in OUTCOMES]
    if summary["tests"] is not None:
        tests = summary["tests"]
        counts.append(f"<span class='skipped'>skipped {tests['skipped']}</span>")
        basis = (f"pytest exit code {summary['exit_code']}; tests: "
                 + ", ".join(f"{tests[word]} {word}" for word in TEST_COUNTS if tests[word]))
    else:
        counts.append("<span class='skipped'>skipped: not recorded</span>")
        basis = "from the verdicts: the JSON report does not record pytest's exit code or skipped tests"
    settings, models = report.get("settings", {}), report.get("models", {})
    roles = {reference: "checkpoint" for reference in settings.get("lineage", ())} if settings.get("lineage") else {
        settings.get("model"): "model under test", settings.get("baseline"): "baseline"}
    rows = "".join(
        f"<tr><td>{html.escape(roles.get(reference, 'model'))}</td><td>{html.escape(reference)}</td>"
        f"<td>{html.escape(str(info.get('backend', '-')))}</td>"
        f"<td title='{html.escape(str(info.get('weights_sha256', '')), quote=True)}'>{html.escape(str(info.get('weights_sha256', '-'))[:16])}</td>"
        f"<td title='{html.escape(str(info.get('tokenizer_sha256', '')), quote=True)}'>{html.escape(str(info.get('tokenizer_sha256', '-'))[:16])}</td>"
        f"<td>{html.escape(str(info.get('dtype', '-')))} on {html.escape(str(info.get('device', '-')))}</td></tr>"
        for reference, info in sorted(models.items(), key=lambda item: _position(list(roles), item[0])))
    models_table = ("<table class='models'><thead><tr><th>role</th><th>model</th><th>backend</th><th>weights sha256</th>"
                    f"<th>tokenizer sha256</th><th>dtype</th></tr></thead><tbody>{rows}</tbody></table>") if rows else (
        f"<p class='meta'>models: {html.escape(', '.join(dict.fromkeys(r['model'] for r in report['verdicts'])))} "
        "(fingerprints are in the JSON report, --worldprior-report)</p>")
    run = [f"{key} {settings[key]}" for key in ("seed", "baseline_seed", "fdr") if settings.get(key) is not None]
    run += [f"{name} {value}" for name, value in sorted(report.get("versions", {}).items())]
    return (f"<header class='gate {summary['result'].lower()}' id='gate'><h1>pytest-worldprior report</h1>"
            f"<div><span class='result'>{summary['result']}</span>"
            f"<span class='counts'>{''.join(counts)}</span></div>"
            f"<p class='meta'>{html.escape(basis)}; {sum(summary['verdicts'].values())} checks</p>{models_table}"
            f"<p class='meta'>{html.escape(' · '.join(run))}</p></header>")


def _position(names: list, name) -> int:
    return names.index(name) if name in names else len(names)


def _section(anchor: str, title: str, counts: str, body: str, charts: Sequence[str]) -> str:
    small = f" <small>{html.escape(counts)}</small>" if counts else ""
    grid = f"<div class='charts'>{''.join(charts)}</div>" if charts else ""
    return f"<section id='{anchor}'><h2>{html.escape(title)}{small}</h2>{body}{grid}</section>"


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def write_report(path: str | Path, report: Mapping, session: Mapping | None = None) -> None:
    """Write the page of `report` (and `session`, see `gate`) atomically."""
    atomic_write_text(Path(path), render(report, session))


def main(argv: Sequence[str] | None = None) -> int:
    """python -m pytest_worldprior.report.html REPORT.json -o REPORT.html: the page of a --worldprior-report
    file, checked against report.schema.json first (a file that does not match is an error naming the
    place and the problem)."""
    import jsonschema

    from .json_report import SCHEMA_PATH

    parser = argparse.ArgumentParser(prog="python -m pytest_worldprior.report.html", description=main.__doc__)
    parser.add_argument("report", type=Path, help="a JSON report written with --worldprior-report")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the HTML file to write")
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.report.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as problem:
        parser.error(f"cannot read the JSON report {args.report}: {problem}")
    try:
        jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    except jsonschema.ValidationError as problem:
        where = "/".join(map(str, problem.absolute_path)) or "the top level"
        parser.error(f"{args.report} is not a pytest-worldprior JSON report (report.schema.json): at {where}: {problem.message}")
    try:
        check_available()
    except ImportError as missing:
        parser.error(str(missing).replace("--worldprior-html", "the HTML report"))
    write_report(args.output, document)
    print(f"worldprior: report written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
