"""Server payloads are checked where they arrive: a fake OpenAI-compatible server on 127.0.0.1 (the
fault server of tests/fault_server.py, taught GET /models and answers per prompt) serves bad top
log-probabilities and bad echoes; each is an error that names the server, the field, the value and the
fix, or a value read by a documented rule. `entropy_bounds` is checked on the same values given by hand."""

import math
import re

import pytest
from fault_server import FaultServer

from pytest_worldprior import measures
from pytest_worldprior.backends.openai.backend import OpenAIServerBackend
from pytest_worldprior.backends.openai.payload import PayloadError

MODEL = "fake"
LN2 = math.log(2)


class PayloadServer(FaultServer):
    """Answers GET /models with one model and each POST with `answers[prompt]` where a test put one,
    else with a well-formed answer (so that loading the model, which probes, goes through)."""

    def __init__(self) -> None:
        self.answers: dict[str, dict] = {}
        super().__init__()

    def _handler(self):
        server = self

        class Handler(super()._handler()):
            def do_GET(self) -> None:
                self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})

            def _act(self, action: str, body: dict, rid: int) -> None:
                if action != "ok":
                    return super()._act(action, body, rid)
                key = body.get("prompt", str(body.get("messages")))  # a chat answer is keyed by its messages
                self._send(200, server.answers.get(key) or well_formed(body))

        return Handler


def top_answer(top: dict[str, float]) -> dict:
    """A /completions answer whose one generated token has these top log-probabilities."""
    first = next(iter(top), " w0")
    return {"choices": [{"text": first, "finish_reason": "length", "logprobs": {
        "tokens": [first], "token_logprobs": [top.get(first, -1.0)], "text_offset": [0], "top_logprobs": [top]}}]}


def echo_answer(prompt: str, values: list, *, generated: bool = True, usage: tuple[int, int] | None = None) -> dict:
    """A /completions answer with echo: the prompt cut into words (each with its leading space), their
    `values`, then one generated token " x" at -0.5 unless `generated` is False (the model ended there)."""
    tokens = re.findall(r"\s*\S+", prompt) + ([" x"] if generated else [])
    values = list(values) + ([-0.5] if generated else [])
    offsets = [sum(map(len, tokens[:i])) for i in range(len(tokens))]
    counts = usage or (len(tokens) - generated, int(generated))
    return {"choices": [{"text": "".join(tokens), "finish_reason": "length",
                         "logprobs": {"tokens": tokens, "token_logprobs": values, "text_offset": offsets,
                                      "top_logprobs": [None] * len(tokens)}}],
            "usage": {"prompt_tokens": counts[0], "completion_tokens": counts[1]}}


def well_formed(body: dict) -> dict:
    if body.get("echo"):
        words = len(re.findall(r"\s*\S+", body["prompt"]))
        return echo_answer(body["prompt"], [None] + [-LN2] * (words - 1))  # "Hello w0": as the top log-probabilities
    return top_answer({f" w{i}": -(i + 1) * LN2 for i in range(body.get("logprobs") or 0)})  # p = 1/2, 1/4, ...


@pytest.fixture(scope="module")
def served():
    with PayloadServer() as server:
        model = OpenAIServerBackend(f"openai+{server.url}#{MODEL}", server.url, MODEL, api_key_env=None)
        yield server, model
        model.close()


def refused(server, *parts: str) -> str:
    """The message pattern: the server and model first, then the parts in order."""
    return re.escape(f"{server.url} (model '{MODEL}')") + ".*" + ".*".join(parts)


def test_the_fake_server_loads_as_a_server_that_gives_top_20_and_echoes(served):
    server, model = served
    assert model.max_top_logprobs == 20 and model.scores_prompts
    assert model.top_logprobs("Once", k=2) == [(" w0", pytest.approx(-LN2)), (" w1", pytest.approx(-2 * LN2))]


# --- top log-probabilities ------------------------------------------------------------------------------

