"""Baseline storage (issue 6, first part): top-k distributions with a KL bound that holds, and files that
are validated on reading, never touched when damaged, and written atomically in a stable order."""

import json

import numpy as np
import pytest

from pytest_worldprior import stats
from pytest_worldprior.baselines import BaselineFileError, read_file, write_file
from pytest_worldprior.errors import TokenizerMismatchError
from pytest_worldprior.measures import TopK, kl_to_stored

PROMPTS = ["Once upon a time, there was a", "Q: Are bugs real?\nA:", "Pick a random number from 1 to 10:", "Tom: Hello!\nAnna:"]


@pytest.mark.parametrize("k", [1, 3, 8, 32])
def test_kl_from_a_stored_top_k_lies_within_its_stated_bound(toy_base, toy_collapsed, k):
    stored = toy_base.next_token_logprobs(PROMPTS)
    candidate = toy_collapsed.next_token_logprobs(PROMPTS)
    for full_q, p in zip(stored, candidate):
        live = float(stats.kl_from_logprobs(p, full_q))
        approx = kl_to_stored(p, TopK.of(full_q, k))
        assert approx.low - 1e-9 <= live <= approx.high + 1e-9, (k, live, approx)
        assert approx.low <= approx.estimate <= approx.high


def test_the_bound_closes_as_k_grows_and_is_exact_for_the_whole_vocabulary(toy_base, toy_collapsed):
    q, p = toy_base.next_token_logprobs(PROMPTS[:1])[0], toy_collapsed.next_token_logprobs(PROMPTS[:1])[0]
    widths = [kl_to_stored(p, TopK.of(q, k)).error_bound for k in (2, 8, 32)]
    assert widths[0] >= widths[1] >= widths[2]
    whole = kl_to_stored(p, TopK.of(q, q.size))
    assert whole.error_bound == 0 and whole.estimate == pytest.approx(float(stats.kl_from_logprobs(p, q)), abs=1e-12)


def test_a_model_against_its_own_stored_distribution_is_zero_within_the_bound(toy_base):
    q = toy_base.next_token_logprobs(PROMPTS[:1])[0]
    result = kl_to_stored(q, TopK.of(q, 8))
    assert result.low <= 1e-12 and 0 <= result.high + 1e-12 and result.estimate == pytest.approx(0, abs=1e-12)


def test_a_stored_distribution_from_another_tokenizer_is_refused(toy_base):
    q = toy_base.next_token_logprobs(PROMPTS[:1])[0]
    with pytest.raises(TokenizerMismatchError, match="needs the same tokenizer"):
        kl_to_stored(np.log(np.full(10, 0.1)), TopK.of(q, 4))


def test_top_k_round_trips_through_json(toy_base):
    q = toy_base.next_token_logprobs(PROMPTS[:1])[0]
    for k in (4, q.size):
        stored = TopK.of(q, k)
        assert TopK.from_dict(json.loads(json.dumps(stored.as_dict()))) == stored


# --- files -----------------------------------------------------------------------------------------


def document(toy_base):
    info = toy_base.info()
    q = toy_base.next_token_logprobs(PROMPTS[:1])[0]
    check = {"check": "entropy", "prompt": PROMPTS[0], "label": "next-token entropy (nats, T=1)", "seed": None,
             "estimate": 2.83, "interval": None, "next_token": TopK.of(q, 8).as_dict()}
    measurement = {"measure": "next_token_entropy", "arguments": {"prompts": [PROMPTS[0]], "temperature": "1.0"},
                   "result": {"__array__": "<f8", "values": [2.83]}}
    entry = {"model": info.reference, "checks": [check], "measurements": [measurement]}
    return {"schema_version": 1, "module": "tests/test_x.py", "models": {info.reference: info.as_dict()},
            "entries": {"test_b": entry, "test_a": entry}}


def test_write_then_read_gives_the_same_document_in_a_stable_order(toy_base, tmp_path):
    path = tmp_path / "baselines" / "test_x.json"
    write_file(path, document(toy_base))
    first = path.read_bytes()
    assert read_file(path) == document(toy_base)
    write_file(path, read_file(path))
    assert path.read_bytes() == first  # sorted keys: re-writing changes nothing
    text = first.decode()
    assert text.index("test_a") < text.index("test_b") and text.endswith("}\n")
    assert not list(path.parent.glob(".*tmp*"))


@pytest.mark.parametrize("damage, problem", [
    (lambda text: text[: len(text) // 2], "ends too early (truncated?)"),
    (lambda text: text.replace('"entries":', '"entries"', 1), "is not valid JSON: Expecting ':' delimiter"),
    (lambda text: text.replace('"estimate": 2.83', '"estimate": "2.83"', 1), "does not match the baseline schema at ['entries']"),
    (lambda text: text.replace('"schema_version": 1', '"schema_version": 2', 1), "does not match the baseline schema at ['schema_version']"),
])
def test_a_damaged_file_gives_a_clear_error_and_keeps_its_bytes(toy_base, tmp_path, damage, problem):
    path = tmp_path / "test_x.json"
    write_file(path, document(toy_base))
    path.write_text(damage(path.read_text()))
    before = path.read_bytes()
    with pytest.raises(BaselineFileError) as error:
        read_file(path)
    message = str(error.value)
    assert str(path) in message and problem in message, message
    assert "--worldprior-update-baselines" in message
    assert path.read_bytes() == before


def test_a_field_of_the_wrong_type_is_named(toy_base, tmp_path):
    path = tmp_path / "test_x.json"
    write_file(path, document(toy_base))
    path.write_text(path.read_text().replace('"estimate": 2.83', '"estimate": "2.83"', 1))
    with pytest.raises(BaselineFileError, match=r"\['entries'\]\['test_a'\]\['checks'\]\[0\]\['estimate'\]: '2.83' is not of type 'number'"):
        read_file(path)


def test_an_invalid_document_is_never_written(toy_base, tmp_path):
    path = tmp_path / "test_x.json"
    bad = document(toy_base)
    bad["entries"]["test_a"]["checks"][0]["seed"] = "zero"
    with pytest.raises(ValueError, match="refusing to write an invalid baseline"):
        write_file(path, bad)
    assert not path.exists()


@pytest.mark.parametrize("keep", [0.1, 0.37, 0.5, 0.83, 0.99])
def test_a_file_cut_anywhere_is_reported_as_truncated(toy_base, tmp_path, keep):
    path = tmp_path / "test_x.json"
    write_file(path, document(toy_base))
    text = path.read_text()
    path.write_text(text[: int(len(text) * keep)])
    with pytest.raises(BaselineFileError, match=r"ends too early \(truncated\?\)"):
        read_file(path)


def test_a_file_that_is_not_text_is_named(tmp_path):
    path = tmp_path / "test_x.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(BaselineFileError, match="is not UTF-8 text"):
        read_file(path)
    assert path.read_bytes() == b"\x89PNG\r\n\x1a\n\xff\xfe"


@pytest.mark.parametrize("logprobs, k", [(np.zeros((2, 3)), 2), (np.log(np.full(4, 0.25)), 0)])
def test_top_k_of_a_bad_input_says_what_it_needs(logprobs, k):
    with pytest.raises(ValueError, match="need one distribution"):
        TopK.of(logprobs, k)
