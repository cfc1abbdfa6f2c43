"""The ready suite bundled with the package (--worldprior-suite): where it is installed, and its test paths.

The wheel carries the repository's top-level `suites/` as `pytest_worldprior/suite` (setup.py maps the
folder at build time; the files exist once, in `suites/`). `--worldprior-suite` adds that folder to the
paths pytest collects, so an installed package runs the suite with one command, from any folder:

    pytest --worldprior-suite --worldprior-model ./candidate --worldprior-baseline ./accepted

Its stored baselines cannot live beside its modules (they lie in site-packages), so with
--worldprior-suite the baselines folder is taken in the current directory (see settings.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SUITE_PACKAGE = "pytest_worldprior.suite"


def bundled_suite() -> Path:
    """The installed suite's folder. Raises pytest.UsageError where this installation has none: an editable
    install of a checkout (setuptools' editable finder does not map `suites/`, which has no `__init__.py`),
    or a copy of the package's folder without it."""
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
