"""Attractor states: inject an unlikely line mid-generation and measure how fast the model returns to its mode.

Clean prefixes C (measures.injection) are each followed by the injection J, and generation resumes from
P + C + J. White-box backends measure the snap-back, the influence curve and the story restart;
text-only backends (servers, functions) the snap-back alone: influence and story restart need logits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .. import stats
from ..backends.base import Backend, Prompt
from ..results_cache import cached_measurement
from .diversity import last_sentence, sentences
from .influence import InfluenceCurve, pooled_influence
from .injection import Injection, clean_prefixes, with_line
from .line_match import RECURRING_SHARE
from .line_match import wordings as line_wordings
from .path_return import path_returns
from .snap_back import SnapBack, recurring, snap_back_over

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
    clean, injected = restart_masses(model, [list(injection.clean_ids), list(injection.injected_ids)], markers)
    return StoryRestart(clean, injected)


def restart_masses(model: Backend, contexts: Sequence[Sequence[int]], markers=RESTART_MARKERS) -> list[float]:
    """For each context (token ids), the exact probability that the text ends (end-of-text token) or a
    marker follows at once, capped at 1. All contexts in one batched call of each kind."""
    contexts = [list(c) for c in contexts]
    end_of_text = np.exp(model.next_token_logprobs(contexts)[:, sorted(model.eos_ids)]).sum(axis=1)
    scores = np.exp(model.score([c for c in contexts for _ in markers], [m for _ in contexts for m in markers]))
    marker_mass = np.asarray(scores).reshape(len(contexts), len(markers)).sum(axis=1)
    return [float(min(1.0, e + m)) for e, m in zip(end_of_text, marker_mass)]


@dataclass(frozen=True)
class InjectionResult:
    """Everything measured for one injection: where it went, the snap-back and, for white-box backends,
    the influence curve and the story-restart probabilities. With the `sentences` key on a white-box
    backend, `path_returns` holds each injected continuation's return probability along its path
    (measures.path_return; one float per snap-back continuation, prefixes in order), which the check
    judges instead of the 0/1 snap-back; `wordings` are the recurring lines as the clean text wrote them."""

    injection: Injection
    snap_back: SnapBack
    influence: InfluenceCurve | None
    restart: StoryRestart | None
    path_returns: np.ndarray | None = None
    wordings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttractorRun:
    """One model's response to a set of injections at the same place of the same prompt."""

    results: tuple[InjectionResult, ...]

    @property
    def snap_back_count(self) -> int:
        return sum(r.snap_back.count for r in self.results)

    @property
    def n(self) -> int:
        return sum(r.snap_back.n for r in self.results)

    @property
    def snap_back_rate(self) -> float:
        return self.snap_back_count / self.n

    @property
    def path_returns(self) -> np.ndarray | None:
        """Every injected continuation's return probability along its path (measures.path_return), pooled
        over the injections; None where a result has none (a text-only backend, or a key other than
        `sentences`)."""
        found = [r.path_returns for r in self.results]
        return None if any(f is None for f in found) else np.concatenate(found)

    @property
    def influence_totals(self) -> np.ndarray | None:
        """Per-continuation total influence, pooled over the injections (sampled curves), or each
        injection's exact total (enumerated curves); None for text-only backends."""
        curves = [r.influence for r in self.results]
        if any(c is None for c in curves):
            return None
        if all(c.path_totals is None for c in curves):
            return np.array([c.total for c in curves])
        return np.concatenate([c.path_totals if c.path_totals is not None else [c.total] for c in curves])

    @property
    def influence_is_exact(self) -> bool:
        return all(r.influence is not None and r.influence.path_totals is None for r in self.results)


