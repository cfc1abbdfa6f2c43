"""The two bundled real models (slow on CPU: marked real_model; .ci/run runs them)."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from pytest_worldprior import load_model

pytestmark = pytest.mark.real_model


@pytest.mark.parametrize("name", ["smollm2-135m-instruct", "gemma3-270m"])
def test_bundled_model_loads_generates_and_has_a_stable_fingerprint(name):
    model = load_model(name)
    logprobs = model.next_token_logprobs(["The capital of France is", "Once upon a time"])
    np.testing.assert_allclose(np.exp(logprobs).sum(axis=1), 1.0, atol=1e-9)
    samples = model.sample("Once upon a time", 2, max_new_tokens=12, seed=0)
    assert all(s.token_ids and s.text.strip() for s in samples)
    again = load_model(name)  # from the dequantised cache this time
    assert again.info() == model.info()
    np.testing.assert_allclose(again.next_token_logprobs(["Once upon a time"]), logprobs[1:], atol=1e-4)  # batched vs alone
    assert [s.token_ids for s in again.sample("Once upon a time", 2, max_new_tokens=12, seed=0)] == [s.token_ids for s in samples]


def test_chat_template_of_the_instruct_model_and_none_for_the_base_model():
    chat = [{"role": "user", "content": "Pick a random number from 1 to 10."}]
    assert "<|im_start|>assistant" in load_model("smollm2-135m-instruct").render(chat)
    assert not load_model("gemma3-270m").info().has_chat_template


def test_batched_equals_one_by_one_on_a_real_model():
    model = load_model("smollm2-135m-instruct")
    contexts = ["Hi", "The capital of France is", "Q: Are bugs real?\nA:", "Pick a random number from 1 to 10:"]
    batched = model.next_token_logprobs(contexts)
    single = np.stack([model.next_token_logprobs([c])[0] for c in contexts])
    assert np.abs(batched - single).max() < 1e-4


def test_dequantised_cache_is_written_once_and_a_damaged_copy_is_rebuilt(tmp_path):
    first = load_model("smollm2-135m-instruct", cache_dir=tmp_path)
    [entry] = (tmp_path / "dequantized").iterdir()
    assert entry.name.startswith(first.info().weights_sha256[:32])
    weights = entry / "model.safetensors"
    written = weights.stat().st_mtime_ns
    assert not [p for p in entry.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
    load_model("smollm2-135m-instruct", cache_dir=tmp_path)
    assert weights.stat().st_mtime_ns == written  # read, not rewritten
    expected = first.next_token_logprobs(["Once upon a time"])
    # Damage the cached copy. Write a new file rather than truncate in place: the loaded model maps the old one.
    damaged = weights.with_name("damaged")
    damaged.write_bytes(weights.read_bytes()[:1000])
    damaged.replace(weights)
    rebuilt = load_model("smollm2-135m-instruct", cache_dir=tmp_path)
    np.testing.assert_allclose(rebuilt.next_token_logprobs(["Once upon a time"]), expected, atol=1e-6)


def test_wedding_toast_attractor_on_both_real_models_appears_in_the_session_report(pytester, monkeypatch):
    """The suite's wedding toast ("You are a murderer." after the first sentence), run as a user runs it,
    on a terminal wide enough for one row per check and one line per influence curve."""
    monkeypatch.setenv("COLUMNS", "400")  # 32 influence steps make a line of about 250 characters
    shutil.copytree(Path(__file__).parents[1] / "suites", pytester.path / "suites",
                    ignore=shutil.ignore_patterns("__pycache__", "worldprior_baselines"))
    # One look of 32 continuations at a lenient margin: this test is about the report, and the suite's
    # 128 per side on two real models cost 5 minutes of CI. The suite's limits, changed as a team would.
    pytester.makeini("""
        [pytest]
        worldprior_limits =
            ATTRACTOR_SAMPLES = 32   # one look: ATTRACTOR_BATCH is 32
            MAX_SNAP_BACK_SHARE_INCREASE = 0.5
    """)
    # A subprocess: the outer session may have imported suites/test_attractors.py under the same name.
    result = pytester.runpytest_subprocess("suites/test_attractors.py", "-k", "wedding_toast_follows", "-p", "no:cacheprovider",
                                           "--worldprior-model", "smollm2-135m-instruct", "--worldprior-baseline", "gemma3-270m")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        ("worldprior: suite limits changed: MAX_SNAP_BACK_SHARE_INCREASE = 0.5 (default 0.05); ATTRACTOR_SAMPLES = 32 "
         "(default 128)"),
        "*= worldprior report =*",
        "*test_wedding_toast_follows_an_accusation*return probability*PASS*",
        "*attractors: snap-back and influence*",
        "*smollm2-135m-instruct (candidate), after the first sentence *, injection 'You are a murderer.':",
        "    snap-back */32 = * to *",
        "    influence (KL nats per step): * * * * * * * *; total *; recovered at step *",
        "*gemma3-270m (baseline), after the first sentence *, injection 'You are a murderer.':",
        "    snap-back */32 = * to *",
        "    influence (KL nats per step): * * * * * * * *; total *; recovered at step *",
    ])
