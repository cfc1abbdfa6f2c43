"""The three outcomes of a check. Kept apart, with no imports, so that code which only names outcomes
(the --worldprior-fail-on gates read at start-up) does not load numpy and scipy."""

from __future__ import annotations

import enum


class Outcome(enum.Enum):
    """PASS, FAIL or INCONCLUSIVE; the value is the name as a string."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
