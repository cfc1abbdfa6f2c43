"""Snap-back: after an injected line J, how often the model goes where it would have gone without J.

Classes of continuations (one class per text, or a set: every sentence it holds), the clean mode, and
the share of injected continuations that land in it, with a Wilson interval. Text only: any backend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import stats
from ..backends.base import Backend
from .diversity import last_sentence

if TYPE_CHECKING:
    from .attractor import Injection


@dataclass(frozen=True)
class SnapBack:
    """Share of injected continuations that land in the clean mode, with a Wilson interval.

    Each continuation falls into classes by `key`: one class (a string; by default `last_sentence`,
    where the text ends up) or several (a set: `sentences`, every complete sentence in it, which lets
    real text form classes: a tuned model's stock line comes back somewhere, rarely last). The clean
    mode is the class found in the most continuations of P + C without the injection; an injected
    continuation snaps back when it is in that class too. A continuation that is empty (the text ended
    right there) is in the class of the last sentence before it: the clean text that ends after C is
    classed by C's sentence, so a model whose clean story is over and that writes that sentence again
    after J snaps back; an injected text that ends after J is classed by J. The empty class ("": the
    key found nothing) is never a mode."""

    rate: float
    interval: tuple[float, float]
    count: int  # injected continuations in the clean mode
    n: int
    clean_mode: str  # the clean mode's class
    clean_mode_share: float  # its share among the clean continuations
    clean_example: str  # a clean continuation in the mode
    injected_example: str  # an injected continuation: one that snapped back if any did
    alpha: float


def clean_continuations(model: Backend, injection: Injection, *, n: int = 128, max_new_tokens: int = 32,
                        seed: int = 0) -> list[str]:
    """n seeded continuations of P + C (they do not depend on J, so several injections can share them)."""
    return [g.text for g in model.sample(injection.clean_context, n, max_new_tokens=max_new_tokens, seed=seed)]


def snap_back(
    model: Backend, injection: Injection, *, n: int = 128, max_new_tokens: int = 32,
    key: Callable[[str], str | Iterable[str]] = last_sentence, seed: int = 0, alpha: float = 1e-3,
    clean: Sequence[str] | None = None, injected: Sequence[str] | None = None,
) -> SnapBack:
    """How often the model, after J, goes where it would have gone without J (any backend: text only).

    Clean and injected continuations use the same seed (common random numbers): a model that ignores J
    entirely reproduces its clean continuations, and its snap-back rate is the clean mode's share.
    `clean` and `injected` give those continuations already sampled."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    clean = list(clean) if clean is not None else clean_continuations(model, injection, n=n, max_new_tokens=max_new_tokens, seed=seed)
    if injected is None:
        injected = [g.text for g in model.sample(injection.injected_context, n, max_new_tokens=max_new_tokens, seed=seed)]
    injected = list(injected)
    clean_classes = [_classes(key, text, injection.prefix_text) for text in clean]
    # Sorted within a continuation: a frozenset's order follows the process's string hashing, and a tie
    # between two classes must go the same way in every process (the first clean continuation that holds one).
    counts = Counter(c for classes in clean_classes for c in sorted(classes))
    mode, mode_count = counts.most_common(1)[0] if counts else ("", 0)
    after_j = f"{injection.prefix_text} {injection.injection}"
    hits = [bool(mode) and mode in _classes(key, text, after_j) for text in injected]
    count = sum(hits)
    example = injected[hits.index(True)] if count else injected[0]
    clean_example = next((text for text, classes in zip(clean, clean_classes) if mode in classes), clean[0])
    return SnapBack(count / n, stats.wilson_interval(count, n, alpha), count, n, mode, mode_count / len(clean),
                    clean_example, example, alpha)


def _classes(key: Callable[[str], str | Iterable[str]], text: str, before: str) -> frozenset[str]:
    """The classes of one continuation (see SnapBack); `before` is the text it follows."""
    if not text.strip():  # ended right there: classed by the last sentence before it
        text = last_sentence(before) + "."
    found = key(text)
    return frozenset([found] if isinstance(found, str) else found) - {""}
