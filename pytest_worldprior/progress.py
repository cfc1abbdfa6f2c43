"""Progress for long steps inside a test (sampling many continuations), shown the way pytest users expect.

Measures and backends report through `task`; where the output goes is the current session's `display`,
which the plugin sets (session.py). The
plugin shows a short status at the end of pytest's current line and erases it when the step ends, only
on an interactive terminal and not with -q: CI logs and piped output get nothing, so they stay as
pytest writes them. Outside pytest, nothing is shown. Steps shorter than SHOW_AFTER_S never appear.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import session

SHOW_AFTER_S = 1.0  # quicker steps never flicker
REDRAW_EVERY_S = 0.25



@contextmanager
def task(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """`with task("sampling 64 x 32 tokens", total=32) as advance: ... advance(done)`."""
    display = session.current().display  # draws a status text ("" erases it); None: not shown
    if display is None or total < 1:
        yield lambda done: None
        return
    started = time.monotonic()
    last_drawn = [0.0]
    shown = [False]

    def advance(done: int) -> None:
        now = time.monotonic()
        if now - started < SHOW_AFTER_S or now - last_drawn[0] < REDRAW_EVERY_S:
            return
        last_drawn[0] = now
        shown[0] = True
        display(f"{description} {min(done, total) * 100 // total}%")

    try:
        yield advance
    finally:
        if shown[0]:
            display("")
