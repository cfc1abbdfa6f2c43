"""The --worldprior-fail-on gate syntax (issue 6): reading CHECK:LIMIT items and judging a change with intervals."""

import math

import pytest

from pytest_worldprior.baselines.gates import Gate, GateSyntaxError, parse_gates
from pytest_worldprior.stats import Outcome


def test_items_are_read_with_direction_and_unit():
    gates = parse_gates(["entropy:-10% prior_kl:0.05", "mode_share:+0.1,temperature:0.2"])
    assert gates == {
        "entropy": Gate("entropy", 0.10, -1, True),
        "prior_kl": Gate("prior_kl", 0.05, +1, False),
        "mode_share": Gate("mode_share", 0.1, +1, False),
        "temperature": Gate("temperature", 0.2, 0, False),
    }
    assert [str(g) for g in gates.values()] == ["entropy:-10%", "prior_kl:0.05", "mode_share:+0.1", "temperature:0.2"]


def test_the_last_item_for_a_check_wins():
    assert parse_gates(["entropy:-10%", "entropy:-5%"])["entropy"].limit == pytest.approx(0.05)


@pytest.mark.parametrize("item, problem", [
    ("entropy-10%", "is not CHECK:LIMIT"),
    ("entropy:ten", "is not CHECK:LIMIT"),
    ("entropy:", "is not CHECK:LIMIT"),
    ("entropi:-10%", "unknown check 'entropi'; known: entropy, sequence_entropy"),
    ("prior_kl:5%", "prior_kl takes a plain number of nats"),
    ("prior_kl:-0.1", "prior_kl takes a plain number of nats"),
])
def test_a_bad_item_is_named_with_the_fix(item, problem):
    with pytest.raises(GateSyntaxError, match=problem) as error:
        parse_gates([item])
    assert repr(item) in str(error.value)


def test_a_relative_fall_is_judged_against_the_stored_value():
    gate = parse_gates(["entropy:-10%"])["entropy"]
    assert gate.allowed(4.0) == (-0.4, math.inf)
    assert gate.judge(4.0, None, 3.7, None) is Outcome.PASS  # exact: fell 0.3 < 0.4
    assert gate.judge(4.0, None, 3.5, None) is Outcome.FAIL
    assert gate.judge(4.0, None, 9.0, None) is Outcome.PASS  # rising is not limited


def test_a_change_beyond_the_gate_that_the_intervals_cannot_confirm_is_inconclusive():
    gate = parse_gates(["mode_share:+0.1"])["mode_share"]
    assert gate.judge(0.2, (0.1, 0.3), 0.35, (0.25, 0.45)) is Outcome.INCONCLUSIVE  # change 0.15 +- 0.14
    assert gate.judge(0.2, (0.1, 0.3), 0.25, (0.15, 0.35)) is Outcome.PASS  # change 0.05 +- 0.14: noise
    assert gate.judge(0.2, (0.18, 0.22), 0.22, (0.2, 0.24)) is Outcome.PASS  # change 0.02 +- 0.03
    assert gate.judge(0.1, (0.08, 0.12), 0.9, (0.85, 0.95)) is Outcome.FAIL


def test_prior_kl_uses_the_certain_interval_of_the_stored_kl():
    gate = parse_gates(["prior_kl:0.05"])["prior_kl"]
    assert gate.judge(0.0, None, 0.01, (0.01, 0.04)) is Outcome.PASS
    assert gate.judge(0.0, None, 0.02, (0.02, 0.3), certain=True) is Outcome.INCONCLUSIVE  # the KL may be 0.3
    assert gate.judge(0.0, None, 0.2, (0.2, 0.3)) is Outcome.FAIL
