"""The three outcomes of a check. Kept apart, with no imports, so that code which only names outcomes
(the --worldprior-fail-on gates read at start-up) does not load numpy and scipy."""

from __future__ import annotations

import enum


class Outcome(enum.Enum):
    """PASS, FAIL or INCONCLUSIVE; the value is the name as a string."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"

    @property
    def severity(self) -> int:
        """PASS 0, INCONCLUSIVE 1, FAIL 2: when several outcomes decide together, the most severe wins."""
        return SEVERITY.index(self)


SEVERITY = (Outcome.PASS, Outcome.INCONCLUSIVE, Outcome.FAIL)  # least severe first; the one ordering


def worst(*outcomes: Outcome | str) -> Outcome:
    """The most severe of `outcomes` (Outcome members or their names; PASS when there are none)."""
    return max((Outcome(o) for o in outcomes), key=SEVERITY.index, default=Outcome.PASS)
