"""Stored baselines in a pytest session: which file and entry each test has, the `worldprior_stored`
fixture, and the controller's side: merging what the tests recorded into the files, reporting entries
that no test used.

Tests run wherever pytest runs them (an xdist worker, or the only process); each test's result
travels on its report. The process that sees every report (the controller, or the only process) is the
only one that writes, once, at the end of the session: one file per module, atomically, in a stable
order, so a serial run and an `-n 2` run with the same seed write the same bytes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .. import session
from ..baselines import files as baselines
from ..baselines.session import BaselineSession
from ..stats.outcome import Outcome

_PACKAGE = Path(__file__).resolve().parents[1]  # pytest_worldprior/, installed or a checkout's


def test_key(nodeid: str) -> tuple[str, str]:
    """(module, test id within it) of a test's node id."""
    module, _, key = nodeid.partition("::")
    return module, key


@dataclass
class _ModuleSeen:
    module: str
    collected: set[str] = field(default_factory=set)  # every test the module has, selected or not
    ran: dict[str, dict] = field(default_factory=dict)  # test id -> what the test reported


class StoredBaselines:
    """Registered by the plugin for every session; does nothing visible unless baselines are in use."""

    def __init__(self, session: BaselineSession, update: bool) -> None:
        self.session = session
        self.update = update
        self._collected: dict[str, set[str]] = {}  # this process: module file -> test ids
        self._announced: set[str] = set()  # modules whose test list already went out on a report
        self._files: dict[str, _ModuleSeen] = {}  # controller: baseline file -> what the tests reported
        self.summary: list[str] = []
        self.problems: list[str] = []

    # --- every process ---------------------------------------------------------------------------

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        """Every collected test, before -k / -m deselection: an entry of a deselected test is not unused.
        Recording into the installed package (its bundled suite collected by path) is a usage error."""
        file = self.session.file_for(item.path)
        if self.update and _PACKAGE in file.resolve().parents:
            raise pytest.UsageError(f"pytest-worldprior: --worldprior-update-baselines would write {file}, inside the installed "
                                    "package; run the bundled suite with --worldprior-suite instead of its path: its stored "
                                    f"baselines then go to ./{file.parent.name}/ in the current directory")
        self._collected.setdefault(str(file), set()).add(test_key(item.nodeid)[1])

    def start(self, item: pytest.Item, model, baseline, marker_fail_on: str | None) -> None:
        if not isinstance(item, pytest.Function):
            return
        module, key = test_key(item.nodeid)
        try:
            self.session.start_test(item.path, module, key, model, baseline, marker_fail_on)
            return
        except baselines.BaselineFileError as damaged:
            problem = str(damaged)
        pytest.fail(problem, pytrace=False)  # outside the except: no "during handling" chain in the report

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        """After the test function returns, the prior_kl gate's next-token distributions (one forward pass
        per check: recording a verdict runs no model). Their lines go to the test's report (a section shown
        with a failure), and each check's record carries the gate's outcome. A prior_kl FAIL fails a test that
        passed or ended INCONCLUSIVE. A test that raised anything else keeps its own error: the gate is judged
        for the records only, and an error while judging is written in the section. An interrupt (Ctrl-C,
        pytest.exit) is not held up."""
        try:
            result = yield
        except (KeyboardInterrupt, SystemExit, pytest.exit.Exception):
            raise
        except BaseException as raised:
            if not is_inconclusive(raised):
                try:
                    self._judge_next_tokens(item)
                except Exception as error:  # the test's own error is the one to show
                    item.add_report_section("call", "worldprior prior_kl", f"not judged: {type(error).__name__}: {error}")
                raise
            self._judge_next_tokens(item, fail=True)
            raise
        self._judge_next_tokens(item, fail=True)
        return result

    def _judge_next_tokens(self, item: pytest.Item, fail: bool = False) -> None:
        judgement = self.session.judge_next_tokens(session.current().recorder.for_test(item.nodeid))
        if judgement is None:
            return
        item.add_report_section("call", "worldprior prior_kl", "\n".join(judgement.lines))
        if fail and judgement.outcome is Outcome.FAIL:
            raise AssertionError("FAIL against the stored baseline\n" + "\n".join(judgement.lines)) from None

    def finish(self, item: pytest.Item, report: pytest.TestReport) -> None:
        result = self.session.finish_test()
        if result is None:
            return
        if result["file"] not in self._announced:  # the module's full test list, once per process
            self._announced.add(result["file"])
            result["collected"] = sorted(self._collected.get(result["file"], ()))
        report.worldprior_stored = result

    # --- the process that sees every report --------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = getattr(report, "worldprior_stored", None)
        if not result:
            return
        seen = self._files.setdefault(result["file"], _ModuleSeen(result["module"]))
        seen.collected.update(result.get("collected", ()))
        seen.ran[result["test"]] = result

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):  # xdist worker: the controller writes
            return
        for file in sorted(self._files):
            try:
                if self.update:
                    self._write(Path(file), self._files[file])
                else:
                    self._report_unused(Path(file), self._files[file])
            except baselines.BaselineFileError as damaged:
                self.problems.append(str(damaged))
        if self.problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _write(self, path: Path, seen: _ModuleSeen) -> None:
        old = baselines.read_file(path) if path.exists() else None
        entries = dict((old or {}).get("entries", {}))
        models = dict((old or {}).get("models", {}))
        recorded, removed = 0, []
        for key, result in seen.ran.items():
            if result["entry"] is not None:
                entries[key] = result["entry"]
                if result["fingerprint"] is not None:
                    models[result["entry"]["model"]] = result["fingerprint"]
                recorded += 1
            elif entries.pop(key, None) is not None:  # the test ran and measured nothing
                removed.append(key)
        for key in sorted(set(entries) - seen.collected):  # the test is gone
            del entries[key]
            removed.append(key)
        models = {ref: fp for ref, fp in models.items() if any(e["model"] == ref for e in entries.values())}
        document = {"schema_version": baselines.SCHEMA_VERSION, "module": seen.module, "models": models, "entries": entries}
        if not entries:
            if path.exists():
                path.unlink()
                self.summary.append(f"{path}: removed (no test records anything in it any more)")
            return
        if document != old:
            baselines.write_file(path, document)
        line = f"{path}: {recorded} entries recorded"
        if removed:
            line += f", {len(removed)} unused removed ({', '.join(sorted(removed))})"
        self.summary.append(line)

    def _report_unused(self, path: Path, seen: _ModuleSeen) -> None:
        stored = self.session.document(path) if path.exists() else None
        if stored is None:
            return
        compared = sum(result["used"] for result in seen.ran.values())
        self.summary.append(f"{path}: {compared} of {len(seen.ran)} tests compared with their stored entries")
        gone = set(stored["entries"]) - seen.collected
        idle = {key for key, result in seen.ran.items() if key in stored["entries"] and not result["used"]}
        if gone | idle:
            self.summary.append(f"{path}: {len(gone | idle)} stored entries no test used ({', '.join(sorted(gone | idle))}); "
                                "--worldprior-update-baselines removes them")

    def summary_lines(self) -> list[str]:
        """What the session did with the stored baselines, for the end of the worldprior report (the
        process that wrote or compared them; none where nothing was stored or compared)."""
        label = "NOT WRITTEN: " if self.update else ""
        return ([f"worldprior: baselines: {line}" for line in self.summary]
                + [f"worldprior: baselines: {label}{problem}" for problem in self.problems])


