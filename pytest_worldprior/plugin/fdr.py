"""--worldprior-fdr Q: the run's sampled checks judged together at the end of the session.

During the run a sampled check that FAILs on its own is recorded, not raised (assertions/conclude.py).
At the end every sampled verdict gets a p-value from its interval (stats.verdict_p_value), the
Benjamini-Hochberg step (stats.benjamini_hochberg) decides which are FAIL at false discovery rate Q, and
the records say so: FAIL where rejected; INCONCLUSIVE where the check failed on its own but the run's
evidence does not carry it; otherwise as they were. Any FAIL makes the session's exit code 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import stats
from ..stats import Outcome

_SEVERITY = [Outcome.PASS.value, Outcome.INCONCLUSIVE.value, Outcome.FAIL.value]


@dataclass(frozen=True)
class FdrResult:
    q: float
    judged: int  # sampled verdicts judged together
    failed: tuple[str, ...]  # "test id: label" of each verdict that FAILs at Q
    changed: int  # verdicts whose outcome the step changed


def apply(records: list[dict], q: float) -> FdrResult:
    """Judge the sampled verdicts among `records` (dicts as the plugin collects them, changed in place:
    verdict["outcome"] and verdict["details"]["fdr"]) at false discovery rate q."""
    judged = [r for r in records if stats.judged_together(r["verdict"])]
    p_values = [stats.verdict_p_value(r["verdict"]) for r in judged]
    adjusted, rejected = stats.benjamini_hochberg(p_values, q)
    failed, changed = [], 0
    for record, p, p_adjusted, reject in zip(judged, p_values, adjusted, rejected):
        verdict = record["verdict"]
        deferred = bool(verdict["details"].pop("fdr_deferred", False))
        own = Outcome.FAIL.value if reject else Outcome.INCONCLUSIVE.value if deferred else Outcome.PASS.value
        outcome = max(own, verdict["outcome"], key=_SEVERITY.index)  # a stored-baseline FAIL stays
        changed += outcome != verdict["outcome"] or deferred
        verdict["outcome"] = outcome
        verdict["details"]["fdr"] = {"q": q, "p_value": p, "adjusted_p_value": float(p_adjusted),
                                     "rejected": bool(reject), "failed_on_its_own": deferred}
        if reject:
            failed.append(f"{record.get('test') or '?'}: {verdict['label']}")
    return FdrResult(q, len(judged), tuple(failed), changed)


def summary_lines(result: FdrResult) -> list[str]:
    """The terminal section: what was judged, and each FAIL."""
    head = (f"Benjamini-Hochberg at false discovery rate {result.q:g} over {result.judged} sampled checks: "
            f"{len(result.failed)} FAIL" + ("" if result.failed else " (the sampled checks pass as a run)"))
    return [head] + [f"  FAIL {line}" for line in result.failed]
