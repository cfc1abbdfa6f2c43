"""What the plugin shows: a progress status on an interactive terminal, library progress bars only
there, and the session report (terminal table, JSON, HTML) at the end."""

from __future__ import annotations

import sys
import textwrap
from contextlib import contextmanager, nullcontext

import pytest

from .state import baselines_key, registry_key


@contextmanager
def library_bars_only_on_a_terminal(config: pytest.Config):
    """transformers draws tqdm bars while a model loads, and its .gguf converter while a file's first load
    writes the dequantised copy to the cache. Keep them on an interactive terminal (stderr a TTY, as tqdm
    itself decides); with -q or in a CI log, where every redraw becomes a line of noise, turn them all off
    for the load."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        interactive = sys.stderr.isatty()
    if interactive and config.get_verbosity() >= 0:
        yield
        return
    from ..backends.hf.progress_bars import progress_bars_off

    with progress_bars_off():
        yield


class TerminalStatus:
    """Shows a progress status at the end of pytest's current line and erases it (backspaces) when the
    step ends, on an interactive terminal only. It writes to the real stderr with capture suspended, as
    pytest's live logging does, so pytest's own line and its bookkeeping stay as they were."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.width = 0  # characters of status now on screen

    def __call__(self, text: str) -> None:
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        writer = self.config.get_terminal_writer()
        with capture.global_and_fixture_disabled() if capture else nullcontext():
            if not sys.stderr.isatty():
                return
            room = writer.fullwidth - writer.width_of_current_line - 10  # leave pytest's " [ 42%]"
            text = f" {text}" if text and len(text) < room else ""
            erase = "\b" * self.width + " " * self.width + "\b" * self.width
            sys.stderr.write(erase + text)
            sys.stderr.flush()
            self.width = len(text)


