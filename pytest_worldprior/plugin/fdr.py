"""--worldprior-fdr Q: the run's sampled checks judged together at the end of the session.

During the run a sampled check that FAILs on its own is recorded, not raised (assertions/conclude.py).
At the end every sampled verdict gets a p-value from its interval (stats.verdict_p_value), the
Benjamini-Hochberg step (stats.benjamini_hochberg) decides which are FAIL at false discovery rate Q, and
the records say so: FAIL where rejected; INCONCLUSIVE where the check failed on its own but the run's
evidence does not carry it; otherwise as they were. Any FAIL makes the session's exit code 1.

A test whose verdicts the step changed gets its final outcome everywhere pytest reported the first one
(`settle`): in the terminal's counts and failure list, and in the JUnit XML file (--junitxml), whose
testcase and `worldprior.N.<check>.outcome` properties pytest had built when the test ended. So pytest,
the JUnit file and the exit code agree on every test.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree

import pytest

from .. import stats
from ..stats.outcome import Outcome, worst
from ..stats.verdicts import Verdict


@dataclass(frozen=True)
class FdrResult:
    q: float
    judged: int  # sampled verdicts judged together
    failed: tuple[str, ...]  # "test id: label" of each verdict that FAILs at Q
    changed: int  # verdicts whose outcome the step changed
    tests: tuple[str, ...] = ()  # ids of the tests with a verdict the step changed


def apply(records: list[dict], q: float) -> FdrResult:
    """Judge the sampled verdicts among `records` (dicts as the plugin collects them, changed in place:
    verdict["outcome"] and verdict["details"]["fdr"]) at false discovery rate q."""
    judged = [r for r in records if stats.judged_together(r["verdict"])]
    p_values = [stats.verdict_p_value(r["verdict"]) for r in judged]
    adjusted, rejected = stats.benjamini_hochberg(p_values, q)
    failed, changed, tests = [], 0, {}
    for record, p, p_adjusted, reject in zip(judged, p_values, adjusted, rejected):
        verdict = record["verdict"]
        deferred = bool(verdict["details"].pop("fdr_deferred", False))
        own = Outcome.FAIL.value if reject else Outcome.INCONCLUSIVE.value if deferred else Outcome.PASS.value
        outcome = worst(own, verdict["outcome"]).value  # a stored-baseline FAIL stays
        if outcome != verdict["outcome"]:
            changed += 1
            tests[record.get("test")] = None
        verdict["outcome"] = outcome
        verdict["details"]["fdr"] = {"q": q, "p_value": p, "adjusted_p_value": float(p_adjusted),
                                     "rejected": bool(reject), "failed_on_its_own": deferred}
        if reject:
            failed.append(f"{record.get('test') or '?'}: {verdict['label']}")
    return FdrResult(q, len(judged), tuple(failed), changed, tuple(t for t in tests if t))


def describe(record: dict) -> str:
    """A settled verdict as a failure says it without the step: the verdict's line (value, interval,
    threshold, n, method, alpha, seed), the model and prompt, the step's p-values, and the reproduce line."""
    verdict = record["verdict"]
    fields = {name: verdict[name] for name in Verdict.__dataclass_fields__ if name in verdict}
    fields["outcome"] = Outcome(verdict["outcome"])
    for name in ("interval", "threshold"):
        if isinstance(fields.get(name), list):
            fields[name] = tuple(fields[name])
    lines = [Verdict(**fields).describe(), f"  model:  {record.get('model')}", f"  prompt: {record.get('prompt')!r}"]
    fdr = verdict["details"].get("fdr")
    if fdr:
        lines.append(f"  p-value {fdr['p_value']:.3g}, Benjamini-Hochberg adjusted {fdr['adjusted_p_value']:.3g} "
                     f"(q {fdr['q']:g}; {'FAIL' if fdr['rejected'] else 'not carried'}; "
                     f"{'FAIL' if fdr['failed_on_its_own'] else 'no FAIL'} on its own)")
    if verdict["details"].get("reproduce"):
        lines.append(f"  reproduce: {verdict['details']['reproduce']}")
    return "\n".join(lines)


