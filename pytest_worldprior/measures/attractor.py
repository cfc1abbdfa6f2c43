"""Attractor states: inject an unlikely line mid-generation and measure how fast the model returns to its mode.

A clean prefix C (the model's own seeded continuation of the prompt P for k tokens, or a given text) is
followed by the injection J, and generation resumes from P + C + J. Chat prompts are rendered with their
generation prompt first, so C and J sit inside the assistant turn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from .. import stats
from ..backends.base import Backend, Prompt

# Beyond this many continuations the expectation over paths is estimated from samples instead.
MAX_ENUMERATED_PATHS = 4096


@dataclass(frozen=True)
class Injection:
    """Token ids of the clean context P + C and the injected one P + C + J, with their texts for messages."""

    prompt: Prompt
    prefix_text: str
    injection: str
    clean_ids: tuple[int, ...]
    injected_ids: tuple[int, ...]


def inject(
    model: Backend, prompt: Prompt, injection: str, *, position: int = 16, prefix: str | None = None,
    separator: str = " ", seed: int = 0,
) -> Injection:
    """Build P + C and P + C + J. C is `prefix` if given, else the model's own sample of `position` tokens."""
    if not injection.strip():
        raise ValueError("the injection is empty: give the line to inject")
    prompt_ids = model.encode(prompt)
    if prefix is not None:
        prefix_ids = model.continuation_ids(prompt, prompt_ids, prefix)
    else:
        if position < 1:
            raise ValueError(f"position must be at least 1 token, got {position}")
        sample = model.sample(prompt, 1, max_new_tokens=position, seed=seed)[0]
        prefix_ids = [t for t in sample.token_ids if t not in model.eos_ids]  # the text goes on after C
    clean = prompt_ids + list(prefix_ids)
    injected = clean + model.continuation_ids(clean, clean, separator + injection.strip())
    prefix_text = model.tokenizer.decode(prefix_ids, skip_special_tokens=True)
    return Injection(prompt, prefix_text, injection.strip(), tuple(clean), tuple(injected))


@dataclass(frozen=True)
class InfluenceCurve:
    """Per-step KL( p(. | P C J y<t) || p(. | P C y<t) ), averaged over continuations y of P + C + J."""

    kl: np.ndarray  # [steps] mean KL at each step, nats
    interval: tuple[np.ndarray, np.ndarray] | None  # per-step interval when sampled; None when exact
    method: str  # "enumerated" (exact expectation) or "sampled"
    n: int  # continuations used (enumerated or sampled)
    tolerance: float

    @property
    def total(self) -> float:
        """The injection's total influence: the sum of the curve, nats."""
        return float(self.kl.sum())

    @property
    def recovery_step(self) -> int | None:
        """First step t after which the curve stays under the tolerance (1-based); None if it never does."""
        above = np.flatnonzero(self.kl >= self.tolerance)
        step = int(above[-1]) + 2 if above.size else 1
        return step if step <= len(self.kl) else None


def influence_curve(
    model: Backend, injection: Injection, *, steps: int = 8, n: int = 32, seed: int = 0,
    tolerance: float = 0.05, alpha: float = 1e-3, enumerate_paths: bool | None = None,
) -> InfluenceCurve:
    """The injection's influence step by step. Exact where the continuations can be enumerated
    (vocabulary^(steps-1) paths at most MAX_ENUMERATED_PATHS, or `enumerate_paths=True`): the expectation
    over every path weighted by its probability after P + C + J. Otherwise n sampled paths, with intervals."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    vocab = len(model.token_texts())
    if enumerate_paths is None:
        enumerate_paths = vocab ** (steps - 1) <= MAX_ENUMERATED_PATHS
    if enumerate_paths:
        return _enumerated_curve(model, injection, steps, vocab, tolerance)
    samples = model.sample(list(injection.injected_ids), n, max_new_tokens=steps, seed=seed)
    paths = [list(s.token_ids) for s in samples]
    per_path = _kl_along(model, injection, paths)  # list of [len(path)] arrays
    # Paths that ended early contribute to the steps they reached; the curve stops where every path ended.
    reached = max(len(values) for values in per_path)
    table = np.full((n, reached), np.nan)
    for row, values in enumerate(per_path):
        table[row, : len(values)] = values
    mean = np.nanmean(table, axis=0)
    count = np.sum(~np.isnan(table), axis=0)
    spread = np.array([np.std(col[~np.isnan(col)], ddof=1) if c > 1 else 0.0 for col, c in zip(table.T, count)])
    half = scipy_stats.t.ppf(1 - alpha / 2, np.maximum(count - 1, 1)) * spread / np.sqrt(np.maximum(count, 1))
    return InfluenceCurve(mean, (mean - half, mean + half), "sampled", n, tolerance)


def _kl_along(model: Backend, injection: Injection, paths: list[list[int]]) -> list[np.ndarray]:
    """KL(with injection || without) before each token of each path, both teacher-forced along the same path."""
    with_j = model.continuation_logprobs([list(injection.injected_ids)] * len(paths), paths)
    without = model.continuation_logprobs([list(injection.clean_ids)] * len(paths), paths)
    return [np.atleast_1d(stats.kl_from_logprobs(a, b)) for a, b in zip(with_j, without)]


def _enumerated_curve(model: Backend, injection: Injection, steps: int, vocab: int, tolerance: float) -> InfluenceCurve:
    """E over all paths y<t of KL_t, weighted by p(y<t | P C J): exact, for tiny vocabularies or short curves."""
    curve, paths, weights = [], [[]], np.array([1.0])
    for step in range(steps):
        with_j = model.next_token_logprobs([list(injection.injected_ids) + p for p in paths])[:, :vocab]
        without = model.next_token_logprobs([list(injection.clean_ids) + p for p in paths])[:, :vocab]
        kl = np.atleast_1d(stats.kl_from_logprobs(with_j, without))
        curve.append(float(np.dot(weights, kl)))
        if step + 1 < steps:
            probs = np.exp(with_j - np.logaddexp.reduce(with_j, axis=1, keepdims=True))
            paths = [p + [t] for p in paths for t in range(vocab)]
            weights = (weights[:, None] * probs).ravel()
    return InfluenceCurve(np.array(curve), None, "enumerated", len(paths), tolerance)


RESTART_MARKERS = ("\n\nThe End", " The End", "\nThe End", "\n\n***", "\n\nOnce upon a time", " Once upon a time")


@dataclass(frozen=True)
class StoryRestart:
    clean: float  # probability that the next text ends or restarts the story, after P + C
    injected: float  # the same after P + C + J

    @property
    def ratio(self) -> float:
        return self.injected / self.clean if self.clean > 0 else float("inf")


def story_restart(model: Backend, injection: Injection, markers=RESTART_MARKERS) -> StoryRestart:
    """Exact probability of ending or restarting right away (any marker, or end of text), clean vs injected.

    A model that snaps back to its usual story may end the interrupted one and start anew."""
    def restart_mass(context: list[int]) -> float:
        end_of_text = np.exp(model.next_token_logprobs([context])[0][sorted(model.eos_ids)]).sum()
        marker_mass = np.exp(model.score([context] * len(markers), list(markers))).sum()
        return float(min(1.0, end_of_text + marker_mass))

    return StoryRestart(restart_mass(list(injection.clean_ids)), restart_mass(list(injection.injected_ids)))
