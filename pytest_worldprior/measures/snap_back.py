"""Snap-back: after an injected line J, how often the model goes back to what its clean text keeps saying.

Classes of continuations (one class per text, or a set: every sentence it holds), the clean side's
recurring lines (measures.line_match), and the share of injected continuations that reach one of them,
with a Wilson interval. Text only: any backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import stats
from ..backends.base import Backend
from .diversity import last_sentence
from .line_match import LINE_SIMILARITY, RECURRING_SHARE, holds_line, recurring_lines

if TYPE_CHECKING:
    from .injection import Injection


@dataclass(frozen=True)
class SnapBack:
    """Share of injected continuations that return to a recurring line of the clean side, with a Wilson interval.

    Each continuation falls into classes by `key`: one class (a string; by default `last_sentence`,
    where the text ends up) or several (a set: `sentences`, every complete sentence in it, which lets
    real text form classes: a tuned model's stock line comes back somewhere, rarely last). The clean
    side's recurring lines are every class held by at least `min_share` of the continuations of P + C
    without the injection (`line_match.recurring_lines`: two wordings of one line are one line); an
    injected continuation snaps back when one of its classes is the same line as any of them
    (`line_match.same_line`, word-level similarity at least LINE_SIMILARITY). A continuation that is
    empty (the text ended right there) is in the class of the last sentence before it: the clean text that
    ends after C is classed by C's sentence, so a model whose clean story is over and that writes that
    sentence again after J snaps back; an injected text that ends after J is classed by J. The empty class
    ("": the key found nothing) is never a line.

    Over several clean prefixes C (the attractor check's `prefixes`) the lines are found over all their
    clean continuations together, and `per_prefix` says how often the injected text returned after each."""

    rate: float
    interval: tuple[float, float]
    count: int  # injected continuations that returned to a recurring line
    n: int
    clean_mode: str  # the most frequent recurring line ("" if none recurs)
    clean_mode_share: float  # its share among the clean continuations
    clean_example: str  # a clean continuation that holds it
    injected_example: str  # an injected continuation: one that snapped back if any did
    alpha: float
    recurring: tuple[tuple[str, float], ...] = ()  # every recurring line and its share of the clean continuations
    per_prefix: tuple[tuple[str, int, int], ...] = ()  # (prefix C, returned, injected continuations) per prefix


def clean_continuations(model: Backend, injection: Injection, *, n: int = 128, max_new_tokens: int = 32,
                        seed: int = 0) -> list[str]:
    """n seeded continuations of P + C (they do not depend on J, so several injections can share them)."""
    return [g.text for g in model.sample(injection.clean_context, n, max_new_tokens=max_new_tokens, seed=seed)]


def snap_back(
    model: Backend, injection: Injection, *, n: int = 128, max_new_tokens: int = 32,
    key: Callable[[str], str | Iterable[str]] = last_sentence, seed: int = 0, alpha: float = 1e-3,
    clean: Sequence[str] | None = None, injected: Sequence[str] | None = None, min_share: float = RECURRING_SHARE,
) -> SnapBack:
    """How often the model, after J, goes back to what it keeps saying without J (any backend: text only).

    Clean and injected continuations use the same seed (common random numbers). `clean` and `injected`
    give those continuations already sampled. Raises ValueError for n < 1."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    clean = list(clean) if clean is not None else clean_continuations(model, injection, n=n, max_new_tokens=max_new_tokens, seed=seed)
    if injected is None:
        injected = [g.text for g in model.sample(injection.injected_context, n, max_new_tokens=max_new_tokens, seed=seed)]
    return snap_back_over([injection], [clean], [list(injected)], key=key, alpha=alpha, min_share=min_share)


def snap_back_over(
    injections: Sequence[Injection], clean: Sequence[Sequence[str]], injected: Sequence[Sequence[str]], *,
    key: Callable[[str], str | Iterable[str]] = last_sentence, alpha: float = 1e-3, min_share: float = RECURRING_SHARE,
    lines: tuple[tuple[str, float], ...] | None = None,
) -> SnapBack:
    """Snap-back of one line J injected after several prefixes: `injections[j]` is P + C_j + J, `clean[j]`
    the continuations of P + C_j, `injected[j]` those of P + C_j + J. The recurring lines are found over
    all clean continuations together (or given as `lines`, as `recurring` returns them); the count is over
    all injected ones. Raises ValueError when nothing was injected."""
    clean_classes = [[_classes(key, text, inj.prefix_text) for text in texts] for inj, texts in zip(injections, clean)]
    flat = [classes for per_prefix in clean_classes for classes in per_prefix]
    if lines is None:
        lines = recurring_lines(flat, min_share)
    texts = [line for line, _ in lines]
    per_prefix, count, n, example = [], 0, 0, None
    for inj, texts_after in zip(injections, injected):
        after_j = f"{inj.prefix_text} {inj.injection}"
        hits = [bool(texts) and holds_line(_classes(key, text, after_j), texts) for text in texts_after]
        per_prefix.append((inj.prefix_text, sum(hits), len(hits)))
        count, n = count + sum(hits), n + len(hits)
        if example is None and any(hits):
            example = texts_after[hits.index(True)]
    if n == 0:
        raise ValueError("no injected continuations to judge: give at least one")
    mode, share = lines[0] if lines else ("", 0.0)
    clean_texts = [text for texts_before in clean for text in texts_before]
    clean_example = next((text for text, classes in zip(clean_texts, flat) if mode and holds_line(classes, [mode])),
                         clean_texts[0] if clean_texts else "")
    first_injected = next((t for texts_after in injected for t in texts_after), "")
    return SnapBack(count / n, stats.wilson_interval(count, n, alpha), count, n, mode, share, clean_example,
                    example if example is not None else first_injected, alpha, tuple(lines), tuple(per_prefix))


def recurring(injections: Sequence[Injection], clean: Sequence[Sequence[str]], *,
              key: Callable[[str], str | Iterable[str]] = last_sentence,
              min_share: float = RECURRING_SHARE) -> tuple[tuple[str, float], ...]:
    """The recurring lines of the clean continuations after several prefixes (see `snap_back_over`)."""
    return recurring_lines([_classes(key, text, inj.prefix_text) for inj, texts in zip(injections, clean)
                            for text in texts], min_share)


def _classes(key: Callable[[str], str | Iterable[str]], text: str, before: str) -> frozenset[str]:
    """The classes of one continuation (see SnapBack); `before` is the text it follows."""
    if not text.strip():  # ended right there: classed by the last sentence before it
        text = last_sentence(before) + "."
    found = key(text)
    return frozenset([found] if isinstance(found, str) else found) - {""}


