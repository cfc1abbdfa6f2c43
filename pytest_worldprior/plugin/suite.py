"""The ready suite bundled with the package (--worldprior-suite): where it is installed, its test paths,
and its limits.

The wheel carries the repository's top-level `suites/` as `pytest_worldprior/suite` (setup.py maps the
folder at build time; the files exist once, in `suites/`). `--worldprior-suite` adds that folder to the
paths pytest collects, so an installed package runs the suite with one command, from any folder:

    pytest --worldprior-suite --worldprior-model ./candidate --worldprior-baseline ./accepted

Its stored baselines cannot live beside its modules (they lie in site-packages), so with
--worldprior-suite the baselines folder is taken in the current directory (see settings.py).

`suite_limits` gives the suite's conftest its limits: the constants of its thresholds.py, with what the
ini key `worldprior_limits` (and --worldprior-limits) changes, each checked against its default.
"""

from __future__ import annotations

import difflib
import importlib.util
import math
from collections.abc import Mapping
from dataclasses import make_dataclass
from pathlib import Path
from types import ModuleType

import pytest

from .settings import read_value

SUITE_PACKAGE = "pytest_worldprior.suite"


def bundled_suite() -> Path:
    """The installed suite's folder. Raises pytest.UsageError where this installation has none: an editable
    install of a checkout whose editable finder does not map `suites/`, or a copy of the package's folder
    without it."""
    spec = importlib.util.find_spec(SUITE_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations or not (Path(locations[0]) / "thresholds.py").is_file():
        import pytest_worldprior

        raise pytest.UsageError(
            f"pytest-worldprior: --worldprior-suite: this installation ({Path(pytest_worldprior.__file__).parent}) has no "
            f"bundled suite ({SUITE_PACKAGE}). An editable install of a checkout carries none: there, run `pytest suites/` "
            "with the same options; elsewhere install the package from a wheel (pip install pytest-worldprior, or "
            "`pip wheel --no-deps .` in a checkout and install that wheel)")
    return Path(locations[0])


def add_suite_path(args: list[str]) -> None:
    """Append the bundled suite's folder to pytest's command-line `args` (in place), once: pytest-xdist
    workers parse the same command line again."""
    folder = bundled_suite()
    if not any(Path(arg).resolve() == folder.resolve() for arg in args if not arg.startswith("-")):
        args.append(str(folder))


def suite_limits(config: pytest.Config, defaults: ModuleType | Mapping[str, object]) -> object:
    """The suite's limits, one read-only attribute each (`limits.MAX_ENTROPY_DROP_NATS`): `defaults` (a
    module's upper-case constants, such as the suite's thresholds.py, or a mapping) with the items of the
    ini key `worldprior_limits`, then those of --worldprior-limits, applied. Raises pytest.UsageError, saying
    how to fix it, for an item that is not NAME = value, a name that is not one of the defaults, or a value
    of another kind than its default: a count (an int) stays a whole number, a limit (a float) takes any
    finite number, a tuple takes numbers separated by commas."""
    where = "the suite's limits"
    if isinstance(defaults, ModuleType):
        where = f"the constants of {Path(defaults.__file__).name}"
        defaults = {name: value for name, value in vars(defaults).items() if name.isupper() and not name.startswith("_")}
    try:
        changes = read_value("limits", lambda name: config.getoption("worldprior_" + name), config.getini)
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-worldprior: {exc}") from None
    values = dict(defaults)
    for name, value in changes:
        if name not in defaults:
            close = difflib.get_close_matches(name, list(defaults), n=1)
            raise pytest.UsageError(
                f"pytest-worldprior: worldprior_limits: {name} is not one of the suite's limits"
                + (f" (did you mean {close[0]}?)" if close else "") + f"; they are {where}: {', '.join(sorted(defaults))}")
        values[name] = _of_kind(name, value, defaults[name])
    limits = make_dataclass("Limits", [(name, type(value)) for name, value in values.items()], frozen=True)
    return limits(**values)


def _of_kind(name: str, value: object, default: object) -> object:
    """`value` as the kind of `default` (an int stays an int; an int given for a float becomes a float; a
    tuple's items each like the default's first), or pytest.UsageError naming the limit, its default and
    what it takes."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        kind = "True or False"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        kind = "a whole number"
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        kind, value = "a finite number", float(value) if ok else value
    elif isinstance(default, tuple):
        ok = isinstance(value, tuple) and len(value) > 0
        kind = "numbers separated by commas" if default and all(isinstance(d, (int, float)) for d in default) else "a tuple"
        if ok and default:
            try:
                value = tuple(_of_kind(name, item, default[0]) for item in value)
            except pytest.UsageError:
                ok = False
    else:
        ok = isinstance(value, type(default))
        kind = f"a {type(default).__name__}"
    if not ok:
        shown = ", ".join(map(str, default)) if isinstance(default, tuple) else default
        raise pytest.UsageError(f"pytest-worldprior: worldprior_limits: {name} takes {kind}, like its default "
                                f"({name} = {shown}); got {value!r}")
    return value
