"""What the plugin shows: a progress status on an interactive terminal, library progress bars only
there, and the session report (terminal table, JSON, HTML) at the end."""

from __future__ import annotations

import sys
from contextlib import contextmanager, nullcontext

import pytest

from .state import registry_key


@contextmanager
def library_bars_only_on_a_terminal(config: pytest.Config):
    """transformers draws tqdm bars while a model loads and while a dequantised .gguf is written to the
    cache. Keep them on an interactive terminal; with -q or in a CI log, where every redraw becomes a
    line of noise, turn them off for the load."""
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

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.records.extend(getattr(report, "worldprior", None) or [])
        self.models.update(getattr(report, "worldprior_models", None) or {})
        for name, count in (getattr(report, "worldprior_cache", None) or {}).items():
            self.cache_counts[name] = self.cache_counts.get(name, 0) + count

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.records or self.config.get_verbosity() < -1:
            return
        terminalreporter.write_sep("=", "worldprior report")
        from ..report import (
            terminal as reporting,  # `report` is pytest's name for a test report
        )

        for line in reporting.table(self.records).splitlines():
            terminalreporter.write_line(line)
        choices = reporting.choice_lines(self.records)
        if choices:
            terminalreporter.write_sep("-", "random choices: top answer per framing")
            for line in choices:
                terminalreporter.write_line(line)
        settings = self.config.stash[registry_key].settings
        if settings.lineage:
            from ..report import lineage

            terminalreporter.write_sep("-", f"lineage: {' -> '.join(settings.lineage)}")
            for line in lineage.table(lineage.rows(self.records, settings.lineage), settings.lineage).splitlines():
                terminalreporter.write_line(line)
        attractors = reporting.attractor_lines(self.records)
        if attractors:
            terminalreporter.write_sep("-", "attractors: snap-back and influence")
            for line in attractors:
                terminalreporter.write_line(line)
        if self.fdr is not None:
            from . import fdr

            terminalreporter.write_sep("-", "sampled checks judged together (--worldprior-fdr)")
            for line in fdr.summary_lines(self.fdr):
                terminalreporter.write_line(line)
        if settings.no_cache or any(self.cache_counts.values()):  # nothing measured: nothing to say
            terminalreporter.write_line(self._cache_line(settings))
        for path in (settings.report, settings.html):
            if path:
                terminalreporter.write_line(f"worldprior: report written to {path}")

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

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        settings = self.config.stash[registry_key].settings
        if hasattr(self.config, "workerinput"):  # xdist: only the controller judges and writes
            return
        if settings.fdr is not None and self.records:  # before the terminal summary, which shows it
            from . import fdr

            self.fdr = fdr.apply(self.records, settings.fdr)
            if self.fdr.failed and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if settings.report:
            from ..report import json_report

            json_report.write_json(settings.report, json_report.document(self.records, self.models, settings.as_dict()))
        if settings.html:
            from ..report import html as html_report

            html_report.write(settings.html, self.records, lineage=settings.lineage)