@cached_measurement
def run_attractor(
    model: Backend, prompt: Prompt, injections: Sequence[str], *, position: int | str = "sentence",
    prefix: str | None = None, separator: str = " ", prefix_draws: int = 8, prefixes: int = 1, n: int = 128,
    steps: int = 8, max_new_tokens: int = 32, key: Callable[[str], str | Iterable[str]] = last_sentence, seed: int = 0,
    alpha: float = 1e-3, look: int = 0, lines: tuple[tuple[str, float], ...] | None = None,
    wordings: tuple[str, ...] | None = None, influence_paths: int | None = None, min_share: float = RECURRING_SHARE,
) -> AttractorRun:
    """Inject each line after the same clean prefixes C (`clean_prefixes`: the given `prefix`, or the
    `prefixes` most frequent of `prefix_draws` drafts), spread n continuations evenly over them, and
    measure snap-back for every backend, influence and story restart where the backend gives logits.

    The story-restart probabilities are measured at the first look only (they are exact and the same at
    every look). The clean side: n continuations of P + C (spread the same way, drawn with `seed`: a
    cached measurement that checks of other lines after the same prefixes read back) give the recurring
    lines, unless `lines` gives them (a later look of a sequential check reuses the first look's). Where no line recurs
    nothing can be returned to: the snap-back count is 0 for any continuation, and only the influence paths
    are drawn. Influence: along the first `influence_paths` injected continuations (None: all of them; 0:
    no curve), averaged over the prefixes.
    `look` k > 0 draws a further batch of n continuations for a sequential check: the prefixes are the
    same (drawn with `seed`), the continuations come from a seed derived from (seed, k), so no batch
    repeats another.
    With key=`sentences` on a white-box backend, each injected continuation also gets its return
    probability along its path (measures.path_return), scored against the lines' `wordings` (as the
    clean text wrote them; a later look passes the first look's along with `lines`)."""
    white_box = model.gives_logits
    if not injections:
        raise ValueError("give at least one injection")
    starts = clean_prefixes(model, prompt, position=position, prefix=prefix, seed=seed, prefix_draws=prefix_draws,
                            prefixes=prefixes)
    counts = spread(n, len(starts))
    draw_seed = seed if look == 0 else int(np.random.SeedSequence([seed, look]).generate_state(1)[0])
    if lines is None:  # drawn with `seed` whatever the look: the clean side does not depend on it
        clean, lines = clean_side(model, prompt, position=position, prefix=prefix, prefix_draws=prefix_draws,
                                  prefixes=prefixes, n=n, max_new_tokens=max_new_tokens, key=key, seed=seed,
                                  min_share=min_share)
        # A clean text over right after C is classed by C's sentence: C is where such a line was written.
        written = [text for texts in clean for text in texts] + [start.prefix_text for start in starts]
        wordings = tuple(line_wordings([line for line, _ in lines], written))
    else:
        clean = [[] for _ in starts]
    along_paths = white_box and key is sentences
    if along_paths and wordings is None:
        raise ValueError("a later look gives `lines` and must give their `wordings` too (the first look's)")
    wanted = n if influence_paths is None else min(n, influence_paths)
    curve_counts = spread(wanted, len(starts))
    built = [[with_line(model, start, line, separator) for start in starts] for line in injections]
    restarts = _restarts(model, starts, built, counts) if white_box and look == 0 else [None] * len(built)
    results = []
    for k, (per_prefix, restart) in enumerate(zip(built, restarts)):
        # Injected continuations: all n where a line recurs; else only the influence paths (nothing to return to).
        drawn_counts = counts if lines else (curve_counts if white_box else [0] * len(starts))
        drawn = model.sample_many([b.injected_context for b in per_prefix], drawn_counts, max_new_tokens=max_new_tokens,
                                  seed=draw_seed)
        injected = [[g.text for g in d] if lines else [""] * c for d, c in zip(drawn, counts)]
        back = snap_back_over(per_prefix, clean, injected, key=key, alpha=alpha, lines=lines)
        if not lines:
            back = replace(back, injected_example=next((g.text for d in drawn for g in d), ""))
        curve = None
        if white_box and wanted > 0:
            curve = pooled_influence(model, per_prefix, [[g.token_ids for g in d[:c]] for d, c in zip(drawn, curve_counts)],
                                     steps=steps, weights=counts, alpha=alpha)
        returns = None
        if along_paths:  # nothing recurs: every path's return probability is 0, none was drawn for it
            roulette_seed = int(np.random.SeedSequence([draw_seed, k]).generate_state(1)[0])
            per_path = (path_returns(model, per_prefix, drawn, [line for line, _ in lines], wordings, separator,
                                     seed=roulette_seed) if lines else [np.zeros(c) for c in counts])
            returns = np.concatenate(per_path)
        results.append(InjectionResult(per_prefix[0], back, curve, restart, returns, tuple(wordings or ())))
    return AttractorRun(tuple(results))


