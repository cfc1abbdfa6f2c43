"""The public API of the assertions: deprecated argument names still work for one release, and the
reproduce line of a failure, run on its own, reproduces the failure."""

import dataclasses
import inspect
import warnings

import numpy as np
import pytest

import pytest_worldprior
from pytest_worldprior import (
    Backend,
    Inconclusive,
    assert_distribution_close,
    assert_entropy_within,
    assert_mode_share_within,
    assert_no_attractor,
    assert_prior_shift_within,
    assert_sequence_entropy_within,
    assert_temperature_sensitive,
    assert_uniform_choice,
)
from pytest_worldprior.assertions.reproduce import STORED_BASELINE, reproduce_line
from pytest_worldprior.measures import last_sentence, normalise_answer

ASSERTIONS = [assert_distribution_close, assert_entropy_within, assert_mode_share_within, assert_no_attractor,
              assert_prior_shift_within, assert_sequence_entropy_within, assert_temperature_sensitive,
              assert_uniform_choice]
STORY = "Once upon a time, there was a"
BUGS = "Q: Are bugs real?\nA:"
NUMBER = "Pick a random number from 1 to 10:"
DIGITS = [str(i) for i in range(1, 11)]
ATTRACTOR = dict(n=16, steps=1, max_new_tokens=8, position=4, prefix_draws=2, seed=0)  # steps=1: no enumeration


def test_the_eight_assertions_are_the_public_ones():
    public = {name for name in pytest_worldprior.__all__ if name.startswith("assert_")}
    assert public == {fn.__name__ for fn in ASSERTIONS}


# ---- deprecated names ---------------------------------------------------------------------------------

def _setup(name, models):
    """Positional arguments and the other keywords of a call that measures quickly on the toy models."""
    base, collapsed = models
    return {
        "assert_distribution_close": ((collapsed, NUMBER, DIGITS, [0.1] * 10), {}),
        "assert_entropy_within": ((collapsed, BUGS), {"min_nats": 0.1}),
        "assert_mode_share_within": ((collapsed, STORY), {"n": 16}),
        "assert_no_attractor": ((base, STORY, "You are a murderer."), dict(ATTRACTOR)),
        "assert_prior_shift_within": ((collapsed, [STORY]), {"baseline": base}),
        "assert_sequence_entropy_within": ((collapsed, STORY), {"min_nats": 0.1, "n": 8, "max_new_tokens": 4}),
        "assert_temperature_sensitive": ((collapsed, NUMBER), {"temperatures": (0.7, 1.5)}),
        "assert_uniform_choice": ((collapsed, NUMBER, DIGITS), {"max_top_share": 1.0}),
    }[name]


# (assertion, new name): the value to give it, and what else the call then needs
VALUES = {
    ("assert_distribution_close", "max_kl_target_model_nats"): (0.5, {}),
    ("assert_distribution_close", "method"): ("exact", {}),
    ("assert_entropy_within", "method"): ("exact", {}),
    ("assert_mode_share_within", "max_top_share"): (0.5, {}),
    ("assert_mode_share_within", "max_top_share_increase"): (0.3, {"baseline": "base"}),
    ("assert_no_attractor", "max_snap_back_share"): (0.5, {}),
    ("assert_no_attractor", "max_snap_back_share_increase"): (0.3, {"baseline": "base"}),
    ("assert_no_attractor", "min_influence_nats"): (0.01, {"max_snap_back_share": 1.0}),
    ("assert_prior_shift_within", "max_kl_model_baseline_nats"): (0.5, {}),
    ("assert_temperature_sensitive", "min_gain_nats"): (0.5, {}),
    ("assert_temperature_sensitive", "method"): ("exact", {}),
    ("assert_uniform_choice", "max_top_share_increase"): (0.1, {"baseline": "base"}),
    ("assert_uniform_choice", "method"): ("exact", {}),
}
RENAMES = [(fn, old, new) for fn in ASSERTIONS for old, new in fn.renamed_arguments.items()]


def test_the_rename_table():
    """The table users are told about; each new name names its unit or kind."""
    table = {(fn.__name__, old): new for fn, old, new in RENAMES}
    assert table == {
        ("assert_distribution_close", "max_kl"): "max_kl_target_model_nats",
        ("assert_distribution_close", "mode"): "method",
        ("assert_entropy_within", "mode"): "method",
        ("assert_mode_share_within", "max_share"): "max_top_share",
        ("assert_mode_share_within", "max_increase"): "max_top_share_increase",
        ("assert_no_attractor", "max_snap_back"): "max_snap_back_share",
        ("assert_no_attractor", "max_snap_back_increase"): "max_snap_back_share_increase",
        ("assert_no_attractor", "min_influence"): "min_influence_nats",
        ("assert_prior_shift_within", "max_kl"): "max_kl_model_baseline_nats",
        ("assert_temperature_sensitive", "min_gain"): "min_gain_nats",
        ("assert_temperature_sensitive", "mode"): "method",
        ("assert_uniform_choice", "max_increase"): "max_top_share_increase",
        ("assert_uniform_choice", "mode"): "method",
    }
    for fn, old, new in RENAMES:
        assert new in inspect.signature(fn).parameters and old not in inspect.signature(fn).parameters


