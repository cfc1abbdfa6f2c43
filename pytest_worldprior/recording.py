"""Every verdict an assertion reaches is recorded here, so the plugin can report it (JUnit properties now,
the session table and JSON report later). Outside pytest the record simply grows and can be read."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class VerdictRecord:
    check: str
    model: str
    prompt: str
    verdict: dict
    test: str | None = None
    extra: dict = field(default_factory=dict)


class Recorder:
    def __init__(self) -> None:
        self.records: list[VerdictRecord] = []
        self.models: dict[str, dict] = {}  # reference -> fingerprint (ModelInfo.as_dict) of every model checked
        self.current_test: str | None = None

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


RECORDER = Recorder()

# What an INCONCLUSIVE verdict does: "xfail" (default; raise Inconclusive, which the plugin reports as
# xfail with the numbers), "fail" (an AssertionError) or "warn" (a warning; the check passes).
INCONCLUSIVE_POLICIES = ("xfail", "fail", "warn")