@cached_measurement  # the same for every line injected after these prefixes: a check of another line reads it back
def clean_side(
    model: Backend, prompt: Prompt, *, position: int | str = "sentence", prefix: str | None = None,
    prefix_draws: int = 8, prefixes: int = 1, n: int = 128, max_new_tokens: int = 32,
    key: Callable[[str], str | Iterable[str]] = last_sentence, seed: int = 0, min_share: float = RECURRING_SHARE,
) -> tuple[list[list[str]], tuple[tuple[str, float], ...]]:
    """n continuations of P + C spread evenly over the clean prefixes (`clean_prefixes`, drawn with the same
    seed), per prefix, and the recurring lines they hold (`snap_back.recurring`)."""
    starts = clean_prefixes(model, prompt, position=position, prefix=prefix, seed=seed, prefix_draws=prefix_draws,
                            prefixes=prefixes)
    counts = spread(n, len(starts))
    clean = [[g.text for g in drawn] for drawn in model.sample_many(
        [c.clean_context for c in starts], counts, max_new_tokens=max_new_tokens, seed=seed)]
    return clean, recurring(starts, clean, key=key, min_share=min_share)


def spread(n: int, parts: int) -> list[int]:
    """n continuations spread evenly over `parts` prefixes, the first n % parts one more each."""
    return [n // parts + (1 if j < n % parts else 0) for j in range(parts)]


def _restarts(model: Backend, starts: Sequence[Injection], built: Sequence[Sequence[Injection]],
              counts: Sequence[int]) -> list[StoryRestart]:
    """Story restart per injected line, averaged over the prefixes (weighted by their continuations): the clean
    contexts once, every injected one, in one batched call."""
    clean = restart_masses(model, [s.clean_ids for s in starts])
    injected = restart_masses(model, [b.injected_ids for per_prefix in built for b in per_prefix])
    w = np.asarray(counts, dtype=float)
    k = len(starts)
    return [StoryRestart(float(np.average(clean, weights=w)), float(np.average(injected[i * k:(i + 1) * k], weights=w)))
            for i in range(len(built))]


def pooled(runs: Sequence[AttractorRun], alpha: float) -> AttractorRun:
    """Several batches (looks) of one attractor measurement as one: per injection the snap-back counts
    (in all and per prefix) add up (the Wilson interval at `alpha` over the pooled samples), judged
    against the first look's recurring lines; the influence curve is the first look's (later looks draw
    none) unless later ones have paths too, which are then pooled (the t interval of the total over all,
    the per-step curve the weighted mean without a per-step interval). The first batch gives C, the lines
    shown and the examples."""
    if len(runs) == 1:
        return runs[0]
    results = []
    for parts in zip(*(run.results for run in runs)):
        head = parts[0]
        count, n = sum(p.snap_back.count for p in parts), sum(p.snap_back.n for p in parts)
        per_prefix = tuple((text, sum(p.snap_back.per_prefix[j][1] for p in parts),
                            sum(p.snap_back.per_prefix[j][2] for p in parts))
                           for j, (text, _, _) in enumerate(head.snap_back.per_prefix))
        example = next((p.snap_back.injected_example for p in parts if p.snap_back.count), head.snap_back.injected_example)
        back = replace(head.snap_back, rate=count / n, count=count, n=n, interval=stats.wilson_interval(count, n, alpha),
                       alpha=alpha, per_prefix=per_prefix, injected_example=example)
        curves = [p.influence for p in parts if p.influence is not None]
        curve = head.influence
        if len(curves) > 1 and all(c.path_totals is not None for c in curves):
            weights = np.array([c.n for c in curves], dtype=float)
            kl = np.average([c.kl for c in curves], axis=0, weights=weights)
            totals = np.concatenate([c.path_totals for c in curves])
            curve = replace(curves[0], kl=kl, n=int(weights.sum()), path_totals=totals, interval=None, alpha=alpha)
        returns = None if any(p.path_returns is None for p in parts) else np.concatenate([p.path_returns for p in parts])
        results.append(replace(head, snap_back=back, influence=curve, path_returns=returns))
    return AttractorRun(tuple(results))
