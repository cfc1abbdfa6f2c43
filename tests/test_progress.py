"""Progress on long steps: model loading lines (not with -q), and a sampling status that an interactive
terminal shows and erases, while piped output and CI logs get none."""

import os
import pty
import subprocess
import sys

import pytest

from pytest_worldprior import progress, session

LONG_SAMPLING = """
def test_long_sampling(worldprior_model):
    worldprior_model.sample("Once upon a time", 256, max_new_tokens=24)
"""
# Show every step at once: on a fast machine this sampling may finish before SHOW_AFTER_S.
SHOW_AT_ONCE = "import pytest_worldprior.progress as p\np.SHOW_AFTER_S = 0.0\n"


def test_task_reports_percentages_after_a_delay_and_erases_at_the_end(monkeypatch):
    shown = []
    monkeypatch.setattr(progress, "SHOW_AFTER_S", 0.0)
    monkeypatch.setattr(progress, "REDRAW_EVERY_S", 0.0)
    with session.running(session.WorldpriorSession(display=shown.append)):
        with progress.task("sampling", total=4) as advance:
            for done in range(1, 5):
                advance(done)
    assert shown == ["sampling 25%", "sampling 50%", "sampling 75%", "sampling 100%", ""]


def test_quick_steps_show_nothing(monkeypatch):
    shown = []
    with session.running(session.WorldpriorSession(display=shown.append)):
        with progress.task("sampling", total=2) as advance:
            advance(1)
            advance(2)
    assert shown == []  # under SHOW_AFTER_S: no flicker, and nothing to erase


def test_without_a_display_a_task_is_silent():
    with session.running(session.WorldpriorSession(display=None)):
        with progress.task("sampling", total=3) as advance:
            advance(1)


def test_loading_lines_are_shown_and_quiet_hides_them(pytester):
    pytester.makepyfile(LONG_SAMPLING.replace("256", "2"))
    loud = pytester.runpytest("--worldprior-model", "toy-base")
    loud.stdout.fnmatch_lines(["worldprior: loading toy-base ...", "worldprior: toy-base loaded in *s: weights sha256 *"])
    quiet = pytester.runpytest("--worldprior-model", "toy-base", "-q")
    quiet.assert_outcomes(passed=1)
    assert "loading toy-base" not in quiet.stdout.str()


def test_piped_output_has_no_sampling_status(pytester):
    pytester.makeconftest(SHOW_AT_ONCE)
    pytester.makepyfile(LONG_SAMPLING)
    result = pytester.runpytest_subprocess("--worldprior-model", "toy-base", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "worldprior: sampling" not in result.stdout.str() + result.stderr.str()


@pytest.mark.real_model
def test_a_first_load_in_a_ci_log_has_no_progress_bar(pytester, tmp_path):
    """smollm2's .gguf converted into an empty cache folder (some tens of seconds), with stdout and stderr
    piped as in CI: transformers' bars and the converter's ("Converting and de-quantizing GGUF tensors")
    stay off, and the loading lines remain."""
    pytester.makepyfile("def test_loaded(worldprior_model):\n    assert worldprior_model.info().reference\n")
    cold = tmp_path / "cold-cache"
    result = pytester.runpytest_subprocess("--worldprior-model", "smollm2-135m-instruct", "--worldprior-cache-dir", str(cold),
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert [p.name for p in (cold / "dequantized").iterdir()]  # the conversion ran in this session
    output = result.stdout.str() + result.stderr.str()
    assert "worldprior: smollm2-135m-instruct loaded in" in output
    for bar in ("Converting and de-quantizing", "it/s]", "%|", "\r"):
        assert bar not in output, output


def test_an_interactive_terminal_shows_the_status_and_erases_it(pytester):
    pytester.makeconftest(SHOW_AT_ONCE)
    pytester.makepyfile(LONG_SAMPLING)
    output = _run_in_a_terminal([sys.executable, "-m", "pytest", "--worldprior-model", "toy-base", "-p", "no:cacheprovider"],
                                cwd=pytester.path)
    assert "worldprior: sampling 256 x 24 tokens" in output
    assert "\b" in output  # erased again
    assert "1 passed" in output


def _run_in_a_terminal(command, cwd) -> str:
    """Run `command` with a pseudo-terminal as stdout and stderr (what a person at a terminal has)."""
    leader, follower = pty.openpty()
    env = dict(os.environ, COLUMNS="120", LINES="40")
    process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=600)
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")
