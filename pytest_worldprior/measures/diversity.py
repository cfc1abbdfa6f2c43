"""Diversity of a set of sampled texts: distinct-n, EAD and the share of the largest answer class."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import stats
from ..backends.base import Backend, Prompt
from ..results_cache import cached_measurement


def _ngrams(texts: Sequence[str], n: int) -> list[tuple[str, ...]]:
    grams = []
    for text in texts:
        words = text.split()
        grams += [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return grams


def distinct_n(texts: Sequence[str], n: int = 1) -> float:
    """Unique n-grams / all n-grams over the samples (whitespace words); 0 when there are none."""
    grams = _ngrams(texts, n)
    return len(set(grams)) / len(grams) if grams else 0.0


def expectation_adjusted_distinct(texts: Sequence[str], vocab_size: int, max_n: int = 5) -> float:
    """EAD (Liu et al. 2022): unique n-grams / (V * (1 - ((V-1)/V)^C)), averaged over n = 1..max_n.

    The denominator is the number of distinct n-grams expected from C uniform draws, so EAD does not
    fall just because the texts are longer."""
    if vocab_size < 2:
        raise ValueError(f"vocab_size must be at least 2, got {vocab_size}")
    scores = []
    for n in range(1, max_n + 1):
        grams = _ngrams(texts, n)
        if grams:
            expected = vocab_size * (1 - ((vocab_size - 1) / vocab_size) ** len(grams))
            scores.append(len(set(grams)) / expected)
    return sum(scores) / len(scores) if scores else 0.0


def normalise_answer(text: str) -> str:
    """Default answer class: lower case, punctuation and extra spaces removed, first line only."""
    first_line = text.strip().split("\n", 1)[0]
    return " ".join(re.sub(r"[^\w\s]", " ", first_line.lower()).split())


def first_words(text: str) -> str:
    """Answer class by how a text opens: its first three words, normalised. Open prompts have many good
    openings; a collapsed model starts nearly every answer the same way ("Yes, bugs are ...")."""
    return " ".join(normalise_answer(text).split()[:3])


# A sentence ends at . ! or ?, closing quotes and brackets allowed after it ('always." You are'), then space.
_CLOSERS = "\"'”’)]"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'”’)\]])\s+|(?<=[.!?][\"'”’)\]]{2})\s+")


def last_sentence(text: str) -> str:
    """Answer class by where a text ends up: its last complete sentence, normalised (the whole text
    if no sentence is complete, "" for an empty text). After an injection the first words react to it
    whatever the model does next; the ending shows whether it went back to its usual one."""
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s]
    complete = [s for s in sentences if s.rstrip(_CLOSERS)[-1:] in (".", "!", "?")]
    return normalise_answer(complete[-1] if complete else text)


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n+")


def sentences(text: str) -> frozenset[str]:
    """Answer classes by what a text says anywhere: each complete sentence in it (ending in . ! or ?,
    closing quotes allowed), normalised; an empty set if none is complete. The attractor key: a tuned
    model's usual line ("So let us all raise our glasses to the happy couple!") comes back somewhere
    after an interruption, not necessarily last, while on real text no two continuations end alike."""
    parts = (part.strip() for part in _SENTENCE_SPLIT.split(text.strip()))
    complete = [part for part in parts if part.rstrip("\"'”’)]").endswith((".", "!", "?"))]
    return frozenset(c for c in map(normalise_answer, complete) if c)


@dataclass(frozen=True)
class ModeShare:
    share: float
    interval: tuple[float, float]
    mode: str
    count: int
    n: int
    classes: int
    class_counts: tuple[int, ...] = ()  # the size of each class, largest first (distinct@k is estimated from them)


def mode_share(texts: Sequence[str], key: Callable[[str], str] = normalise_answer, alpha: float = 1e-3) -> ModeShare:
    """Share of samples in the largest answer class, with a Wilson interval."""
    if not texts:
        raise ValueError("mode_share needs at least one text")
    counts = Counter(key(t) for t in texts)
    mode, count = counts.most_common(1)[0]
    return ModeShare(count / len(texts), stats.wilson_interval(count, len(texts), alpha), mode, count, len(texts), len(counts),
                     tuple(c for _, c in counts.most_common()))


@cached_measurement
def sampled_mode_share(
    model: Backend, prompt: Prompt, n: int = 64, *, max_new_tokens: int = 8, temperature: float = 1.0,
    key: Callable[[str], str] = first_words, seed: int = 0, alpha: float = 1e-3,
) -> ModeShare:
    """Mode share of n seeded samples of the prompt (text only: any backend, any tokenizer)."""
    texts = [g.text for g in model.sample(prompt, n, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)]
    return mode_share(texts, key, alpha)