def _first_line(call) -> str:
    """The verdict line, whether the check passes, fails or is inconclusive."""
    try:
        return call().describe()
    except (AssertionError, Inconclusive) as raised:
        return str(raised).splitlines()[0]


@pytest.mark.parametrize(("fn", "old", "new"), RENAMES, ids=[f"{fn.__name__}-{old}" for fn, old, _ in RENAMES])
def test_an_old_name_still_works_and_warns(toy_base, toy_collapsed, fn, old, new):
    args, kwargs = _setup(fn.__name__, (toy_base, toy_collapsed))
    value, extra = VALUES[(fn.__name__, new)]
    kwargs = {**kwargs, **{k: (toy_base if v == "base" else v) for k, v in extra.items()}}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the new name warns about nothing
        expected = _first_line(lambda: fn(*args, **kwargs, **{new: value}))
    with pytest.warns(DeprecationWarning, match=rf"^{old} is deprecated: use {new} \({old} goes in 0.3.0\)$") as caught:
        assert _first_line(lambda: fn(*args, **kwargs, **{old: value})) == expected
    assert [w.filename for w in caught if w.category is DeprecationWarning] == [__file__]  # points at the caller
    with pytest.raises(TypeError, match=f"both {old}= and {new}="):
        fn(*args, **kwargs, **{old: value, new: value})


def test_positional_baseline_of_prior_shift_warns_and_works(toy_base, toy_collapsed):
    prompts = [STORY, BUGS]
    expected = _first_line(lambda: assert_prior_shift_within(toy_collapsed, prompts, baseline=toy_base,
                                                             max_kl_model_baseline_nats=0.5))
    with pytest.warns(DeprecationWarning, match=r"use assert_prior_shift_within\(model, prompts, baseline=baseline\)") as caught:
        assert _first_line(lambda: assert_prior_shift_within(toy_collapsed, toy_base, prompts,
                                                             max_kl_model_baseline_nats=0.5)) == expected
    assert caught[0].filename == __file__
    with pytest.warns(DeprecationWarning):  # the old form with an old name: both warn, and it still works
        verdict = assert_prior_shift_within(toy_base, toy_base, prompts, max_kl=1e-9)
    assert verdict.passed
    with pytest.raises(TypeError, match="missing a required argument: 'baseline'"):
        assert_prior_shift_within(toy_base, prompts)


# ---- reproduce lines ----------------------------------------------------------------------------------

FAILING = {  # one failing call per assertion: sampled ones, baselines, keys from pytest_worldprior.measures
    "entropy-sampled": lambda b, c: assert_entropy_within(c, BUGS, min_nats=1.0, method="sampled", n=512, seed=4),
    "sequence-entropy-baseline": lambda b, c: assert_sequence_entropy_within(c, STORY, baseline=b, max_drop_nats=4.0, n=16,
                                                                             max_new_tokens=8, seed=1),
    "mode-share-key": lambda b, c: assert_mode_share_within(c, STORY, max_top_share=0.5, key=normalise_answer, n=32, seed=2),
    "temperature-baseline": lambda b, c: assert_temperature_sensitive(c, NUMBER, temperatures=(0.7, 1.5), min_gain_nats=0.5,
                                                                      baseline=b, max_matching_temperature=1.5),
    "uniform-sampled": lambda b, c: assert_uniform_choice(c, NUMBER, DIGITS, method="sampled", n=128, seed=3),
    "distribution-close-array": lambda b, c: assert_distribution_close(c, NUMBER, DIGITS, np.full(10, 0.1),
                                                                       max_kl_target_model_nats=0.5),
    "prior-shift": lambda b, c: assert_prior_shift_within(c, [STORY, BUGS], baseline=b, max_kl_model_baseline_nats=0.5),
    "attractor-key": lambda b, c: assert_no_attractor(c, STORY, "You are a murderer.", max_snap_back_share=0.1, n=32, steps=1,
                                                      max_new_tokens=24, key=last_sentence, seed=0),
}


def _failure(call) -> str:
    with pytest.raises(AssertionError) as failure:
        call()
    return str(failure.value)


