"""The ready suite from an installed package: the wheel carries suites/ as pytest_worldprior.suite, and
`pytest --worldprior-suite` runs it from any folder (docs/ci.md), with no copy of its files.

The wheel is built from a copy of the package's sources (setup.py, pyproject.toml, README.md,
pytest_worldprior/, suites/), so the checkout gets no build/ or .egg-info folder. The fresh virtual
environment lies outside the checkout and holds the wheel alone (--no-deps); its dependencies (torch and
the rest, which pip would fetch as a multi-GB CUDA build) come from this environment's site-packages through
a .pth line. A path in a .pth is only added to sys.path, its own .pth files are not run, so the checkout's
editable install stays inactive there: the test checks that pytest_worldprior loads from the fresh one.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).parents[1]
SOURCES = ("setup.py", "pyproject.toml", "README.md", "pytest_worldprior", "suites")
# A few of the suite's exact checks (the sampled ones cost minutes on CPU); the whole suite is collected.
QUICK = "test_open_prompt_entropy or candidate-number-1-10-direct"


def _run(command: list, **options) -> subprocess.CompletedProcess:
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=600, **options)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The python of a fresh virtual environment with the package installed from its wheel."""
    root = tmp_path_factory.mktemp("installed")
    (root / "src").mkdir()
    for name in SOURCES:
        source = CHECKOUT / name
        if source.is_dir():
            shutil.copytree(source, root / "src" / name, ignore=shutil.ignore_patterns("__pycache__", "worldprior_baselines"))
        else:
            shutil.copy2(source, root / "src" / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", root / "dist",
          f"{root / 'src'}/"])
    [wheel] = (root / "dist").glob("pytest_worldprior-*.whl")
    _run([sys.executable, "-m", "venv", "--without-pip", root / "venv"])
    python = root / "venv" / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--no-deps", "-q", wheel])
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "checkout-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_the_wheel_carries_the_suite_and_the_installed_package_runs_it(installed, tmp_path):
    where = _run([installed, "-c", "import pytest_worldprior; print(pytest_worldprior.__file__)"], cwd=tmp_path).stdout.strip()
    assert Path(where).is_relative_to(installed.parents[1]), where  # the fresh environment's copy, not the checkout's
    suite = Path(where).parent / "suite"
    assert sorted(p.name for p in suite.glob("*.py")) == sorted(p.name for p in (CHECKOUT / "suites").glob("*.py"))
    project = tmp_path / "project"  # a user's repository: no suite files in it
    project.mkdir()
    # The documented command (docs/ci.md), with -k for the suite's quick checks; recording the stored
    # baselines too, which go to the current directory (the suite's own folder is in site-packages).
    result = subprocess.run([installed, "-m", "pytest", "--worldprior-suite", "--worldprior-model", "toy-collapsed",
                             "--worldprior-baseline", "toy-base", "--worldprior-update-baselines", "-p", "no:cacheprovider",
                             "-k", QUICK], cwd=project, env=dict(os.environ, COLUMNS="120"), capture_output=True, text=True,
                            timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # the collapsed toy fails its collapse checks
    assert "collected 55 items" in output, output
    assert "FAILED test_mode_collapse.py::test_open_prompt_entropy_not_far_below_baseline[bugs]" in output
    assert "FAILED test_random_choices.py::test_random_choice[candidate-number-1-10-direct]" in output
    assert "worldprior: gate FAILED (exit code 1): " in output
    assert f"recording stored baselines of toy-collapsed in {project / 'worldprior_baselines'}/\n" in output
    assert [p.name for p in project.iterdir()] == ["worldprior_baselines"]  # nothing else copied or written
    assert sorted(p.name for p in (project / "worldprior_baselines").iterdir()) == [
        "test_mode_collapse.json", "test_random_choices.json"]
    assert not (suite / "worldprior_baselines").exists()


def test_recording_by_the_installed_suites_path_is_refused(installed, tmp_path):
    """Without --worldprior-suite, the suite's baselines folder would be in site-packages: a usage error."""
    [folder] = (installed.parents[1] / "lib").glob("python3*/site-packages/pytest_worldprior/suite")
    result = subprocess.run([installed, "-m", "pytest", folder / "test_temperature.py", "--worldprior-model", "toy-base",
                             "--worldprior-update-baselines", "-p", "no:cacheprovider"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert "inside the installed package; run the bundled suite with --worldprior-suite" in output
    assert not (folder / "worldprior_baselines").exists()
