"""The results cache: a measurement already made with the same model, arguments and seed is read back
instead of recomputed, so re-running an unchanged suite costs little more than loading the models.

A measure function decorated with `@cached_measurement` is keyed by:
- the fingerprint of every model among its arguments (weights and tokenizer sha256, dtype, device,
  backend, library versions: `ModelInfo`, less its name and path, which do not change what it computes);
- the measure's name and every other argument after defaults are applied (prompt, settings, seed);
- a hash of this package's own source, so a code change never reads a result the old code made.
A user's own function among the arguments (`key=`) is keyed by its code and its module's source file, so
editing it recomputes. An argument that has no stable key (a lambda, a local function, an arbitrary
object) turns the cache off for that call rather than risk a wrong hit.

Entries live in `<cache folder>/results/<2 hex>/<sha256>.pkl`: a sha256 of the pickled payload, a newline,
then the payload. Writes are atomic (temporary file, then rename); an entry whose checksum or unpickling
fails is counted as damaged, recomputed and rewritten. The payload is a pickle, so the folder must be
trusted like the code (it is the user's own cache folder, written only by this module).

The cache in use is the current session's `cache` (session.py): the plugin sets one unless
`--worldprior-no-cache`; outside pytest, or with none set, decorated measures simply run. The session's
stored-baseline comparison (`baselines`), when there is one, sees every decorated measure call: it
records measurements and answers those asked of a stored baseline.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import pickle
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from . import session
from .files import atomic_write_bytes

F = TypeVar("F", bound=Callable)
_PACKAGE = Path(__file__).resolve().parent


@dataclass
class CacheStats:
    read: int = 0
    computed: int = 0
    damaged: int = 0
    uncacheable: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class ResultsCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.stats = CacheStats()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pkl"

    def load(self, key: str) -> tuple[bool, object]:
        """(True, value) for a sound entry; (False, None) when missing or damaged."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return False, None
        except OSError:
            self.stats.damaged += 1
            return False, None
        checksum, _, payload = data.partition(b"\n")
        try:
            if checksum.decode("ascii") != hashlib.sha256(payload).hexdigest():
                raise ValueError("checksum mismatch")
            return True, pickle.loads(payload)
        except Exception:  # truncated, overwritten, or from a class that no longer unpickles
            self.stats.damaged += 1
            return False, None

    def store(self, key: str, value: object) -> None:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write_bytes(self.path(key), hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload)


def cached_measurement(measure: F) -> F:
    """Decorator for a measure function whose result depends only on its arguments."""
    signature = inspect.signature(measure)
    name = f"{measure.__module__}.{measure.__qualname__}"

    def run(arguments: dict) -> object:
        return cached_call(**arguments)

    @functools.wraps(measure)
    def wrapper(*args, **kwargs):
        baselines = session.current().baselines
        if baselines is None:
            return cached_call(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        # baselines.measure(name, arguments, run): records, mirrors or serves it; run makes it (through the cache)
        return baselines.measure(measure.__name__, dict(bound.arguments), run)

    def cached_call(*args, **kwargs):
        cache = session.current().cache
        if cache is None:
            return measure(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        try:
            key = _key(name, bound.arguments)
        except Unkeyable:
            cache.stats.uncacheable += 1
            return measure(*args, **kwargs)
        found, value = cache.load(key)
        if found:
            cache.stats.read += 1
            return value
        value = measure(*args, **kwargs)
        cache.stats.computed += 1
        cache.store(key, value)
        return value

    return wrapper  # type: ignore[return-value]


def _key(name: str, arguments: dict[str, object]) -> str:
    text = json.dumps({"measure": name, "code": code_hash(), "arguments": keyable(arguments)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class Unkeyable(Exception):
    """An argument cannot be turned into a stable key."""


def keyable(value: object) -> object:
    """A JSON-able stand-in for an argument that is equal exactly when the measurement would be."""
    from .backends.base import Backend

    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)  # exact, and NaN/inf stay distinct
    if isinstance(value, Backend):
        info = value.info().as_dict()
        return {"model": {k: v for k, v in info.items() if k not in ("name", "reference")}}
    np = sys.modules.get("numpy")  # without numpy loaded, no value is a numpy one
    if np is not None and isinstance(value, np.ndarray):
        return {"array": value.dtype.str, "shape": list(value.shape), "sha256": hashlib.sha256(value.tobytes()).hexdigest()}
    if np is not None and isinstance(value, np.generic):
        return keyable(value.item())
    if isinstance(value, (list, tuple)):
        return [keyable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): keyable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if callable(value):
        return _callable_key(value)
    raise Unkeyable(type(value).__name__)


def _callable_key(value: Callable) -> dict:
    """A user's function (a `key=` of the attractor and mode-share measures) keyed by what it computes:
    its name, its code (bytecode, constants and names, nested functions included), its defaults, and the
    source file of the module that defines it, so an edit to it or to a helper beside it is a new key.
    This package's own functions are covered by `code_hash`; built-ins (`str.lower`) change only with
    Python, whose version is in the model's fingerprint. Lambdas, local functions and other callable
    objects (whose state the key could not see) turn the cache off for the call (`Unkeyable`)."""
    if isinstance(value, functools.partial):
        return {"partial": _callable_key(value.func), "args": keyable(list(value.args)), "keywords": keyable(value.keywords)}
    qualname = getattr(value, "__qualname__", "")
    module = getattr(value, "__module__", None) or getattr(getattr(value, "__objclass__", None), "__module__", None)
    if not qualname or not module or "<" in qualname:  # lambda, local function, or an object with __call__
        raise Unkeyable(qualname or type(value).__name__)
    name = f"{module}.{qualname}"
    if isinstance(value, (types.BuiltinFunctionType, types.MethodDescriptorType, types.WrapperDescriptorType)):
        return {"callable": name}
    code = getattr(value, "__code__", None)
    if not isinstance(value, types.FunctionType) or code is None:
        raise Unkeyable(name)
    if module.split(".")[0] == __package__.split(".")[0]:
        return {"callable": name}
    try:
        source = inspect.getsourcefile(value)
        source_sha = hashlib.sha256(Path(source).read_bytes()).hexdigest() if source else None
    except (OSError, TypeError):
        source_sha = None
    return {"callable": name, "code": _code_digest(code), "module_source": source_sha,
            "defaults": keyable(list(value.__defaults__ or ())), "kwdefaults": keyable(value.__kwdefaults__ or {})}


def _code_digest(code: types.CodeType) -> str:
    digest = hashlib.sha256(code.co_code)
    for const in code.co_consts:
        digest.update(b"\0" + _constant(const).encode())
    digest.update(b"\0".join(name.encode() for name in code.co_names))
    return digest.hexdigest()


def _constant(const: object) -> str:
    """A code object's constant as text that is the same in every process (a frozenset's order follows
    the string hashing of the process)."""
    if isinstance(const, types.CodeType):
        return _code_digest(const)
    if isinstance(const, frozenset):
        return "frozenset(" + ",".join(sorted(map(_constant, const))) + ")"
    if isinstance(const, tuple):
        return "(" + ",".join(map(_constant, const)) + ")"
    return repr(const)


@functools.cache
def code_hash() -> str:
    """sha256 over this package's Python sources: any change to the code that measures is a new key. The
    ready suite, which an installed package holds as `suite/`, is left out as it is in a checkout (where it
    lies outside the package): its tests pass arguments, which are keyed anyway."""
    digest = hashlib.sha256()
    for path in sorted(p for p in _PACKAGE.rglob("*.py") if p.relative_to(_PACKAGE).parts[0] != "suite"):
        digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
