"""Attractor states: inject an unlikely line mid-generation and measure how fast the model returns to its mode.

A clean prefix C (the model's own seeded continuation of the prompt P for k tokens, or a given text) is
followed by the injection J, and generation resumes from P + C + J. Chat prompts are rendered with their
generation prompt first, so C and J sit inside the assistant turn.

White-box backends build the contexts as token ids. Text-only backends (servers, functions) build them as
text and measure the snap-back alone: influence and story restart need logits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .. import stats
from ..backends.base import Backend, Context, Prompt
from ..results_cache import cached_measurement
from .diversity import last_sentence
from .paths import reduce_along
from .snap_back import SnapBack, clean_continuations, snap_back

# Beyond this many continuations the expectation over paths is estimated from samples instead.
MAX_ENUMERATED_PATHS = 4096
# position="sentence": the model writes up to this many tokens and C is cut after its first sentence.
SENTENCE_SEARCH_TOKENS = 48
_SENTENCE_DONE = re.compile(r"\w[)\]\"'”’]*[.!?]")


@dataclass(frozen=True)
class Injection:
    """The clean context P + C and the injected one P + C + J, with their texts for messages: token ids
    for white-box backends, text for text-only ones (then the ids are empty)."""

    prompt: Prompt
    prefix_text: str
    injection: str
    clean_ids: tuple[int, ...]
    injected_ids: tuple[int, ...]
    where: str  # where J went, in words: "after 8 tokens", "after the first sentence", "after the given prefix"
    clean_text: str | None = None  # text-only backends: P + C
    injected_text: str | None = None  # text-only backends: P + C + J

    @property
    def clean_context(self) -> Context:
        return self.clean_text if self.clean_text is not None else list(self.clean_ids)

    @property
    def injected_context(self) -> Context:
        return self.injected_text if self.injected_text is not None else list(self.injected_ids)


def inject(
    model: Backend, prompt: Prompt, injection: str, *, position: int | str = "sentence", prefix: str | None = None,
    separator: str = " ", seed: int = 0, prefix_draws: int = 1,
) -> Injection:
    """Build P + C and P + C + J. C is `prefix` if given, else the model's own seeded continuation of the
    prompt: `position` tokens of it, or with position="sentence" its first sentence. With prefix_draws > 1
    the model writes that many continuations and C is the most frequent one (the first drawn on a tie):
    the attractor question is about the model's usual mode, and one draw may be a rare detour."""
    _check_line(injection)  # before the prefix is drawn
    if prefix_draws < 1:
        raise ValueError(f"prefix_draws must be at least 1, got {prefix_draws}")
    if not (position == "sentence" or (isinstance(position, int) and not isinstance(position, bool) and position >= 1)):
        raise ValueError(f'position must be a number of tokens (at least 1) or "sentence", got {position!r}')
    if not model.gives_logits:
        return with_line(model, _text_prefix(model, prompt, position, prefix, seed, prefix_draws), injection, separator)
    prompt_ids = model.encode(prompt)
    if prefix is not None:
        prefix_ids, where = model.continuation_ids(prompt, prompt_ids, prefix), "after the given prefix"
    else:
        prefix_ids = _usual_prefix(model, prompt, position, seed, prefix_draws)
        where = "after the first sentence" if position == "sentence" else f"after {len(prefix_ids)} tokens"
    clean = Injection(prompt, model.decode(prefix_ids), "",
                      tuple(prompt_ids + list(prefix_ids)), (), where)
    return with_line(model, clean, injection, separator)


def with_line(model: Backend, built: Injection, injection: str, separator: str = " ") -> Injection:
    """The same P + C as `built`, with another line J: several injections at one place share C."""
    _check_line(injection)
    line = separator + injection.strip()
    if built.clean_text is not None:
        return replace(built, injection=injection.strip(), injected_text=built.clean_text + line)
    clean = list(built.clean_ids)
    injected = clean + model.continuation_ids(clean, clean, line)
    return replace(built, injection=injection.strip(), injected_ids=tuple(injected))


def _text_prefix(model: Backend, prompt: Prompt, position: int | str, prefix: str | None, seed: int,
                 draws: int) -> Injection:
    """P + C as text, for backends that give text only. C is `prefix`, or the most frequent of `draws`
    seeded continuations: `position` tokens of the model's own, or its first sentence."""
    if not isinstance(prompt, str):
        raise ValueError(
            f"{model.info().reference} gives text only, and an injection inside a chat's assistant turn needs the "
            "model's chat template, which an OpenAI-compatible API does not expose. Render the chat with the "
            "model's template yourself and pass the text, which ends where the assistant's answer begins.")
    if prefix is not None:
        return Injection(prompt, prefix, "", (), (), "after the given prefix", clean_text=prompt + prefix)
    sentence = position == "sentence"
    # No stop strings: a server leaves the stop string out of the text, and C must end with its full stop.
    samples = model.sample(prompt, draws, max_new_tokens=SENTENCE_SEARCH_TOKENS if sentence else position, seed=seed)
    drafts = [_first_sentence_text(g.text) if sentence else g.text for g in samples]
    usual = Counter(drafts).most_common(1)[0][0]
    where = "after the first sentence" if sentence else f"after {position} tokens"
    return Injection(prompt, usual, "", (), (), where, clean_text=prompt + usual)


