"""How much `import pytest_worldprior.plugin` costs against a bare `import pytest`.

pytest imports the plugin in every run of an environment where pytest-worldprior is installed, also in
projects that never use it, so the plugin must import little more than pytest itself (target: at most
1.5 times). Each import is timed inside a fresh interpreter (interpreter start-up left out), best of
`--repeats` runs, alternating the two so that both see the same machine state.

    .venv/bin/python benchmarks/plugin_import_time.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str) -> float:
    result = subprocess.run([sys.executable, "-c", TIMER.format(module=module)], capture_output=True, text=True, check=True)
    return float(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh interpreters per module (best is kept)")
    repeats = parser.parse_args().repeats
    if repeats < 1:
        parser.error(f"--repeats must be at least 1, got {repeats}")
    times: dict[str, list[float]] = {"pytest": [], "pytest_worldprior.plugin": []}
    for _ in range(repeats):
        for module in times:
            times[module].append(import_seconds(module))
    best = {module: min(values) for module, values in times.items()}
    for module, seconds in best.items():
        print(f"import {module}: best of {repeats} {seconds * 1000:.1f} ms")
    ratio = best["pytest_worldprior.plugin"] / best["pytest"]
    print(f"ratio plugin / pytest: {ratio:.2f} (target at most 1.5)")


if __name__ == "__main__":
    main()
