"""One run's state: `WorldpriorSession` owns what a pytest session (or a plain Python process) holds while
it checks models: the settings, the record of verdicts, the seeds, the INCONCLUSIVE and FDR policies,
the results cache, the stored-baseline comparison and where progress is shown.

The plugin creates one in `pytest_configure`, keeps it in `config.stash` and makes it the current one
(`activate`) until `pytest_unconfigure` puts the previous one back (`restore`). A pytest session run
inside another (pytester's in-process runs, an IDE runner) therefore has its own and leaves the outer
one as it was. Outside pytest, `current()` makes a default session on first use: seed 0, INCONCLUSIVE
raised as `Inconclusive`, no results cache, no stored baselines.

The current session is a `contextvars.ContextVar`, so nothing in the package keeps run state in a
module global (tests/test_architecture.py checks that by AST).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from .recording import Recorder

# What an INCONCLUSIVE verdict does: "xfail" (default; raise Inconclusive, which the plugin reports as
# xfail with the numbers), "fail" (an AssertionError) or "warn" (a warning; the check passes).
INCONCLUSIVE_POLICIES = ("xfail", "fail", "warn")


@dataclass(frozen=True)
class Seeds:
    """The seeds an assertion takes by default: `seed` (--worldprior-seed), `baseline_seed` for the
    baseline's side (--worldprior-baseline-seed; None: the same seed as the model's side), and
    `per_test`: test id -> the seed its `worldprior` marker sets."""

    seed: int = 0
    baseline_seed: int | None = None
    per_test: Mapping[str, int] = field(default_factory=dict)


@dataclass(eq=False)
class WorldpriorSession:
    """What one run holds. `cache` is a `results_cache.ResultsCache` (None: off); `baselines` the
    stored-baseline comparison (`baselines.session.BaselineSession`, None: off), which also observes the
    recorder; `display(text)` shows progress (None: not shown); `settings` the plugin's `Settings`
    (None outside pytest). Typed loosely: this module sits below the parts that define them."""

    recorder: Recorder = field(default_factory=Recorder)
    seeds: Seeds = field(default_factory=Seeds)
    inconclusive: str = "xfail"
    fdr: float | None = None
    cache: Any = None
    baselines: Any = None
    display: Callable[[str], None] | None = None
    settings: Any = None

    def __post_init__(self) -> None:
        self.set_inconclusive_policy(self.inconclusive)
        self.set_fdr_level(self.fdr)

    def set_inconclusive_policy(self, policy: str) -> None:
        """Raises ValueError for a policy not in INCONCLUSIVE_POLICIES."""
        if policy not in INCONCLUSIVE_POLICIES:
            raise ValueError(f"inconclusive policy must be one of {INCONCLUSIVE_POLICIES}, got {policy!r}")
        self.inconclusive = policy

    def set_fdr_level(self, q: float | None) -> None:
        """Raises ValueError unless q is None or a number in (0, 1)."""
        if q is not None and not 0 < q < 1:
            raise ValueError(f"a false discovery rate lies between 0 and 1, got {q!r}")
        self.fdr = q

    def seeds_now(self) -> tuple[int, int | None]:
        """(seed, baseline_seed) for an assertion called now without them: the running test's marker seed,
        else the session's. baseline_seed None means the same as seed."""
        return self.seeds.per_test.get(self.recorder.current_test, self.seeds.seed), self.seeds.baseline_seed


_CURRENT: ContextVar[WorldpriorSession | None] = ContextVar("pytest_worldprior_session", default=None)


def current() -> WorldpriorSession:
    """The session assertions, measures and backends use now; outside pytest a default one, made once."""
    session = _CURRENT.get()
    if session is None:
        session = WorldpriorSession()
        _CURRENT.set(session)
    return session


def activate(session: WorldpriorSession) -> Token:
    """Make `session` the current one; give the returned token to `restore` when it ends."""
    return _CURRENT.set(session)


def restore(token: Token) -> None:
    """Put back the session that was current before `activate` returned `token`."""
    _CURRENT.reset(token)


@contextmanager
def running(session: WorldpriorSession) -> Iterator[WorldpriorSession]:
    """`with running(WorldpriorSession(cache=...)) as s:` the session is current inside the block only
    (scripts and benchmarks that check models outside pytest, and tests)."""
    token = activate(session)
    try:
        yield session
    finally:
        restore(token)


# The policies as functions too: the public API has them (pytest_worldprior.set_inconclusive_policy).
def inconclusive_policy() -> str:
    """What an INCONCLUSIVE verdict does now (--worldprior-inconclusive): "xfail", "fail" or "warn"."""
    return current().inconclusive


def set_inconclusive_policy(policy: str) -> None:
    """Set the current session's INCONCLUSIVE policy; raises ValueError for one not in INCONCLUSIVE_POLICIES."""
    current().set_inconclusive_policy(policy)


def fdr_level() -> float | None:
    """The false discovery rate Q at which the run's sampled checks are judged together (--worldprior-fdr),
    or None: then each check decides on its own."""
    return current().fdr
