"""What every assertion shares: the `@assertion` decorator (deprecated argument names, and the bound call
that the reproduce line is written from), which way to measure (from logits or from samples), a verdict
from an estimate and its interval, the sequential rule, and `conclude`: record the verdict, let observers
(stored baselines) judge it, and raise on FAIL (and on INCONCLUSIVE, by policy) with the numbers, the seed
and a line that reproduces the check.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from .. import examples, recording, session, stats
from ..backends.base import Backend
from ..checks import Quantity, check_quantities
from ..jsonsafe import jsonable
from ..session import inconclusive_policy, set_inconclusive_policy  # noqa: F401 (public here too)
from ..stats import Outcome, Verdict
from ..stats.outcome import worst as worst_outcome
from . import arguments, values
from .reproduce import reproduce_line


class Inconclusive(Exception):
    """The interval straddles the threshold even at the sample cap: neither PASS nor FAIL can be claimed."""


class InconclusiveWarning(UserWarning):
    pass


@dataclass
class _Call:
    """The call of the assertion now running: its name, the call as its decorator bound it (defaults
    applied, seeds resolved), what the caller gave (name -> value, None left out) and, once the assertion
    knows it, the mode it runs in (arguments.Mode)."""

    function: str
    bound: inspect.BoundArguments
    given: dict
    mode: arguments.Mode | None = None


_CALL: contextvars.ContextVar = contextvars.ContextVar("worldprior_assertion_call", default=None)


def assertion(*, legacy: Callable | None = None, **renamed: str):
    """Decorate a public assertion: `@assertion(min_gain="min_gain_nats", mode="method")`.

    Each old keyword still works for one release with a DeprecationWarning that names the new one;
    giving both is a TypeError. `legacy(args, kwargs)` may rewrite an old calling convention and return
    (args, kwargs, warning text or None). The call is then bound to the signature with its defaults
    applied; `conclude` writes the reproduce line from it. The rename table is `fn.renamed_arguments`."""

    def decorate(fn):
        signature = inspect.signature(fn)
        for old, new in renamed.items():
            if new not in signature.parameters or old in signature.parameters:
                raise TypeError(f"{fn.__name__}: cannot rename {old} to {new}")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            __tracebackhide__ = True
            if legacy is not None:
                args, kwargs, message = legacy(args, kwargs)
                if message:
                    warnings.warn(message, DeprecationWarning, stacklevel=2)
            for old, new in renamed.items():
                if old in kwargs and new in kwargs:
                    raise TypeError(f"{fn.__name__}() got both {old}= and {new}=: {old} is deprecated, give {new} only")
            for old, new in renamed.items():
                if old in kwargs:
                    warnings.warn(f"{old} is deprecated: use {new} ({old} goes in 0.3.0)", DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as error:
                raise TypeError(f"{fn.__name__}(): {error}") from None
            given = {name: value for name, value in bound.arguments.items() if value is not None}
            bound.apply_defaults()
            values.check_values(signature, bound.arguments)
            _default_seeds(bound)
            token = _CALL.set(_Call(fn.__name__, bound, given))
            try:
                return fn(*bound.args, **bound.kwargs)
            finally:
                _CALL.reset(token)

        wrapper.renamed_arguments = MappingProxyType(dict(renamed))
        return wrapper

    return decorate


def _default_seeds(bound: inspect.BoundArguments) -> None:
    """A seed left out is the session's (session.WorldpriorSession.seeds_now: --worldprior-seed, a test's marker; 0
    outside pytest); a baseline seed left out, where a baseline is given, is --worldprior-baseline-seed
    when that is set (else None: the same seed). The resolved values are what the measures (and their
    cache keys) and the reproduce line see."""
    seed, baseline_seed = session.current().seeds_now()
    if "seed" in bound.arguments and bound.arguments["seed"] is None:
        bound.arguments["seed"] = seed
    args = bound.arguments
    if "baseline_seed" in args and args["baseline_seed"] is None and args.get("baseline") is not None:
        args["baseline_seed"] = baseline_seed


def check_mode(route: str, baseline) -> arguments.Mode:
    """Called once by each assertion, at entry, when it knows its route: refuse (ValueError) an argument
    the caller gave that does not apply in this mode (arguments.TABLE), and remember the mode for the
    reproduce line."""
    call = _CALL.get()
    mode = arguments.Mode(route, baseline is not None)
    model = call.bound.arguments["model"]
    method = call.bound.arguments.get("method")
    how = f"method={method!r}" if method is not None else "this check"
    who = f"{model.info().reference} {'gives logits' if model.gives_logits else 'gives no logits'}; {how}"
    arguments.check(call.function, call.given, mode, method, who)
    call.mode = mode
    return mode


def given_arguments() -> dict:
    """What the caller of the assertion now running gave (name -> value; None left out)."""
    return _CALL.get().given


def uses_logits(model: Backend, method: str) -> bool:
    values.method("method", method)
    if method == "sampled":
        return False
    white_box = model.gives_logits
    if method == "exact" and not white_box:
        raise ValueError(f"{type(model).__name__} gives no logits; use method='sampled'")
    return white_box


def need_bound(lower, upper) -> None:
    if lower is None and upper is None:
        raise ValueError("give min_nats, max_nats or both: a check without a bound asserts nothing")


def sampled_verdict(estimate, interval, lower, upper, n, method, alpha, seed, label, details=None, *, measure: str) -> Verdict:
    """`label` names the quantity in messages; `measure` is its short name in tables (Verdict.measure)."""
    outcome = stats.decide(estimate, interval, lower=lower, upper=upper)
    return Verdict(outcome, float(estimate), tuple(map(float, interval)), (lower, upper), n, method, alpha, seed, label,
                   details or {}, measure)


def sequential_verdict(draw, lower, upper, max_n: int, alpha: float, seed: int, label: str,
                       all_equal_interval=None, *, measure: str) -> Verdict:
    """At most 4 looks, the first at max_n / 4. Surprisals are right-skewed (skewness ~2.7 on the toy), and
    the t interval undercovers at small n: looks from n=64 gave 0.8 % false FAILs at alpha 0.1 %, looks from
    n=512 about 0.2 % (measured by simulation from the exact distribution; see BENCHMARKS.md).
    `all_equal_interval` is the bound used when every draw so far is equal (stats.sequential_mean)."""
    batch = max(16, max_n // 4)
    verdict = stats.sequential_mean(draw, lower=lower, upper=upper, alpha=alpha, batch=batch, min_n=batch,
                                    max_n=max(max_n, batch), seed=seed, label=label,
                                    all_equal_interval=all_equal_interval)
    return replace(verdict, measure=measure)


_OWN = object()  # conclude's default: the verdict's own estimate and interval


def conclude(check: str, model: Backend, prompt, verdict: Verdict, story: Sequence[str] = (), own=_OWN,
             baseline_value: tuple[float, str] | None = None, quantities: Sequence[Quantity] = ()) -> Verdict:
    """Record the verdict; raise on FAIL (and on INCONCLUSIVE, by policy) with a message that shows the
    numbers, `story` (check-specific lines), the seed and a line that reproduces the check, written from
    the call as `@assertion` bound it (also kept in `verdict.details["reproduce"]`).

    `own` is the model's own quantity, (estimate, interval or None, label), where the verdict's is relative
    to a baseline (None: no such quantity): stored baselines record and compare it. `baseline_value` is the
    baseline's side, (value, unit), where the check measured one: the reports show it. `quantities` are the
    model's own quantities for the lineage table (names from the kind's rows in checks.KINDS; ValueError
    for another).

    Under --worldprior-fdr a sampled check's own FAIL is deferred: recorded, not raised; the session's
    Benjamini-Hochberg step decides it with the run's other sampled checks."""
    __tracebackhide__ = True
    own = (verdict.estimate, verdict.interval, verdict.label) if own is _OWN else own
    rows = jsonable(check_quantities(check, quantities))
    call = _CALL.get()
    if call is not None:
        method = call.bound.arguments.get("method")
        skip = () if call.mode is None else [name for name, value in call.bound.arguments.items() if value is not None
                                             and not arguments.applies(call.function, name, call.mode, method)]
        verdict.details["reproduce"] = reproduce_line(call.function, call.bound, skip=skip)
    run = session.current()
    judgements = run.recorder.judge(recording.CheckEvent(check, model, prompt, verdict, own))
    outcome = verdict.outcome
    if verdict.failed and run.fdr is not None and stats.judged_together(verdict.as_dict()):
        # --worldprior-fdr: the run's sampled checks are judged together at the end of the session
        # (plugin/fdr.py); this one's FAIL is not decided here.
        verdict.details["fdr_deferred"] = True
        outcome = Outcome.PASS
    for judgement in judgements:  # what observers (the stored-baseline comparison) say of this check
        verdict.details["stored_baseline"] = judgement.details
        outcome = worst_outcome(outcome, judgement.outcome)
    reference = model.info().reference
    run.recorder.models[reference] = model.info().as_dict()
    extra = {} if own is None else {"own": jsonable({"estimate": own[0], "interval": own[1], "label": own[2]})}
    side = None if baseline_value is None else jsonable({"value": baseline_value[0], "unit": baseline_value[1]})
    run.recorder.add(recording.VerdictRecord(check, reference, str(prompt), dict(verdict.as_dict(), outcome=outcome.value),
                                             extra=extra, baseline_value=side, quantities=rows))
    if outcome is Outcome.PASS:
        return verdict
    first = verdict.describe()
    if verdict.passed:  # the stored-baseline comparison is what did not pass
        first = f"{outcome.value} against the stored baseline (the check itself: {first})"
    message = (
        f"{first}\n"
        + "".join(f"  {line}\n" for judgement in judgements for line in judgement.lines)
        + f"  model:  {reference}\n"
        f"  prompt: {prompt!r}\n"
        + "".join(f"  {line}\n" for line in story)
        + f"  seed:   {verdict.seed if verdict.seed is not None else 'n/a (exact)'}\n"
        + (f"  reproduce: {verdict.details['reproduce']}" if "reproduce" in verdict.details else "")
    )
    if outcome is Outcome.FAIL:
        raise AssertionError(message)
    policy = inconclusive_policy()
    if policy == "xfail":
        # Inside @given an INCONCLUSIVE example is no counterexample: discard it (its verdict is recorded)
        # rather than let Hypothesis shrink towards it as if it were a failure.
        examples.discard_example("worldprior: INCONCLUSIVE example discarded")
    if policy == "fail":
        raise AssertionError("INCONCLUSIVE treated as failure (--worldprior-inconclusive=fail)\n" + message)
    if policy == "warn":
        warnings.warn(InconclusiveWarning(message), stacklevel=4)  # conclude, the check, @assertion
        return verdict
    raise Inconclusive(message)




def worst(*verdicts: Verdict) -> Verdict:
    """The verdict that decides when all must hold: the first that fails, else the first that is
    INCONCLUSIVE, else the first."""
    return max(verdicts, key=lambda v: v.outcome.severity)
