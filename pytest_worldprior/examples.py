"""Inside a Hypothesis example or not: generated examples are handled apart from ordinary checks.

An INCONCLUSIVE example is discarded rather than shrunk towards, and stored baselines neither record nor
compare generated examples (they vary from run to run). Hypothesis is looked up only if it is already
imported: a test that runs under `@given` has imported it, so a session that never uses Hypothesis never
pays for importing it.
"""

from __future__ import annotations

import sys


def in_generated_example() -> bool:
    """True while a Hypothesis `@given` test is running one of its examples."""
    hypothesis = sys.modules.get("hypothesis")
    return hypothesis is not None and hypothesis.currently_in_test_context()


def discard_example(reason: str) -> None:
    """Inside `@given`: count `reason` as an event and reject the example (Hypothesis draws another).
    Outside an example this does nothing."""
    if in_generated_example():
        hypothesis = sys.modules["hypothesis"]
        hypothesis.event(reason)
        hypothesis.reject()