class SessionReport:
    """Collects every test's verdict records and the fingerprints of the models behind them (under xdist
    they arrive on the controller with the test reports), then prints the report and writes the JSON."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records: list[dict] = []
        self.models: dict[str, dict] = {}
        self.cache_counts: dict[str, int] = {}
        self.fdr = None  # plugin.fdr.FdrResult once --worldprior-fdr has judged the run
        self.exitstatus: int | None = None  # the session's, once it ends (--worldprior-fdr may change it)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.records.extend(getattr(report, "worldprior", None) or [])
        self.models.update(getattr(report, "worldprior_models", None) or {})
        for name, count in (getattr(report, "worldprior_cache", None) or {}).items():
            self.cache_counts[name] = self.cache_counts.get(name, 0) + count

    def pytest_terminal_summary(self, terminalreporter, exitstatus: int) -> None:
        """The worldprior report within the terminal's width (pytest's `fullwidth`): the verdict table
        (report.terminal.fitted_table) and its sections, with -v every verdict in full; then the stored
        baselines' lines, the cache line and the reports' paths (whole); last, one line with the gate's result."""
        if self.config.get_verbosity() < -1:
            return
        width = self.config.get_terminal_writer().fullwidth
        settings = self.config.stash[registry_key].settings
        if self.records:
            self._report(terminalreporter, settings, width)
        # Status lines that name files stay whole: a log is searched for them.
        stored = self.config.stash.get(baselines_key, None)
        for line in stored.summary_lines() if stored is not None else ():
            terminalreporter.write_line(line)
        if settings.no_cache or any(self.cache_counts.values()):  # nothing measured: nothing to say
            terminalreporter.write_line(self._cache_line(settings))
        for path in (settings.report, settings.html):
            if path:
                terminalreporter.write_line(f"worldprior: report written to {path}")
        if self.records:  # pytest hands this hook the exit status from before --worldprior-fdr judged the run
            terminalreporter.write_line(gate_line(self.records, exitstatus if self.exitstatus is None else self.exitstatus))

    def _report(self, terminalreporter, settings, width: int) -> None:
        from ..report import (
            terminal as reporting,  # `report` is pytest's name for a test report
        )

        terminalreporter.write_sep("=", "worldprior report")
        for line in reporting.fitted_table(self.records, width):
            terminalreporter.write_line(line)
        # (title, lines, whether a line longer than the width continues on indented lines: not a table's)
        sections = [("random choices: top answer per framing", reporting.choice_lines(self.records), True)]
        if settings.lineage:
            from ..report import lineage

            table = lineage.table(lineage.rows(self.records, settings.lineage), settings.lineage)
            sections.append((f"lineage: {' -> '.join(settings.lineage)}", table.splitlines(), False))
        sections.append(("attractors: snap-back and influence", reporting.attractor_lines(self.records), True))
        if self.fdr is not None:
            from . import fdr

            sections.append(("sampled checks judged together (--worldprior-fdr)", fdr.summary_lines(self.fdr), True))
        if self.config.get_verbosity() >= 1:
            sections.append(("every verdict in full (-v)", reporting.detail_lines(self.records), True))
        for title, lines, wrap in sections:
            if lines:
                terminalreporter.write_sep("-", title)
            for line in lines:
                if wrap:
                    _write_wrapped(terminalreporter, line, width)
                else:
                    terminalreporter.write_line(line)

    def _cache_line(self, settings) -> str:
        if settings.no_cache:
            return "worldprior: results cache off (--worldprior-no-cache): every measurement was computed"
        counts = self.cache_counts
        line = (f"worldprior: results cache {settings.cache_dir / 'results'}: {counts.get('read', 0)} measurements read, "
                f"{counts.get('computed', 0)} computed")
        if counts.get("damaged"):
            line += f", {counts['damaged']} damaged entries recomputed"
        if counts.get("uncacheable"):
            line += f", {counts['uncacheable']} not cacheable (an argument without a stable key, e.g. a lambda)"
        return line + " (--worldprior-no-cache recomputes all)"

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        settings = self.config.stash[registry_key].settings
        if hasattr(self.config, "workerinput"):  # xdist: only the controller judges and writes
            return
        if settings.fdr is not None and self.records:  # before the terminal summary and the JUnit file
            from . import fdr

            self.fdr = fdr.apply(self.records, settings.fdr)
            fdr.settle(self.config, self.fdr, self.records, settings.inconclusive)
            if self.fdr.failed and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.exitstatus = int(session.exitstatus)
        if settings.report:
            from ..report import json_report

            json_report.write_json(settings.report, json_report.document(self.records, self.models, settings.as_dict()))
        if settings.html:
            from ..report import html as html_report
            from ..report import json_report

            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            stats = reporter.stats if reporter else {}
            tests = {word: sum(1 for r in stats.get(word, ()) if getattr(r, "count_towards_summary", True))
                     for word in html_report.TEST_COUNTS}
            html_report.write_report(settings.html, json_report.document(self.records, self.models, settings.as_dict()),
                                     {"exit_code": int(session.exitstatus), "tests": tests})


def gate_line(records: list[dict], exitstatus: int) -> str:
    """The last line of the report: the gate's result (pytest's exit code decides it) and the verdict counts."""
    counts = {outcome: sum(r["verdict"]["outcome"] == outcome for r in records) for outcome in ("FAIL", "INCONCLUSIVE", "PASS")}
    result = "PASSED" if int(exitstatus) == 0 else "FAILED"
    return (f"worldprior: gate {result} (exit code {int(exitstatus)}): {counts['FAIL']} FAIL, {counts['INCONCLUSIVE']} "
            f"INCONCLUSIVE, {counts['PASS']} PASS of {len(records)} checks")


def _write_wrapped(terminalreporter, line: str, width: int) -> None:
    """One report line within `width` characters: a longer one continues on indented lines (a random-choice
    line breaks between its framings, at " | ")."""
    if len(line) <= width:
        terminalreporter.write_line(line)
        return
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    first, *others = line.split(" | ")
    pieces = [first] + [indent + "| " + other for other in others]
    for piece in pieces:
        for wrapped in textwrap.wrap(piece, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False,
                                     drop_whitespace=True) or [piece]:
            terminalreporter.write_line(wrapped)