@pytest.mark.parametrize("case", FAILING)
def test_the_reproduce_line_reproduces_the_failure(toy_base, toy_collapsed, case):
    message = _failure(lambda: FAILING[case](toy_base, toy_collapsed))
    line = next(text for text in message.splitlines() if text.startswith("  reproduce: ")).removeprefix("  reproduce: ")
    assert "does not reproduce" not in line
    again = _failure(lambda: exec(line, {}))  # a fresh namespace: the line imports and loads what it needs
    assert again.splitlines()[0] == message.splitlines()[0]


def test_the_reproduce_line_names_every_argument(toy_base, toy_collapsed):
    message = _failure(lambda: FAILING["mode-share-key"](toy_base, toy_collapsed))
    assert ("from pytest_worldprior import *; from pytest_worldprior.measures import normalise_answer; "
            "model = load_model('toy-collapsed'); assert_mode_share_within(model, 'Once upon a time, there was a', "
            "max_top_share=0.5, baseline=None, max_top_share_increase=None, n=32, max_new_tokens=8, temperature=1.0, "
            "key=normalise_answer, seed=2, baseline_seed=None, alpha=0.001)") in message


def test_the_verdict_keeps_the_reproduce_line(toy_base):
    verdict = assert_entropy_within(toy_base, BUGS, min_nats=0.1, baseline=toy_base, max_drop_nats=1 / 3)
    assert verdict.passed
    assert verdict.details["reproduce"] == (
        "from pytest_worldprior import *; model = load_model('toy-base'); assert_entropy_within(model, "
        "'Q: Are bugs real?\\nA:', min_nats=0.1, max_nats=None, baseline=model, max_drop_nats=0.3333333333333333, "
        "temperature=1.0, method='auto', n=2048, seed=0, alpha=0.001)")


def test_a_lambda_key_is_not_reproducible(toy_collapsed):
    def local_key(text):
        return text[:3]

    for key, kind, why in ((lambda text: text[:3], "lambda", "a lambda"), (local_key, "a local function", "a local function")):
        message = _failure(lambda: assert_mode_share_within(toy_collapsed, STORY, max_top_share=0.5, key=key, n=16))
        line = next(text for text in message.splitlines() if "reproduce:" in text)
        assert f"key=<{kind}: not reproducible, give a module-level function>" in line
        assert line.endswith(f"  # does not reproduce: key is {why}")


def test_a_module_level_function_imported_again_still_reproduces(toy_collapsed):
    # pytester's in-process runs import a module afresh: new function objects, same module and name.
    import types

    from pytest_worldprior.measures import first_words

    again = types.FunctionType(first_words.__code__, first_words.__globals__, first_words.__name__, first_words.__defaults__)
    again.__qualname__, again.__module__ = first_words.__qualname__, first_words.__module__
    message = _failure(lambda: assert_mode_share_within(toy_collapsed, STORY, max_top_share=0.5, key=again, n=16))
    line = next(text for text in message.splitlines() if "reproduce:" in text)
    assert "key=first_words" in line and "does not reproduce" not in line


class _Stub(Backend):
    """A backend that only has a fingerprint: what the reproduce line reads."""

    def __init__(self, info):
        self._info = info

    def info(self):
        return self._info

    def render(self, prompt):
        return str(prompt)

    def sample(self, *args, **kwargs):
        raise NotImplementedError


def _bound(model, baseline=None):
    def assert_something(model, prompt, *, baseline=None, limit=0.5):
        """A stand-in with the shape of an assertion."""

    bound = inspect.signature(assert_something).bind(model, "P", baseline=baseline)
    bound.apply_defaults()
    return reproduce_line("assert_something", bound)


def test_device_and_dtype_and_the_stored_baseline(toy_base):
    gpu = _Stub(dataclasses.replace(toy_base.info(), reference="some/model", device="cuda:0", dtype="bfloat16"))
    from pytest_worldprior.baselines.stored import StoredBaseline

    class NoEntry:  # the stored-baseline comparison of a run with no entry for this test
        def stored_model(self):
            return None

    stored = StoredBaseline(NoEntry())  # a Recorded, not a Backend: told apart by its type, not its reference
    line = _bound(gpu, stored)
    assert "model = load_model('some/model', device='cuda:0', dtype='bfloat16')" in line
    assert f"baseline={STORED_BASELINE}" in line and "does not reproduce: baseline is the stored baseline" in line
    assert _bound(toy_base, toy_base).endswith("assert_something(model, 'P', baseline=model, limit=0.5)")


def test_a_backend_class_of_ones_own_is_not_loaded_by_name(toy_base):
    custom = _Stub(dataclasses.replace(toy_base.info(), reference="char", backend="my-chars"))
    line = _bound(custom)
    assert "model = <char: build it here>" in line and "load_model" not in line
    assert line.endswith("  # does not reproduce: model is a _Stub (char), not loadable by name")
