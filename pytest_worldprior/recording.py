"""Every verdict an assertion reaches is recorded here, so the plugin can report it (JUnit properties,
the session table, the JSON and HTML reports). Outside pytest the record simply grows and can be read.

It also holds the session's seeds (`session_seeds`): what an assertion called without `seed=` uses.
The plugin sets them from --worldprior-seed, --worldprior-baseline-seed and a test's marker; outside
pytest the seed is 0.

Observers (the stored-baseline comparison) watch the checks as they are recorded: `observe(fn)` calls
`fn(event)` for each check, and whatever it returns (a judgement with `outcome`, `lines` and `details`)
goes back to the assertion, which folds it into its outcome. The assertions know only this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


RECORDER = Recorder()

# What an INCONCLUSIVE verdict does: "xfail" (default; raise Inconclusive, which the plugin reports as
# xfail with the numbers), "fail" (an AssertionError) or "warn" (a warning; the check passes).
INCONCLUSIVE_POLICIES = ("xfail", "fail", "warn")
_policy = {"inconclusive": "xfail", "fdr": None}


def inconclusive_policy() -> str:
    """What an INCONCLUSIVE verdict does now (--worldprior-inconclusive): "xfail", "fail" or "warn"."""
    return _policy["inconclusive"]


def set_inconclusive_policy(policy: str) -> None:
    """Raises ValueError for a policy not in INCONCLUSIVE_POLICIES."""
    if policy not in INCONCLUSIVE_POLICIES:
        raise ValueError(f"inconclusive policy must be one of {INCONCLUSIVE_POLICIES}, got {policy!r}")
    _policy["inconclusive"] = policy


def fdr_level() -> float | None:
    """The false discovery rate Q at which the run's sampled checks are judged together (--worldprior-fdr),
    or None: then each check decides on its own."""
    return _policy["fdr"]


def set_fdr_level(q: float | None) -> None:
    """Raises ValueError unless q is None or a number in (0, 1)."""
    if q is not None and not 0 < q < 1:
        raise ValueError(f"a false discovery rate lies between 0 and 1, got {q!r}")
    _policy["fdr"] = q


@dataclass(frozen=True)
class Seeds:
    """The seeds an assertion takes by default: `seed` (--worldprior-seed), `baseline_seed` for the
    baseline's side (--worldprior-baseline-seed; None: the same seed as the model's side), and
    `per_test`: test id -> the seed its `worldprior` marker sets."""

    seed: int = 0
    baseline_seed: int | None = None
    per_test: Mapping[str, int] = field(default_factory=dict)


_seeds = {"now": Seeds()}


def session_seeds() -> tuple[int, int | None]:
    """(seed, baseline_seed) for an assertion called now without them: the running test's marker seed,
    else the session's; (0, None) outside pytest. baseline_seed None means the same as seed."""
    seeds = _seeds["now"]
    return seeds.per_test.get(RECORDER.current_test, seeds.seed), seeds.baseline_seed


def current_seeds() -> Seeds:
    return _seeds["now"]


def use_seeds(seeds: Seeds) -> Seeds:
    """Make `seeds` the default from now on; returns the previous ones (to restore at the session's end)."""
    previous, _seeds["now"] = _seeds["now"], seeds
    return previous