class StoredValues:
    """The `worldprior_stored` fixture: compare any number a test measured with its stored baseline."""

    def __init__(self, session: BaselineSession | None) -> None:
        self._session = session

    def compare(self, name: str, value: float, *, interval: tuple[float, float] | None = None, limit: str | None = None) -> None:
        """Recording (--worldprior-update-baselines), store `value` (and its interval) under `name`;
        otherwise judge it against the stored one: `limit` like a gate's, e.g. "-10%" (may fall by 10 %),
        "+0.1" (may rise by 0.1), "0.2" (either way); or a --worldprior-fail-on gate of the same name.
        FAIL raises AssertionError with both values; INCONCLUSIVE follows --worldprior-inconclusive."""
        __tracebackhide__ = True
        if self._session is None:
            return
        comparison = self._session.compare_value(name, value, interval, limit)
        if comparison is None or comparison.outcome is Outcome.PASS:
            return
        message = "\n".join(comparison.lines)
        if comparison.outcome is Outcome.FAIL:
            raise AssertionError(message)
        from ..assertions.conclude import Inconclusive, InconclusiveWarning, inconclusive_policy

        policy = inconclusive_policy()
        if policy == "fail":
            raise AssertionError("INCONCLUSIVE treated as failure (--worldprior-inconclusive=fail)\n" + message)
        if policy == "warn":
            import warnings

            warnings.warn(InconclusiveWarning(message), stacklevel=2)
            return
        raise Inconclusive("INCONCLUSIVE: " + message)


def is_inconclusive(error: BaseException) -> bool:
    """An assertion's INCONCLUSIVE (reported as xfail); only an assertion can raise it, so it is loaded."""
    conclude = sys.modules.get("pytest_worldprior.assertions.conclude")
    return conclude is not None and isinstance(error, conclude.Inconclusive)