def test_a_positive_top_log_probability_is_an_error_naming_the_token_and_the_value(served):
    server, model = served
    server.answers["Positive"] = top_answer({" a": 0.7, " b": -0.04})
    with pytest.raises(PayloadError, match=refused(server, r"top_logprobs\[0\]\[' a'\] is 0.7", "probability above 1",
                                                   "raw_logprobs")):
        model.top_logprobs("Positive")
    with pytest.raises(ValueError, match=r"top_logprobs\[0\] is 0.7: a log-probability above 0 is a probability above 1"):
        measures.entropy_bounds([0.7, -0.04])  # was an entropy of -1.37 nats


def test_a_chat_answer_is_checked_by_the_same_rules(served):
    server, model = served
    chat = [{"role": "user", "content": "Say yes"}]
    top = [{"token": " a", "logprob": 0.7}, {"token": " b", "logprob": -0.04}]
    server.answers[str(chat)] = {"choices": [{"message": {"role": "assistant", "content": " a"}, "finish_reason": "length",
                                              "logprobs": {"content": [{"token": " a", "logprob": 0.7, "top_logprobs": top}]}}]}
    with pytest.raises(PayloadError, match=refused(server, r"content\[0\]\.top_logprobs\[' a'\] is 0.7")):
        model.top_logprobs(chat, k=2)


def test_a_log_probability_above_0_by_rounding_is_read_as_0(served):
    server, model = served
    server.answers["Rounded"] = top_answer({" a": 3e-6} | {f" w{i}": -30.0 - i for i in range(19)})
    top = model.top_logprobs("Rounded")
    assert top[0] == (" a", 0.0) and len(top) == 20
    assert measures.entropy_bounds([3e-6, -30.0]) == measures.entropy_bounds([0.0, -30.0])


def test_top_log_probabilities_whose_mass_passes_1_are_an_error_not_a_certain_interval(served):
    server, model = served
    server.answers["Cut"] = top_answer({" a": math.log(0.7), " b": math.log(0.6)} | {f" w{i}": -30.0 - i for i in range(18)})
    with pytest.raises(PayloadError, match=refused(server, r"top_logprobs\[0\] hold probability mass 1.3,",
                                                   "sampler cut", "raw_logprobs")):
        model.top_logprobs("Cut")
    with pytest.raises(ValueError, match="top_logprobs hold probability mass 1.3, more than 1"):
        measures.entropy_bounds([math.log(0.7), math.log(0.6)])  # was the zero-width interval [1.66, 1.66]


@pytest.mark.parametrize("zero", [-math.inf, -9999.0], ids=["-inf", "-9999"])
def test_a_token_at_mass_0_is_left_out_without_a_crash(served, zero):
    server, model = served
    prompt = f"Zero {zero}"
    server.answers[prompt] = top_answer({" a": math.log(0.5), " b": math.log(0.2), " z": zero}
                                        | {f" w{i}": -5.0 - i / 10 for i in range(17)})
    top = model.top_logprobs(prompt)
    assert top[-1] == (" z", -math.inf) and len(top) == 20  # JSON -Infinity and vLLM's -9999 alike
    bounds = measures.entropy_bounds([value for _, value in top], vocab_size=1000)
    assert bounds == measures.entropy_bounds([value for _, value in top[:-1]], vocab_size=1000)
    assert bounds.top_k == 19 and 0 < bounds.low < bounds.high < math.log(1000)
    assert measures.entropy_bounds([-0.5, zero]) == measures.entropy_bounds([-0.5])  # was ZeroDivisionError


