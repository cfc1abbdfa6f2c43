"""The record of every verdict an assertion reaches, so the plugin can report it (JUnit properties, the
session table, the JSON and HTML reports). Each session (`session.WorldpriorSession`) owns one
`Recorder`; outside pytest the default session's record simply grows and can be read
(`pytest_worldprior.session.current().recorder.records`).

Observers (the stored-baseline comparison) watch the checks as they are recorded: `observe(fn)` calls
`fn(event)` for each check, and whatever it returns (a judgement with `outcome`, `lines` and `details`)
goes back to the assertion, which folds it into its outcome. The assertions know only this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CheckEvent:
    """One check as an assertion concluded it, before it is recorded: the check's name, the model (a
    Backend), the prompt, the Verdict, and `own`: the model's own quantity as (estimate, interval or None,
    label) where the verdict is relative to a baseline, or None when there is no such quantity."""

    check: str
    model: Any
    prompt: Any
    verdict: Any
    own: tuple | None


@dataclass
class VerdictRecord:
    check: str
    model: str
    prompt: str
    verdict: dict
    test: str | None = None
    # "own": the model's own quantity {"estimate", "interval", "label"} where the verdict is relative to a
    # baseline (CheckEvent.own); the lineage table reads it.
    extra: dict = field(default_factory=dict)
    # The baseline's side of a comparison, where the check measured one: {"value": float, "unit": str}
    # (unit as a table reads it: "nats", "share", "on '7'"); the reports read it, never the details.
    baseline_value: dict | None = None
    # The checked model's own quantities for the lineage table, as the assertion measured them:
    # [{"name", "value", "interval"}] (checks.Quantity.as_dict; names are the kind's declared rows).
    quantities: list = field(default_factory=list)


class Recorder:
    def __init__(self) -> None:
        self.records: list[VerdictRecord] = []
        self.models: dict[str, dict] = {}  # reference -> fingerprint (ModelInfo.as_dict) of every model checked
        self.current_test: str | None = None
        self._observers: list[Callable[[CheckEvent], Any]] = []

    def observe(self, observer: Callable[[CheckEvent], Any]) -> None:
        """Call `observer(event)` for every check from now on (once, however often it is added)."""
        if observer not in self._observers:
            self._observers.append(observer)

    def unobserve(self, observer: Callable[[CheckEvent], Any]) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def judge(self, event: CheckEvent) -> list:
        """What the observers say of this check: every answer that is not None, in the order they were added."""
        return [answer for answer in (observer(event) for observer in list(self._observers)) if answer is not None]

    def add(self, record: VerdictRecord) -> None:
        record.test = self.current_test
        self.records.append(record)

    def start_test(self, nodeid: str) -> None:
        """Records made from now on belong to this test; earlier ones of the same id (a rerun, or a
        nested pytester session with the same test ids) are dropped."""
        self.records = [r for r in self.records if r.test != nodeid]
        self.current_test = nodeid

    def for_test(self, nodeid: str) -> list[VerdictRecord]:
        return [r for r in self.records if r.test == nodeid]

    def clear(self) -> None:
        self.records.clear()
        self.models.clear()
        self.current_test = None