def settle(config: pytest.Config, result: FdrResult, records: list[dict], inconclusive: str) -> None:
    """Give each test the step changed its final outcome in pytest's terminal report and in the JUnit
    file's testcase, before either is written: FAIL -> failed; INCONCLUSIVE -> as the INCONCLUSIVE
    policy says (`xfail`: xfailed, `fail`: failed, `warn`: passed). Run before the JUnit plugin's
    pytest_sessionfinish (which writes the file) and the terminal summary."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    junit = _junit(config)
    for test in result.tests:
        own = [r for r in records if r.get("test") == test]
        final = worst(*(r["verdict"]["outcome"] for r in own))
        word = ("failed" if final is Outcome.FAIL or (final is Outcome.INCONCLUSIVE and inconclusive == "fail")
                else "xfailed" if final is Outcome.INCONCLUSIVE and inconclusive == "xfail" else "passed")
        message = "\n".join(describe(r) for r in own if r["verdict"]["outcome"] != Outcome.PASS.value)
        message = f"--worldprior-fdr: the run's sampled checks judged together:\n{message}"
        report = _move_report(terminal, test, word, message) if terminal is not None else None
        if junit is not None:
            _settle_testcase(junit, test, word, message, own, was_failed=report is not None and report[1] == "failed")


def _move_report(terminal, test: str, word: str, message: str) -> tuple[object, str] | None:
    """Move the test's call report to the terminal's `word` list and make it say so; (report, old word)."""
    for old, reports in list(terminal.stats.items()):
        for report in reports:
            if getattr(report, "nodeid", None) == test and getattr(report, "when", None) == "call":
                if old == word or old == "failed":  # failing already, for another reason: it stays failed
                    return report, old
                reports.remove(report)
                terminal.stats.setdefault(word, []).append(report)
                report.outcome = {"xfailed": "skipped"}.get(word, word)
                if word == "xfailed":
                    report.wasxfail = message
                elif word == "failed":
                    report.longrepr = message
                    if hasattr(report, "wasxfail"):
                        del report.wasxfail
                return report, old
    return None


def _junit(config: pytest.Config):
    """pytest's JUnit writer of this run (--junitxml), or None."""
    from _pytest.junitxml import xml_key  # no public handle; tests/test_fdr.py checks the file it writes

    return config.stash.get(xml_key, None)


def _settle_testcase(junit, test: str, word: str, message: str, records: list[dict], was_failed: bool) -> None:
    """Rewrite the test's finished <testcase>: its result element and its worldprior outcome properties."""
    from _pytest.junitxml import mangle_test_address

    names = mangle_test_address(test)
    classname = ".".join(names[:-1])
    if junit.prefix:
        classname = f"{junit.prefix}.{classname}"
    for reporter in junit.node_reporters_ordered:
        case = reporter.to_xml()  # a finished testcase: the element pytest will write
        if case.get("classname") != classname or case.get("name") != names[-1]:
            continue
        if was_failed:
            return
        results = [child for child in case if child.tag in ("failure", "skipped")]
        old = "failure" if any(c.tag == "failure" for c in results) else "skipped" if results else "passed"
        for child in results:
            case.remove(child)
        if word == "failed":
            ElementTree.SubElement(case, "failure", message=message).text = message
        elif word == "xfailed":
            ElementTree.SubElement(case, "skipped", type="pytest.xfail", message=message)
        new = {"failed": "failure", "xfailed": "skipped"}.get(word, "passed")
        if new != old:
            junit.stats[old] -= 1
            junit.stats[new] += 1
        for number, record in enumerate(records, 1):
            for prop in case.iter("property"):
                if prop.get("name") == f"worldprior.{number}.{record['check']}.outcome":
                    prop.set("value", record["verdict"]["outcome"])
        return


def summary_lines(result: FdrResult) -> list[str]:
    """The terminal section: what was judged, and each FAIL."""
    head = (f"Benjamini-Hochberg at false discovery rate {result.q:g} over {result.judged} sampled checks: "
            f"{len(result.failed)} FAIL" + ("" if result.failed else " (the sampled checks pass as a run)"))
    return [head] + [f"  FAIL {line}" for line in result.failed]
