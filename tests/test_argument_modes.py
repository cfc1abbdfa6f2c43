"""Every argument of every assertion works in every mode or is refused there (issue 17, part 4): the
table of where each argument applies (assertions/arguments.py), the same table in docs/arguments.md, a
walk over every (assertion, argument, mode), and a test per kind of bad value.

The walk uses stand-in backends whose model work raises `Reached`: a call whose arguments are all
accepted reaches the model (Reached); one with an argument outside the table is refused before that.
No model runs, so the walk takes well under a second of its own."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pytest
from test_backend_contract import Bigram

import pytest_worldprior
from pytest_worldprior import assert_entropy_within, assert_no_attractor, assert_temperature_sensitive, assert_uniform_choice
from pytest_worldprior.assertions import arguments
from pytest_worldprior.assertions.arguments import TABLE, Mode
from pytest_worldprior.backends.base import Backend, Generation, ModelInfo
from pytest_worldprior.backends.callable import CallableBackend


class Reached(Exception):
    """The call got past validation to the model."""


class TextStub(Backend):
    def __init__(self, name: str) -> None:
        self.name = name

    def info(self) -> ModelInfo:
        return ModelInfo(self.name, f"stub:{self.name}", "stub", "0" * 64, "0" * 64, "float32", "cpu", 12, False)

    def render(self, prompt):
        raise Reached

    def sample(self, context, n, **settings):
        raise Reached


class LogitsStub(TextStub):
    gives_logits = True
    gives_sampling_logprobs = True

    def next_token_logprobs(self, contexts):
        raise Reached

    def encode(self, context):
        raise Reached

    def continuation_ids(self, context, context_ids, continuation):
        raise Reached

    def decode(self, token_ids):
        raise Reached

    def token_texts(self):
        raise Reached


class TopKStub(TextStub):
    gives_top_logprobs = True

    def top_logprobs(self, context, k=None):
        raise Reached


MODELS = {"exact": LogitsStub("m"), "top-k": TopKStub("k"), "sampled": LogitsStub("m"), "text": TextStub("t")}
BASELINE = {"exact": LogitsStub("b"), "top-k": LogitsStub("b"), "sampled": LogitsStub("b"), "text": TextStub("tb")}
POSITIONAL = {"assert_uniform_choice": (["a", "b"],), "assert_distribution_close": (["a", "b"], [0.5, 0.5]),
              "assert_no_attractor": ("Stop.",)}
NEEDED = {  # what a call in each assertion needs besides the argument under test: (without, with a baseline)
    "assert_entropy_within": ({"min_nats": 0.1}, {"min_nats": 0.1, "max_drop_nats": 1.0}),
    "assert_sequence_entropy_within": ({"min_nats": 0.1}, {"max_drop_nats": 1.0}),
    "assert_uniform_choice": ({}, {"max_top_share_increase": 0.1}),
    "assert_mode_share_within": ({"max_top_share": 0.5}, {"max_top_share_increase": 0.1}),
    "assert_distribution_close": ({"baseline_in_set_mass": 0.5}, {}),  # max_in_set_drop_nats needs it
}
VALUES = {  # a valid value of each optional argument
    "min_nats": 0.1, "max_nats": 9.0, "max_drop_nats": 1.0, "temperature": 1.0, "n": 16, "seed": 3, "alpha": 0.01,
    "max_new_tokens": 4, "baseline_seed": 1, "temperatures": (0.5, 1.5), "min_gain_nats": 0.1,
    "max_matching_temperature": 2.0, "max_top_share": 0.5, "max_off_set_mass": 0.5, "min_in_set_mass": 0.1,
    "max_top_share_increase": 0.1, "framing": "direct", "max_kl_target_model_nats": 0.2, "key": str.strip,
    "max_kl_model_baseline_nats": 0.5, "max_shifted_share": 0.5, "continuation_tokens": 4, "position": 4,
    "prefix": " C.", "prefix_draws": 2, "max_snap_back_share": 0.5, "max_snap_back_share_increase": 0.1,
    "min_influence_nats": 0.1, "min_influence_ratio": 0.5, "batch": 4, "steps": 2, "separator": " ", "recurring_share": 0.5,
    "prefixes": 1, "influence_paths": 4, "baseline_in_set_mass": 0.5, "max_in_set_drop_nats": 3.0,
}


def _methods(name: str, route: str) -> list[str | None]:
    """The method values that reach `route`: the exact route by 'auto' and by 'exact'."""
    if "method" not in inspect.signature(getattr(pytest_worldprior, name)).parameters:
        return [None]
    return {"exact": ["auto", "exact"], "top-k": ["auto"], "sampled": ["sampled"]}[route]


def _call(name: str, mode: Mode, method: str | None, argument: str) -> None:
    fn = getattr(pytest_worldprior, name)
    model = MODELS[mode.route]
    first = [model, ["Hi"]] if name == "assert_prior_shift_within" else [model, "Hi"]
    kwargs = dict(NEEDED.get(name, ({}, {}))[mode.baseline])
    if mode.baseline:
        kwargs["baseline"] = BASELINE[mode.route]
    if method is not None:
        kwargs["method"] = method
    if argument != "baseline":
        kwargs[argument] = VALUES[argument]
    fn(*first, *POSITIONAL.get(name, ()), **kwargs)


def _cases():
    for name, spec in TABLE.items():
        parameters = inspect.signature(getattr(pytest_worldprior, name)).parameters
        optional = [p for p, parameter in parameters.items() if parameter.default is not inspect.Parameter.empty
                    and p != "method"] + (["baseline"] if name == "assert_prior_shift_within" else [])
        states = {m.baseline for m in spec.modes} | ({True} if "baseline" in parameters else set())
        for route in spec.routes:
            for with_baseline in sorted(states):
                mode = Mode(route, with_baseline)
                for method in _methods(name, route):
                    for argument in optional:
                        if mode not in spec.modes and argument != "baseline":
                            continue  # the mode does not exist: its baseline is refused (checked below)
                        if argument == "baseline" and not with_baseline:
                            continue
                        yield name, mode, method, argument


def test_every_argument_applies_or_is_refused_in_every_mode():
    outcomes = {"reached": 0, "refused": 0}
    wrong = []
    for name, mode, method, argument in _cases():
        expected = arguments.applies(name, argument, mode, method)
        try:
            _call(name, mode, method, argument)
            wrong.append((name, mode, method, argument, "returned"))
        except Reached:
            outcomes["reached"] += 1
            if not expected:
                wrong.append((name, mode, method, argument, "not refused"))
        except ValueError as refused:
            outcomes["refused"] += 1
            if expected:
                wrong.append((name, mode, method, argument, f"refused: {refused}"))
            elif not re.search(rf"\b{argument}\b", str(refused)):
                wrong.append((name, mode, method, argument, f"message does not name it: {refused}"))
    assert wrong == []
    assert outcomes == {"reached": 233, "refused": 51}  # the whole table is walked (the counts change with it)


def test_the_docs_show_the_table_of_the_code():
    text = (Path(__file__).parents[1] / "docs" / "arguments.md").read_text()
    start, end = "<!-- generated by arguments.markdown(): do not edit by hand -->\n", "<!-- end of the generated table -->"
    generated = arguments.markdown({name: getattr(pytest_worldprior, name) for name in TABLE})
    assert text[text.index(start) + len(start):text.index(end)].strip() == generated.strip()
    assert set(TABLE) == {name for name in pytest_worldprior.__all__ if name.startswith("assert_")}
    assert "(arguments.md)" in (Path(__file__).parents[1] / "docs" / "README.md").read_text()


# ---- each kind of bad value named in issue 17 ------------------------------------------------------

@pytest.mark.parametrize("method", ["exact", "sampled"])
@pytest.mark.parametrize(("choices", "message"), [
    ([], r"a closed set needs at least 2 choices, got \[\]"),
    (["7"], r"a closed set needs at least 2 choices, got \['7'\]: with one allowed answer its share is 1"),
    (["7", "7"], r"choices must be distinct"),
    ("1234", r"choices must be a list of answers \(str\), got '1234'"),
    (["a", " "], r"choices must be non-empty answers"),
])
def test_choices_are_checked_in_every_method(method, choices, message):
    with pytest.raises((ValueError, TypeError), match=message):
        assert_uniform_choice(LogitsStub("m"), "Pick:", choices, method=method)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda m: assert_entropy_within(m, 5, min_nats=1.0), TypeError, r"prompt must be text \(a str\) or a chat .*got 5 \(int\)"),
    (lambda m: assert_entropy_within(m, [{"role": "user"}], min_nats=1.0), TypeError, "prompt must be text"),
    (lambda m: assert_entropy_within(m, "Hi", min_nats=1.0, method="sampled", seed=-1), ValueError,
     r"seed must be a non-negative integer, got -1: seeds are 0 or more"),
    (lambda m: assert_entropy_within(m, "Hi", min_nats=1.0, method="sampled", seed=1.5), TypeError,
     r"seed must be a non-negative integer, got 1.5 \(float\)"),
    (lambda m: assert_entropy_within(m, "Hi", min_nats=1.0, method="sampled", n=0), ValueError, r"n must be at least 1"),
    (lambda m: assert_entropy_within(m, "Hi", min_nats=1.0, method="sampled", alpha=1.0), ValueError,
     r"alpha must be a number in \(0, 1\), got 1.0"),
    (lambda m: assert_entropy_within(m, "Hi", min_nats=float("nan")), ValueError, "min_nats is NaN"),
    (lambda m: assert_entropy_within("toy-base", "Hi", min_nats=1.0), TypeError, r"model must be a Backend, got 'toy-base'.*load_model"),
    (lambda m: assert_uniform_choice(m, "Pick:", ["a", "b"], max_top_share=2), ValueError, r"max_top_share is a probability, in \[0, 1\]"),
    (lambda m: assert_no_attractor(m, "Hi", 5), TypeError, r"injection must be a line \(a str\) or a list of lines"),
    (lambda m: assert_no_attractor(m, "Hi", "Stop.", baseline=m, baseline_seed=-2), ValueError, "baseline_seed must be a non-negative"),
    (lambda m: pytest_worldprior.assert_prior_shift_within(m, "Hi", baseline=m), TypeError, "prompts must be a list of prompts"),
    (lambda m: pytest_worldprior.assert_prior_shift_within(m, ["Hi"], baseline=None), TypeError, "baseline is required"),
])
def test_bad_values_are_refused_before_any_model_work(call, error, message):
    with pytest.raises(error, match=message):
        call(LogitsStub("m"))


@pytest.mark.parametrize(("call", "message"), [
    (lambda m, b: assert_temperature_sensitive(m, "Hi", method="sampled", baseline=b),
     r"baseline= does not apply here: this check runs from samples \(stub:m gives logits; method='sampled'\); "
     r"the temperature .* sampled, only the gain is tested\. Drop baseline=, or give method='auto'"),
    (lambda m, b: assert_temperature_sensitive(m, "Hi", method="sampled", max_matching_temperature=2.0),
     r"max_matching_temperature=2.0 was given without a baseline"),
    (lambda m, b: assert_entropy_within(m, "Hi", min_nats=1.0, max_drop_nats=0.5),
     r"max_drop_nats=0.5 was given without a baseline: .*Give baseline= too, or drop max_drop_nats"),
    (lambda m, b: assert_entropy_within(m, "Hi", min_nats=1.0, method="exact", n=100),
     r"n=100 does not apply here: this check runs exactly, from the model's logits \(stub:m gives logits; "
     r"method='exact'\); it is the number of samples, and this route draws none\. Drop n, or give method='sampled'"),
    (lambda m, b: assert_no_attractor(m, "Hi", "Stop.", baseline=b, max_snap_back_share=0.3),
     r"max_snap_back_share=0.3 does not apply with a baseline: with a baseline the limit is max_snap_back_share_increase"),
    (lambda m, b: assert_no_attractor(m, "Hi", "Stop.", max_snap_back_share_increase=0.3),
     r"max_snap_back_share_increase=0.3 was given without a baseline"),
    (lambda m, b: assert_no_attractor(m, "Hi", "Stop.", baseline_seed=4), r"baseline_seed=4 was given without a baseline"),
    (lambda m, b: assert_no_attractor(m, "Hi", "Stop.", min_influence_ratio=0.5),
     r"min_influence_ratio=0.5 was given without a baseline"),
    (lambda m, b: assert_no_attractor(TextStub("t"), "Hi", "Stop.", min_influence_nats=0.5),
     r"min_influence_nats=0.5 does not apply here: this check runs from text samples alone .*stub:t gives no logits"),
    (lambda m, b: assert_no_attractor(m, "Hi", "Stop.", baseline=TextStub("tb"), min_influence_ratio=0.5),
     r"min_influence_ratio=0.5 compares .* the baseline stub:tb gives text only: drop min_influence_ratio"),
    (lambda m, b: assert_no_attractor(m, "Hi", "Stop.", prefix=" C.", position=3),
     r"position=3 was given with prefix=: .* Drop position, or drop prefix"),
])
def test_arguments_that_would_be_ignored_are_refused_with_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call(LogitsStub("m"), LogitsStub("b"))


# ---- arguments that now work where they were ignored ---------------------------------------------

def answers(texts):
    return lambda prompt, n, temperature, seed: [texts[i % len(texts)] for i in range(n)]


def test_max_off_set_mass_works_sampled():
    """Sampled, the share of samples that are no allowed answer is judged (Wilson interval), as the
    exact mass is: 3 in 4 samples outside fails a limit of 0.5, 1 in 4 passes it."""
    mostly_off = CallableBackend(answers([" 1", " pass", " no", " maybe"]), name="off")
    with pytest.raises(AssertionError, match=r"FAIL: share of samples outside the allowed answers 0\.75 \[0\.67, 0\.81\] > max 0\.50"):
        assert_uniform_choice(mostly_off, "Pick:", ["1", "2"], max_top_share=1.0, max_off_set_mass=0.5, n=400)
    mostly_on = CallableBackend(answers([" 1", " 2", " 1", " no"]), name="on")
    verdict = assert_uniform_choice(mostly_on, "Pick:", ["1", "2"], max_top_share=1.0, max_off_set_mass=0.5, n=400)
    assert verdict.label == "share of samples outside the allowed answers" and verdict.estimate == 0.25


class TopKServer(Backend):
    """A server without logits: top-k log-probabilities of a fixed distribution, and samples from it
    with their sampling log-probabilities."""

    gives_top_logprobs = True
    gives_sampling_logprobs = True
    PROBABILITIES = np.array([0.4, 0.3, 0.2, 0.1])

    def info(self):
        return ModelInfo("server", "server:fake", "fake", "1" * 64, "1" * 64, "float32", "cpu", 4, False)

    def render(self, prompt):
        return str(prompt)

    @property
    def max_top_logprobs(self) -> int:
        return 4

    def top_logprobs(self, context, k=None):
        return [(str(i), float(np.log(p))) for i, p in enumerate(self.PROBABILITIES[: k or 4])]

    def sample(self, context, n, *, max_new_tokens=64, temperature=1.0, top_p=1.0, seed=0, stop=None):
        p = self.PROBABILITIES ** (1 / temperature)
        p /= p.sum()
        chosen = [int(np.random.default_rng([seed, i]).choice(4, p=p)) for i in range(n)]
        return [Generation(str(c), (c,), (), (float(np.log(p[c])),), "length", seed, i) for i, c in enumerate(chosen)]


def test_method_sampled_on_a_top_k_server_samples():
    """method='sampled' samples, with n, seed and alpha; method='auto' takes the certain top-k bounds."""
    server = TopKServer()
    bounds = assert_entropy_within(server, "Hi", min_nats=0.5)
    assert bounds.method == "top-k bound" and bounds.seed is None
    sampled = assert_entropy_within(server, "Hi", min_nats=0.5, method="sampled", n=256, seed=5, alpha=0.01)
    assert sampled.method.startswith("sequential") and sampled.seed == 5 and sampled.alpha == 0.01
    assert sampled.n <= 256 and abs(sampled.estimate - bounds.estimate) < 0.2


def test_a_baseline_the_injection_does_not_move_asks_for_no_influence():
    """A baseline whose next token ignores the context (every row of its bigram table the same) has
    influence 0: min_influence_ratio x 0 asks for nothing, and the gate says so (it divided by zero)."""
    deaf = Bigram("deaf", np.zeros((12, 12)))
    verdict = assert_no_attractor(deaf, "Once upon a time.", "The cat sat.", baseline=deaf, min_influence_ratio=0.5,
                                  max_snap_back_share_increase=0.9, n=16, steps=2, max_new_tokens=4, position=2)
    assert verdict.passed and verdict.estimate == 0.0
    assert verdict.label == "total influence of the injection (nats); the baseline's is 0, so min_influence_ratio asks for at least 0"


def test_min_influence_nats_gates_with_a_baseline_too():
    deaf = Bigram("deaf", np.zeros((12, 12)))
    with pytest.raises(AssertionError, match=r"FAIL: total influence of the injection \(nats\) 0\.00 < min 0\.10 \(exact\)"):
        assert_no_attractor(deaf, "Once upon a time.", "The cat sat.", baseline=deaf, min_influence_nats=0.1,
                            max_snap_back_share_increase=0.9, n=16, steps=2, max_new_tokens=4, position=2)