def test_a_lone_entry_at_0_where_20_were_asked_is_a_cut_report_and_where_1_was_asked_a_certainty(served):
    server, model = served
    server.answers["Sure"] = top_answer({" yes": 0.0})
    with pytest.raises(PayloadError, match=refused(server, "1 entries with mass above 0 where 20 were asked",
                                                   "hold all the mass", "sampler cut the other tokens")):
        model.top_logprobs("Sure")
    assert model.top_logprobs("Sure", k=1) == [(" yes", 0.0)]
    # p = 1 by the report, rounded: entropy 0 up to what rounding (1e-5 of mass) can hide in the tail
    assert measures.entropy_bounds([0.0]) == measures.BoundedEntropy(0.0, math.inf, 1, 0.0)
    known = measures.entropy_bounds([0.0], vocab_size=49152)
    assert known.low == 0.0 and known.high == pytest.approx(1e-5 * math.log(49151 / 1e-5))
    assert measures.entropy_bounds([0.0], vocab_size=1).high == 0.0  # the whole vocabulary: exact


# --- echoed prompt log-probabilities ----------------------------------------------------------------------

def test_a_null_at_the_first_prompt_token_is_normal_and_the_continuation_scores_right(served):
    server, model = served
    server.answers["Hello there big world"] = echo_answer("Hello there big world", [None, -1.0, -2.0, -3.0])
    assert model.score(["Hello there"], [" big world"]) == [-5.0]
    server.answers["Hello here big world"] = echo_answer("Hello here big world", [None, -1.0, -2.0, -3.0], generated=False)
    assert model.score(["Hello here"], [" big world"]) == [-5.0]  # the model ended there: no token to drop
    server.answers["Hello so big world"] = echo_answer("Hello so big world", [None, -1.0, -2.0, -9999.0])
    assert model.score(["Hello so"], [" big world"]) == [-math.inf]  # a token of mass 0


@pytest.mark.parametrize("values, context, usage, message", [
    ([None, -1.0, None, -3.0], "Hello there", None,
     r"token_logprobs\[2\] \(the token ' big' at character 11\) is null; the server gave no log-probability"),
    ([None, -1.0, -2.0, -3.0], "", None, r"token_logprobs\[0\] \(the token 'Hello' at character 0\) is null; "
                                         "it is the prompt's first token, which has no context"),
    ([None, -1.0, 0.5, -3.0], "Hello there", None, r"token_logprobs\[2\] \(the token ' big' .*\) is 0.5: a "
                                                   "log-probability above 0"),
    ([None, -1.0, -2.0, -3.0], "Hello there", (6, 1), "has 5 entries where usage counts 6 prompt and 1 generated"),
], ids=["null-in-continuation", "null-without-context", "positive", "fewer-than-tokens"])
def test_a_bad_echo_is_an_error_naming_the_entry(served, values, context, usage, message):
    server, model = served
    server.answers["Hello there big world"] = echo_answer("Hello there big world", values, usage=usage)
    with pytest.raises(PayloadError, match=refused(server, message)):
        model.score([context], ["Hello there big world"[len(context):]])


def test_an_echo_whose_lists_differ_in_length_is_an_error(served):
    server, model = served
    answer = echo_answer("Hello there big world", [None, -1.0, -2.0, -3.0])
    del answer["choices"][0]["logprobs"]["token_logprobs"][-2]  # one continuation entry short
    server.answers["Hello there big world"] = answer
    with pytest.raises(PayloadError, match=refused(server, r"lists of different lengths \{'token_logprobs': 4, "
                                                           "'text_offset': 5, 'tokens': 5}")):
        model.score(["Hello there"], [" big world"])


def test_an_echo_one_position_late_is_found_at_load_and_score_says_why_it_cannot():
    with PayloadServer() as server:  # the top probe gives " w0" -ln 2 after "Hello"; this echo gives it -3
        server.answers["Hello w0"] = echo_answer("Hello w0", [None, -3.0])
        model = OpenAIServerBackend(f"openai+{server.url}#{MODEL}", server.url, MODEL, api_key_env=None)
        try:
            assert model.gives_top_logprobs and not model.scores_prompts
            with pytest.raises(NotImplementedError, match=r"after 'Hello' its top log-probabilities give ' w0' -0.6931, "
                                                          r"its echo of 'Hello'\+' w0' gives -3.0000 .*one position late"):
                model.score(["Hello"], [" w0"])
        finally:
            model.close()
