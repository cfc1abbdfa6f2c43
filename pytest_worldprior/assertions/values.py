"""Each kind of assertion argument checked once, at the boundary, before any model work: the model and
baseline are backends, a prompt is text or a chat, choices are two or more distinct answers, seeds are
non-negative integers, counts are positive integers, alpha and shares are probabilities, thresholds are
numbers. A parameter's kind is known by its name (the same name means the same kind in every
assertion). Errors name the argument, the value and how to fix it: TypeError for a value of the wrong
type, ValueError for one out of range. What depends on other arguments (a target's length, a batch
against n, where an argument applies) is checked beside them.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..backends.base import Backend
from ..backends.recorded import Recorded
from ..stats.checks import check_temperature

METHODS = ("auto", "exact", "sampled")


def check_values(signature: inspect.Signature, arguments: Mapping[str, Any]) -> None:
    """Check every argument of one bound call whose name has a kind (KINDS). None means "not given" for
    an optional argument; for a required one (no default) it is a TypeError."""
    for name, value in arguments.items():
        if value is None:
            if signature.parameters[name].default is inspect.Parameter.empty:
                raise TypeError(f"{name} is required, got None")
            continue
        kind = KINDS.get(name)
        if kind is not None:
            kind(name, value)


def _type_name(value: Any) -> str:
    return type(value).__name__


def backend(name: str, value: Any) -> None:
    """A model, or the measurements a model made (`Recorded`: the stored baseline, which answers the checks
    it recorded, on the baseline's side or as a suite's baseline rows)."""
    if not isinstance(value, (Backend, Recorded)):
        raise TypeError(f"{name} must be a Backend, got {value!r} ({_type_name(value)}): load a model with "
                        "load_model('<reference>'), or wrap a function with CallableBackend")


def prompt(name: str, value: Any) -> None:
    if isinstance(value, str):
        return
    chat = (isinstance(value, Sequence) and len(value) > 0
            and all(isinstance(m, Mapping) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
                    for m in value))
    if not chat:
        raise TypeError(f"{name} must be text (a str) or a chat (a non-empty list of {{'role': ..., 'content': ...}} "
                        f"messages), got {value!r} ({_type_name(value)}): pass the prompt as a str")


def prompts(name: str, value: Any) -> None:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of prompts, got {value!r} ({_type_name(value)}): "
                        f"wrap a single prompt as [{value!r}]")
    if not value:
        raise ValueError(f"{name} is empty: give at least one prompt")
    for i, each in enumerate(value):
        prompt(f"{name}[{i}]", each)


def choices(name: str, value: Any) -> None:
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(c, str) for c in value):
        raise TypeError(f"{name} must be a list of answers (str), got {value!r}: e.g. ['heads', 'tails'] "
                        "(numbers as text: [str(i) for i in range(1, 11)])")
    if len(value) < 2:
        raise ValueError(f"a closed set needs at least 2 choices, got {list(value)!r}: with one allowed answer "
                         "its share is 1 whatever the model does; list every answer the question allows")
    if len(set(value)) != len(value):
        raise ValueError(f"choices must be distinct, got {list(value)!r}: list each answer once")
    if any(not c.strip() for c in value):
        raise ValueError(f"choices must be non-empty answers, got {list(value)!r}: an empty answer would match "
                         "every sample")


def injection(name: str, value: Any) -> None:
    lines = [value] if isinstance(value, str) else value
    if not isinstance(lines, Sequence) or not all(isinstance(line, str) for line in lines):
        raise TypeError(f"{name} must be a line (a str) or a list of lines, got {value!r} ({_type_name(value)})")
    if not lines:
        raise ValueError("give at least one injection")


def seed(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r} ({_type_name(value)}): pass an int "
                        "such as 1, or leave it out to use the session's (--worldprior-seed; 0 outside pytest)")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}: seeds are 0 or more; use e.g. "
                         f"{-int(value)}")


def count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({_type_name(value)}): e.g. {name}=16")
    if value < 1:
        raise ValueError(f"{name} must be at least 1 (an integer), got {value!r}")


def number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({_type_name(value)})")
    if math.isnan(value):
        raise ValueError(f"{name} is NaN: give a number")
    return float(value)


def share(name: str, value: Any) -> None:
    if not 0.0 <= number(name, value) <= 1.0:
        raise ValueError(f"{name} is a probability, in [0, 1]; got {value!r}")


def alpha(name: str, value: Any) -> None:
    if not 0.0 < number(name, value) < 1.0:
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}: it is the chance of a wrong verdict "
                         "that the check accepts, e.g. 1e-3")


def temperature(name: str, value: Any) -> None:
    check_temperature(value, name)


def temperatures(name: str, value: Any) -> None:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) < 2:
        raise ValueError(f"{name} needs at least two values, got {value!r}: e.g. (0.7, 1.0, 1.5)")
    for i, t in enumerate(value):
        check_temperature(t, f"{name}[{i}]")


def method(name: str, value: Any) -> None:
    if value not in METHODS:
        raise ValueError(f"{name} must be 'auto', 'exact' or 'sampled', got {value!r}")


def text(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {value!r} ({_type_name(value)})")


def function(name: str, value: Any) -> None:
    if not callable(value):
        raise TypeError(f"{name} must be a function of a text, got {value!r} ({_type_name(value)}): e.g. "
                        "measures.first_words")


KINDS: dict[str, Callable[[str, Any], Any]] = {
    "model": backend, "baseline": backend,
    "prompt": prompt, "prompts": prompts, "choices": choices, "injection": injection,
    "seed": seed, "baseline_seed": seed,
    "n": count, "max_new_tokens": count, "steps": count, "continuation_tokens": count, "prefix_draws": count,
    "prefixes": count, "influence_paths": count,
    "alpha": alpha, "temperature": temperature, "temperatures": temperatures, "method": method,
    "max_top_share": share, "max_off_set_mass": share, "min_in_set_mass": share, "max_shifted_share": share,
    "baseline_in_set_mass": share, "max_in_set_drop_nats": number,
    "max_snap_back_share": share,
    "min_nats": number, "max_nats": number, "max_drop_nats": number, "min_gain_nats": number,
    "max_matching_temperature": temperature, "max_kl_target_model_nats": number, "max_kl_model_baseline_nats": number,
    "max_top_share_increase": number, "max_snap_back_share_increase": number, "min_influence_nats": number,
    "min_influence_ratio": number,
    "framing": text, "separator": text, "prefix": text, "key": function,
}