def _first_sentence_text(text: str) -> str:
    found = _SENTENCE_DONE.search(text)
    return text[: found.end()] if found else text


def _check_line(injection: str) -> None:
    if not injection.strip():
        raise ValueError("the injection is empty: give the line to inject")


def _usual_prefix(model: Backend, prompt: Prompt, position: int | str, seed: int, draws: int) -> list[int]:
    """The most frequent of `draws` seeded prefixes: `position` tokens, or up to the first sentence end."""
    sentence = position == "sentence"
    length, stop = (SENTENCE_SEARCH_TOKENS, [".", "!", "?"]) if sentence else (position, None)  # stop: no wasted steps
    prefixes = []
    for sample in model.sample(prompt, draws, max_new_tokens=length, seed=seed, stop=stop):
        ids = [t for t in sample.token_ids if t not in model.eos_ids]  # the text goes on after C
        prefixes.append(tuple(_first_sentence(model, ids) if sentence else ids))
    return list(Counter(prefixes).most_common(1)[0][0])


def _first_sentence(model: Backend, ids: list[int]) -> list[int]:
    """The tokens up to the end of the first sentence (all of them if no sentence ends)."""
    for k in range(1, len(ids) + 1):
        if _SENTENCE_DONE.search(model.decode(ids[:k])):
            return ids[:k]
    return ids


@dataclass(frozen=True)
class InfluenceCurve:
    """Per-step KL( p(. | P C J y<t) || p(. | P C y<t) ), averaged over continuations y of P + C + J.

    A continuation that has ended (end of text) contributes 0 from then on: the injection has nothing
    left to influence."""

    kl: np.ndarray  # [steps] mean KL at each step, nats
    interval: tuple[np.ndarray, np.ndarray] | None  # per-step interval when sampled; None when exact
    method: str  # "enumerated" (exact expectation) or "sampled"
    n: int  # continuations used (enumerated or sampled)
    tolerance: float
    path_totals: np.ndarray | None = None  # sampled: each continuation's summed KL; None when exact
    alpha: float = 1e-3

    @property
    def total(self) -> float:
        """The injection's total influence: the sum of the curve, nats."""
        return float(self.kl.sum())

    @property
    def total_interval(self) -> tuple[float, float] | None:
        """t interval of the total over the sampled continuations; None when exact."""
        return stats.t_interval(self.path_totals, self.alpha) if self.path_totals is not None else None

    @property
    def recovery_step(self) -> int | None:
        """First step t after which the curve stays under the tolerance (1-based); None if it never does."""
        above = np.flatnonzero(self.kl >= self.tolerance)
        step = int(above[-1]) + 2 if above.size else 1
        return step if step <= len(self.kl) else None


