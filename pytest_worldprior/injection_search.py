"""Hypothesis searches injected lines on a real model: which line pulls it back to what it keeps saying?

Each example costs one exact score from logits (`measures.return_pull`: the probability that the next
sentence after P + C + J is one of the model's recurring lines, averaged over its clean prefixes C), not a
sampled attractor check, so a search of tens of lines takes about a minute on a CPU. `hypothesis.target`
steers the search towards the lines with the highest pull; a line whose pull passes `max_pull` fails the
property, and Hypothesis shrinks it to the simplest line that still does. The caller then confirms the
line found with the full check (`assert_no_attractor`), which gives the verdict; suites/test_attractors.py
does this on the wedding toast.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import strategies as st

from . import measures
from .backends.base import Backend, Prompt
from .strategies import HYPOTHESIS_SEED, injections


@dataclass(frozen=True)
class SearchResult:
    """The line to confirm, and what the search saw."""

    injection: str  # the shrunk line whose pull passed max_pull, else the line with the highest pull
    pull: float  # its return pull (a probability)
    exceeded: bool  # whether any line's pull passed max_pull
    lines: tuple[str, ...]  # the recurring lines' wordings the pull was measured towards
    examples: int  # lines scored (shrinking included)
    seconds: float
    scores: dict[str, float] = field(default_factory=dict, repr=False)  # every line scored -> its pull


class _TooStrong(AssertionError):
    """A line's pull passed the limit (inside the property, for Hypothesis to shrink)."""


def search_injections(
    model: Backend, prompt: Prompt, *, lines: tuple[str, ...], prefix_draws: int = 8, prefixes: int = 4,
    seed: int = 0, max_examples: int = 20, max_pull: float = 0.1, strategy: st.SearchStrategy[str] | None = None,
) -> SearchResult:
    """Search `strategy` (default `strategies.injections()`) for the line after which `model` most likely
    writes one of `lines` next (the wordings of its recurring lines: `measures.wordings`), over the clean
    prefixes `measures.clean_prefixes` gives for (prompt, prefix_draws, prefixes, seed). At most
    `max_examples` generated examples (Hypothesis's generate and target phases) plus its shrinking, seeded
    with strategies.HYPOTHESIS_SEED and no example database: the same lines every run. Returns the shrunk
    line whose pull passed `max_pull` if one did, else the line with the highest pull. Without lines there
    is nothing to be pulled back to: no model call, pull 0. Raises ValueError for a `max_pull` outside
    (0, 1], and what `return_pull` raises on a model without logits."""
    if not 0 < max_pull <= 1:
        raise ValueError(f"max_pull is a probability in (0, 1], got {max_pull!r}")
    strategy = strategy if strategy is not None else injections()
    started = time.monotonic()
    if not lines:
        return SearchResult("", 0.0, False, (), 0, 0.0)
    starts = measures.clean_prefixes(model, prompt, prefix_draws=prefix_draws, prefixes=prefixes, seed=seed)
    scores: dict[str, float] = {}
    failing: list[str] = []

    def pull_of(line: str) -> float:
        if line not in scores:
            scores[line] = measures.return_pull(model, starts, line, lines)
        return scores[line]

    @settings(max_examples=max_examples, deadline=None, database=None, print_blob=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.target, Phase.shrink])
    @given(injection=strategy)
    def pull_stays_under_the_limit(injection: str) -> None:
        pull = pull_of(injection)
        target(pull, label="return pull")
        if pull > max_pull:
            failing.append(injection)  # Hypothesis replays the shrunk example last
            raise _TooStrong(f"{injection!r}: pull {pull:.3f} > {max_pull}")

    pull_stays_under_the_limit._hypothesis_internal_use_seed = HYPOTHESIS_SEED  # what @seed sets
    try:
        pull_stays_under_the_limit()
    except _TooStrong:
        found = failing[-1]
        return SearchResult(found, scores[found], True, tuple(lines), len(scores), time.monotonic() - started, scores)
    best = max(scores, key=scores.get)
    return SearchResult(best, scores[best], False, tuple(lines), len(scores), time.monotonic() - started, scores)
