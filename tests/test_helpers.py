"""The small shared helpers of the redesign: one JSON-safe conversion, one temperature check, the t
interval along an axis, names loaded on first use, and the contract's top_logprobs."""

from __future__ import annotations

import enum
import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from pytest_worldprior import stats
from pytest_worldprior.jsonsafe import jsonable
from pytest_worldprior.lazy import lazy_names
from pytest_worldprior.stats.checks import check_temperature


class Colour(enum.Enum):
    RED = "red"


def test_jsonable_turns_numpy_enums_and_tuples_into_plain_values():
    value = {1: (np.float64(0.25), np.int64(3)), "a": np.array([[1, 2], [3, 4]]), "c": Colour.RED, "b": np.bool_(True)}
    assert jsonable(value) == {"1": [0.25, 3], "a": [[1, 2], [3, 4]], "c": "red", "b": True}
    assert type(jsonable(np.int64(3))) is int and type(jsonable(np.float32(0.5))) is float


def test_jsonable_writes_non_finite_floats_as_null_only_when_asked():
    value = [math.inf, -math.inf, np.float64("nan"), 1.5]
    assert jsonable(value, finite=True) == [None, None, None, 1.5]
    kept = jsonable(value)
    assert kept[0] == math.inf and kept[1] == -math.inf and math.isnan(kept[2])


def test_jsonable_refuses_a_zero_dimensional_array():
    with pytest.raises(TypeError):
        jsonable(np.array(1.0))


def test_check_temperature_returns_the_value_and_names_what_is_wrong():
    assert check_temperature(0.7) == 0.7 and check_temperature(2) == 2.0 and check_temperature(np.float32(0.5)) == 0.5
    with pytest.raises(ValueError, match=r"^temperature must be a finite number above 0, got 0; temperature 0 means greedy"):
        check_temperature(0)
    for bad in (-1.0, math.nan, math.inf, True, "1", None):
        with pytest.raises(ValueError, match=rf"^T must be a finite number above 0, got {re_escape(bad)}$"):
            check_temperature(bad, "T")


def re_escape(value) -> str:
    import re

    return re.escape(repr(value))


def test_t_interval_along_an_axis_is_one_t_interval_per_column():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(20, 3))
    table[:, 1] = 0.5  # no spread: the interval is the mean alone
    low, high = stats.t_interval(table, 0.05, axis=0)
    half = scipy_stats.t.ppf(0.975, 19) * table.std(axis=0, ddof=1) / math.sqrt(20)
    mean = table.mean(axis=0)
    np.testing.assert_allclose(low, mean - half, rtol=1e-12)
    np.testing.assert_allclose(high, mean + half, rtol=1e-12)
    assert low[1] == high[1] == 0.5
    assert stats.t_interval(table[:, 0], 0.05) == pytest.approx((low[0], high[0]), rel=1e-12)  # flat: floats
    with pytest.raises(ValueError, match="alpha"):
        stats.t_interval(table, 1.5, axis=0)
    with pytest.raises(ValueError, match="NaN"):
        stats.t_interval([1.0, math.nan], 0.05)


def test_lazy_names_load_a_name_once_and_refuse_others():
    getattr_, dir_ = lazy_names("pytest_worldprior.stats", {"wilson_interval": "intervals"})
    assert getattr_("wilson_interval") is stats.intervals.wilson_interval
    assert "wilson_interval" in dir_()
    with pytest.raises(AttributeError, match="module 'pytest_worldprior.stats' has no attribute 'nothing'"):
        getattr_("nothing")


def test_top_logprobs_of_a_logit_backend_are_its_largest_next_token_logprobs(toy_base):
    prompt = "Once upon a time"
    row = toy_base.next_token_logprobs([prompt])[0]
    top = toy_base.top_logprobs(prompt, 3)
    assert [lp for _, lp in top] == pytest.approx(sorted(row, reverse=True)[:3], abs=1e-12)
    assert [text for text, _ in top] == [toy_base.token_texts()[i] for i in np.argsort(-row, kind="stable")[:3]]
    assert toy_base.max_top_logprobs == toy_base.vocab_size
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        toy_base.top_logprobs(prompt, 0)
