"""The OpenAI-compatible server backend against a real server: llama-cpp-python serving the bundled
SmolLM2 .gguf, compared with the transformers backend on the same file (slow: marked real_model)."""

import json

import numpy as np
import pytest

from llama_server import MODEL_NAME
from pytest_worldprior import assert_entropy_within, assert_no_attractor, assert_uniform_choice, load_model, measures, stats

pytestmark = pytest.mark.real_model

PROMPTS = ["Once upon a time, there was a", "The capital of France is", "Q: Are bugs real?\nA:"]
NUMBERS = [str(i) for i in range(1, 11)]
# llama.cpp runs the Q4_1 weights with 8-bit activations where transformers runs them dequantised in
# float32: the next-token distributions differ a little. Measured on these prompts: see BENCHMARKS.md.
QUANTISATION_TOLERANCE_NATS = 0.1


@pytest.fixture(scope="module")
def served(llama_server):
    model = load_model(llama_server.reference, api_key_env=llama_server.key_env)
    yield model
    model.close()


@pytest.fixture(scope="module")
def local():
    return load_model("smollm2-135m-instruct")


def test_the_server_declares_what_it_can_give(served):
    assert served.max_top_logprobs >= 5 and served.gives_top_logprobs and not served.gives_logits
    assert served.info().backend == "openai-http" and served.info().name == MODEL_NAME


def test_the_top_k_entropy_interval_holds_the_exact_entropy_of_the_same_model(served, local):
    exact = stats.entropy_from_logprobs(local.next_token_logprobs(PROMPTS))
    for prompt, value in zip(PROMPTS, exact):
        top = served.top_logprobs(prompt)
        bounds = measures.entropy_bounds([lp for _, lp in top], vocab_size=local.info().vocab_size)
        assert bounds.low - QUANTISATION_TOLERANCE_NATS <= value <= bounds.high + QUANTISATION_TOLERANCE_NATS, (prompt, bounds, value)


def test_entropy_checks_run_through_http_on_the_interval(served):
    verdict = assert_entropy_within(served, PROMPTS[0], min_nats=0.5)
    assert verdict.method == "top-k bound" and verdict.interval[0] >= 0.5


def test_the_random_choice_check_runs_through_http_and_agrees_with_the_local_model(served, local):
    prompt = "Pick a random number from 1 to 10:"
    # Limit 1: what is compared is the top answer. The shares themselves differ by definition: a sample
    # counts as "1" after any whitespace ("\n1."), the exact distribution scores " 1" after the prompt.
    # n=384: under the closed-set end rule only about 1 sample in 10 is an answer ("1, 2, 3" is a list).
    verdict = assert_uniform_choice(served, prompt, NUMBERS, max_top_share=1.0, n=384, min_in_set_mass=0.0)
    exact = measures.choice_distribution(local, prompt, NUMBERS)
    assert verdict.method == "wilson" and sum(verdict.details["counts"]) >= 20  # sampled through HTTP
    assert NUMBERS[int(np.argmax(verdict.details["counts"]))] == exact.top, (verdict.details, exact.as_dict())


def test_snap_back_runs_through_http_and_agrees_with_the_local_model(served, local):
    """The same model served and local, after the same prefix C: snap-back rates that agree."""
    story, lines = "Once upon a time, there was a", ["You are a murderer."]
    # Classes by the first three words: short continuations of a 135M model repeat openings more often than
    # sentences, so both sides have recurring lines to return to.
    settings = dict(prefix=" little girl named Lily.", n=32, max_new_tokens=16, steps=4, key=measures.first_words)
    remote, here = (measures.run_attractor(m, story, lines, **settings) for m in (served, local))
    result = remote.results[0]
    assert result.injection.injected_context == "Once upon a time, there was a little girl named Lily. You are a murderer."
    assert result.influence is None and result.snap_back.n == 32 and result.snap_back.clean_example
    assert result.snap_back.per_prefix == ((" little girl named Lily.", remote.snap_back_count, 32),)
    low, high = stats.newcombe_difference_interval(remote.snap_back_count, remote.n, here.snap_back_count, here.n, 1e-3)
    assert low <= 0 <= high, (remote.snap_back_rate, here.snap_back_rate)
    # The assertion itself, its own prefix drawn through HTTP: the first sentence the server writes.
    verdict = assert_no_attractor(served, story, lines, max_snap_back_share=1.0, n=8, max_new_tokens=16, prefix_draws=2)
    entry = verdict.details["candidate"]["per_injection"][0]
    assert entry["where"] == "after the first sentence" and "influence" not in entry and entry["prefix"]


def test_samples_are_seeded_per_index(served):
    first = [s.text for s in served.sample("Once upon a time", 3, max_new_tokens=8, seed=5)]
    again = [s.text for s in served.sample("Once upon a time", 3, max_new_tokens=8, seed=5)]
    assert first == again and len(set(first)) > 1


def test_a_session_against_the_server_never_shows_the_key(llama_server, pytester):
    pytester.makepyfile(test_server="""
from pytest_worldprior import assert_mode_share_within

def test_openings(worldprior_model):
    assert_mode_share_within(worldprior_model, "Once upon a time", max_top_share=0.01, n=8)
""")
    outputs = {name: pytester.path / name for name in ("report.json", "report.html", "junit.xml")}
    result = pytester.runpytest_subprocess(
        "--worldprior-model", llama_server.reference, "--worldprior-api-key-env", llama_server.key_env,
        "--worldprior-report", str(outputs["report.json"]), "--worldprior-html", str(outputs["report.html"]),
        "--junitxml", str(outputs["junit.xml"]), "-p", "no:cacheprovider", "-rA", "--worldprior-no-cache")
    assert result.ret == 1  # max_top_share 0.01 cannot hold: the failure message is part of what is searched
    texts = {"terminal": result.stdout.str() + result.stderr.str()} | {n: p.read_text() for n, p in outputs.items()}
    assert "share of the commonest opening" in texts["terminal"] and json.loads(texts["report.json"])["verdicts"]
    for name, text in texts.items():
        assert llama_server.key not in text, name


@pytest.mark.parametrize("problem", ["key", "model", "server"])
def test_a_wrong_key_model_or_address_stops_the_session_at_once(llama_server, pytester, monkeypatch, problem):
    reference, key_env = llama_server.reference, llama_server.key_env
    if problem == "key":
        monkeypatch.setenv("WRONG_KEY", "sk-wrong")
        key_env = "WRONG_KEY"
    elif problem == "model":
        reference = reference.replace(f"#{MODEL_NAME}", "#no-such-model")
    else:
        reference = reference.replace(str(llama_server.port), "9")  # the discard port: nobody answers
    pytester.makepyfile(test_a="def test_a(worldprior_model): pass\ndef test_b(worldprior_model): pass\n")
    result = pytester.runpytest_subprocess("--worldprior-model", reference, "--worldprior-api-key-env", key_env,
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = {"key": "refused the API key", "model": "does not serve a model named 'no-such-model'; it serves: 'smollm2'",
                "server": "Is the server running at http://127.0.0.1:9/v1?"}[problem]
    assert expected in result.stderr.str(), result.stderr.str()
    assert "sk-wrong" not in result.stdout.str() + result.stderr.str()