def influence_curve(
    model: Backend, injection: Injection, *, steps: int = 8, n: int = 128, seed: int = 0,
    tolerance: float = 0.05, alpha: float = 1e-3, enumerate_paths: bool | None = None,
    paths: Sequence[Sequence[int]] | None = None,
) -> InfluenceCurve:
    """The injection's influence step by step. Exact where the continuations can be enumerated
    (vocabulary^(steps-1) paths at most MAX_ENUMERATED_PATHS, or `enumerate_paths=True`): the expectation
    over every path weighted by its probability after P + C + J. Otherwise n sampled paths, with intervals;
    `paths` gives them already sampled (continuations of P + C + J, cut to `steps` tokens here)."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    vocab = len(model.token_texts())
    if enumerate_paths is None:
        enumerate_paths = vocab ** (steps - 1) <= MAX_ENUMERATED_PATHS
    if enumerate_paths:
        return _enumerated_curve(model, injection, steps, vocab, tolerance)
    if paths is None:
        paths = [s.token_ids for s in model.sample(list(injection.injected_ids), n, max_new_tokens=steps, seed=seed)]
    paths = [list(p[:steps]) for p in paths]
    n = len(paths)
    table = np.zeros((n, steps))  # paths that ended early add 0 after their end
    for row, values in enumerate(_kl_along(model, injection, paths)):
        table[row, : len(values)] = values
    mean = table.mean(axis=0)
    interval = stats.t_interval(table, alpha, axis=0) if n > 1 else (mean, mean)
    return InfluenceCurve(mean, interval, "sampled", n, tolerance, table.sum(axis=1), alpha)



def _kl_along(model: Backend, injection: Injection, paths: list[list[int]]) -> list[np.ndarray]:
    """KL(with injection || without) before each token of each path, both teacher-forced along the same path.
    A few paths at a time (measures.paths), a row at a time within a path: only the per-step KL is kept, not
    the two [tokens, vocabulary] float64 tables of each path (64 MiB for 16 tokens of a 262,144-token vocabulary)."""
    def kl_per_step(with_j: np.ndarray, without: np.ndarray) -> np.ndarray:
        return np.array([stats.kl_from_logprobs(a, b) for a, b in zip(with_j, without)], dtype=float)

    return reduce_along(paths, kl_per_step, (model, [list(injection.injected_ids)] * len(paths)),
                        (model, [list(injection.clean_ids)] * len(paths)))


def _enumerated_curve(model: Backend, injection: Injection, steps: int, vocab: int, tolerance: float) -> InfluenceCurve:
    """E over all paths y<t of KL_t, weighted by p(y<t | P C J): exact, for tiny vocabularies or short curves.
    A path that has ended (end-of-text token) is not extended: it adds 0 to later steps."""
    curve, paths, weights = [], [[]], np.array([1.0])
    for step in range(steps):
        with_j = model.next_token_logprobs([list(injection.injected_ids) + p for p in paths])[:, :vocab]
        without = model.next_token_logprobs([list(injection.clean_ids) + p for p in paths])[:, :vocab]
        kl = np.atleast_1d(stats.kl_from_logprobs(with_j, without))
        curve.append(float(np.dot(weights, kl)))
        if step + 1 < steps:
            probs = np.exp(with_j - np.logaddexp.reduce(with_j, axis=1, keepdims=True))
            going_on = [t for t in range(vocab) if t not in model.eos_ids]
            paths = [p + [t] for p in paths for t in going_on]
            weights = (weights[:, None] * probs[:, going_on]).ravel()
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


@dataclass(frozen=True)
class InjectionResult:
    """Everything measured for one injection: where it went, the snap-back and, for white-box backends,
    the influence curve and the story-restart probabilities."""

    injection: Injection
    snap_back: SnapBack
    influence: InfluenceCurve | None
    restart: StoryRestart | None


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
    prefix: str | None = None, separator: str = " ", prefix_draws: int = 8, n: int = 128, steps: int = 8,
    max_new_tokens: int = 32, key: Callable[[str], str | Iterable[str]] = last_sentence, seed: int = 0, alpha: float = 1e-3,
    look: int = 0,
) -> AttractorRun:
    """Inject each line at the same place (one clean prefix C, shared clean continuations) and measure
    snap-back for every backend, influence and story restart where the backend gives logits.

    `look` k > 0 draws a further batch of n continuations for a sequential check: C is the same (drawn
    with `seed`), the continuations come from a seed derived from (seed, k), so no batch repeats another."""
    white_box = model.gives_logits
    if not injections:
        raise ValueError("give at least one injection")
    first = inject(model, prompt, injections[0], position=position, prefix=prefix, separator=separator, seed=seed,
                   prefix_draws=prefix_draws)
    built = [first] + [with_line(model, first, line, separator) for line in injections[1:]]
    draw_seed = seed if look == 0 else int(np.random.SeedSequence([seed, look]).generate_state(1)[0])
    clean = clean_continuations(model, first, n=n, max_new_tokens=max_new_tokens, seed=draw_seed)
    results = []
    for injection in built:
        # One set of samples after P + C + J serves both measures: sample i's first `steps` tokens are
        # the influence path a separate `steps`-token draw with the same seed would give.
        samples = model.sample(injection.injected_context, n, max_new_tokens=max_new_tokens, seed=draw_seed)
        back = snap_back(model, injection, n=n, key=key, seed=draw_seed, alpha=alpha, clean=clean,
                         injected=[g.text for g in samples])
        paths = [g.token_ids for g in samples] if max_new_tokens >= steps else None
        curve = (influence_curve(model, injection, steps=steps, n=n, seed=draw_seed, alpha=alpha, paths=paths)
                 if white_box else None)
        restart = story_restart(model, injection) if white_box else None
        results.append(InjectionResult(injection, back, curve, restart))
    return AttractorRun(tuple(results))


def pooled(runs: Sequence[AttractorRun], alpha: float) -> AttractorRun:
    """Several batches (looks) of one attractor measurement as one: per injection the snap-back counts
    and the sampled influence paths add up (the Wilson interval, and the t interval of the total
    influence, at `alpha` over the pooled samples; the per-step curve is the weighted mean, without a
    per-step interval); each batch counts against its own clean mode; the first batch gives C, the
    mode shown and the examples."""
    if len(runs) == 1:
        return runs[0]
    results = []
    for parts in zip(*(run.results for run in runs)):
        head = parts[0]
        count, n = sum(p.snap_back.count for p in parts), sum(p.snap_back.n for p in parts)
        back = replace(head.snap_back, rate=count / n, count=count, n=n, interval=stats.wilson_interval(count, n, alpha),
                       alpha=alpha)
        curve = head.influence
        if curve is not None and curve.path_totals is not None:
            weights = np.array([p.influence.n for p in parts], dtype=float)
            kl = np.average([p.influence.kl for p in parts], axis=0, weights=weights)
            totals = np.concatenate([p.influence.path_totals for p in parts])
            curve = replace(curve, kl=kl, n=int(weights.sum()), path_totals=totals, interval=None, alpha=alpha)
        results.append(replace(head, snap_back=back, influence=curve))
    return AttractorRun(tuple(results))
