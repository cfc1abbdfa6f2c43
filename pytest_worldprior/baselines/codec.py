"""Measurement results as readable JSON, for stored baselines: a result written by `encode` and read back
by `decode` is equal to the original (dataclasses, numpy arrays, non-finite floats included).

- a dataclass of the measures becomes {"__type__": "ClassName", field: value, ...}; only the classes in
  `_classes()` are ever built back, so a baseline file cannot make this code construct anything else;
- a numpy array becomes {"__array__": dtype, "values": [...]}; a tuple becomes a list;
- a float that JSON cannot hold (inf, -inf, nan) becomes {"__float__": "inf"}.

`dumps` writes the stable layout of baseline files: sorted keys, two-space indents, and lists of plain
numbers or strings on one line, so a changed value is a one-line change in a pull request.
"""

from __future__ import annotations

import dataclasses
import json
import math
from functools import cache

import numpy as np


def encode(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _classes().get(name) is not type(value):
            raise TypeError(f"{type(value).__qualname__} is not a measurement result a baseline can store")
        return {"__type__": name} | {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return {"__array__": value.dtype.str, "values": encode(value.tolist())}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a baseline file")


def decode(data: object) -> object:
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__float__" in data:
        return float(data["__float__"])
    if "__array__" in data:
        return np.array(decode(data["values"]), dtype=np.dtype(data["__array__"]))
    if "__type__" in data:
        cls = _classes().get(data["__type__"])
        if cls is None:
            raise ValueError(f"unknown stored result type {data['__type__']!r}")
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: _as_declared(decode(v)) for k, v in data.items() if k in fields}
        return cls(**values)
    return {k: decode(v) for k, v in data.items()}


def _as_declared(value: object) -> object:
    """Lists inside results were tuples (intervals, token ids): give them back as tuples."""
    return tuple(_as_declared(v) for v in value) if isinstance(value, list) else value


def dumps(document: object) -> str:
    return _dump(document, 0) + "\n"


def _dump(value: object, depth: int) -> str:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_dump(value[k], depth + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and not all(_scalar(v) for v in value):
        return "[\n" + ",\n".join(inner + _dump(v, depth + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


@cache
def _classes() -> dict[str, type]:
    from .. import measures

    kinds = (measures.SampledEntropy, measures.ChoiceDistribution, measures.ModeShare, measures.AttractorRun,
             measures.InjectionResult, measures.Injection, measures.SnapBack, measures.InfluenceCurve,
             measures.StoryRestart, measures.PriorShift, measures.TopK)
    return {cls.__name__: cls for cls in kinds}
