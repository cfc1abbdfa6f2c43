"""The reproduce line of a failed check, written from the call as `@assertion` bound it: every argument
that applies in the mode the check ran in (defaults applied), the model as `model`, another backend
(the baseline) as a name loaded in the preamble, a function argument (key=) imported by module and
qualified name. What cannot be written as code (a lambda, a stored baseline, a Python function as the
model) is named in angle brackets, and the line says it does not reproduce.
"""

from __future__ import annotations

import inspect
import math
import sys

import numpy as np

from ..backends.base import Backend
from ..backends.recorded import Recorded

STORED_BASELINE = "<the stored baseline: rerun with pytest --worldprior-baseline stored>"


def reproduce_line(function: str, bound: inspect.BoundArguments, skip=()) -> str:
    """One line of Python that loads the models by name and repeats the call `function(**bound)`, less
    the keyword arguments named in `skip` (defaults that do not apply in the mode the check ran in: given
    explicitly, they would be refused)."""
    writer = _Writer()
    parts = []
    for name, parameter in bound.signature.parameters.items():
        if name in skip and parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            continue
        value = bound.arguments[name]
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            parts += [writer.source(item, name) for item in value]
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            parts += [f"{key}={writer.source(item, key)}" for key, item in value.items()]
        elif parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            parts.append(f"{name}={writer.source(value, name)}")
        else:
            parts.append(writer.source(value, name))
    line = "; ".join(["from pytest_worldprior import *", *writer.imports, *writer.loads,
                      f"{function}({', '.join(parts)})"])
    if writer.problems:
        line += f"  # does not reproduce: {'; '.join(writer.problems)}"
    return line


# ModelInfo.backend of the backends load_model builds from a reference alone.
LOADABLE = ("transformers", "openai-http")


class _Writer:
    def __init__(self) -> None:
        self.imports: list[str] = []
        self.loads: list[str] = []
        self.problems: list[str] = []
        self.names: dict[int, str] = {}  # id(backend) -> its name in the line

    def source(self, value, name: str) -> str:
        if isinstance(value, Recorded):
            self.problems.append(f"{name} is the stored baseline")
            return STORED_BASELINE
        if isinstance(value, Backend):
            return self.backend(value, name)
        if isinstance(value, np.ndarray):
            return self.source(value.tolist(), name)
        if isinstance(value, np.generic):
            return self.source(value.item(), name)
        if isinstance(value, float):
            return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
        if isinstance(value, (list, tuple)):
            items = [self.source(item, name) for item in value]
            if isinstance(value, tuple):
                return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
            return f"[{', '.join(items)}]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self.source(k, name)}: {self.source(v, name)}" for k, v in value.items()) + "}"
        if callable(value) and not isinstance(value, type):
            return self.function(value, name)
        return repr(value)

    def backend(self, backend: Backend, name: str) -> str:
        if id(backend) in self.names:
            return self.names[id(backend)]
        info = backend.info()
        variable = name if name not in self.names.values() else f"{name}_{len(self.names)}"
        self.names[id(backend)] = variable
        if info.backend not in LOADABLE:  # a function, or a backend class of the user's: no name loads it
            what = "a Python function" if info.backend == "callable" else f"a {type(backend).__name__}"
            how = "wrap the function with CallableBackend" if info.backend == "callable" else "build it here"
            self.problems.append(f"{variable} is {what} ({info.reference}), not loadable by name")
            self.loads.append(f"{variable} = <{info.reference}: {how}>")
            return variable
        settings = [repr(info.reference)]
        if info.backend == "transformers":  # servers report their URL as the device: nothing to pass
            settings += [f"device={info.device!r}"] if info.device != "cpu" else []
            settings += [f"dtype={info.dtype!r}"] if info.dtype != "float32" else []
        self.loads.append(f"{variable} = load_model({', '.join(settings)})")
        return variable

    def function(self, function, name: str) -> str:
        """`first_words` with `from pytest_worldprior.measures import first_words` in the preamble, from
        the shortest loaded module that has it; a lambda or a local function cannot be imported."""
        qualname = getattr(function, "__qualname__", None)
        module = getattr(function, "__module__", None) or ("builtins" if qualname else None)
        if qualname and "<" not in qualname:
            top = qualname.split(".")[0]
            parts = module.split(".")
            for size in range(1, len(parts) + 1):
                candidate = ".".join(parts[:size])
                if _same_function(_resolve(sys.modules.get(candidate), qualname), function):
                    if candidate != "builtins":
                        statement = f"from {candidate} import {top}"
                        if statement not in self.imports:
                            self.imports.append(statement)
                    return qualname
        kind = "lambda" if qualname and "<lambda>" in qualname else "a local function" if qualname else "a callable object"
        self.problems.append(f"{name} is {kind if kind != 'lambda' else 'a lambda'}")
        return f"<{kind}: not reproducible, give a module-level function>"


def _resolve(module, qualname: str):
    value = module
    for part in qualname.split("."):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


def _same_function(found, function) -> bool:
    """`found` (what the name leads to in a loaded module) is `function`, or the same module-level function
    of a fresh import of its module (same module and qualified name: a module imported again, as pytester
    does between in-process runs, makes new function objects that do the same)."""
    if found is function:
        return True
    return (found is not None and getattr(found, "__qualname__", None) == getattr(function, "__qualname__", 0)
            and getattr(found, "__module__", None) == getattr(function, "__module__", 0))
