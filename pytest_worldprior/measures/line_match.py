"""When two sentences are the same line, and which lines a model keeps writing.

A tuned model's stock line comes back in other words ("then everyone was happy" for "everyone was
happy"), so lines are compared by word-level similarity, not string equality: difflib's ratio over the
two word sequences, 2M / (|a| + |b|) where M is the number of words in matching blocks (Ratcliff and
Obershelp's gestalt pattern matching; Python's difflib.SequenceMatcher). The lines compared are answer
classes (measures.sentences: lower case, punctuation removed), split on white space.

False matches on the base model's own text (pairs of different sentences of its clean continuations
that the rule calls one line) and the threshold's reasoning: BENCHMARKS.md, "Recurring lines".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from .diversity import normalise_answer

# Two lines are one when their word-level ratio reaches this. 0.8 lets one word in five differ: "then
# everyone was happy" matches "everyone was happy" (0.86), "so let us raise our glasses to the happy
# couple" matches "so let us all raise our glasses to the happy couple" (0.95); "everyone was sad" does
# not match "everyone was happy" (0.67). Lines of one or two words match only when equal.
LINE_SIMILARITY = 0.8
# A line recurs when it (or a line like it) is in at least this share of the clean continuations: the
# clean text "keeps saying" it (and in two continuations at least). One continuation in four; the base
# gemma3-270m writes no line twice in 32 toasts (BENCHMARKS.md).
RECURRING_SHARE = 0.25
_SENTENCE = re.compile(r"[^.!?\n]*[.!?][\"'”’)\]]*")
# The marks that end a sentence, and the closing quotes and brackets around them.
_ENDING = re.compile(r"[\s.!?\"'”’)\]]+$")


def same_line(a: str, b: str, threshold: float = LINE_SIMILARITY) -> bool:
    """Whether two normalised lines are the same line worded a little differently: difflib's ratio over
    their words is at least `threshold` (equal strings always are; an empty line never matches)."""
    if not a or not b:
        return False
    if a == b:
        return True
    matcher = SequenceMatcher(None, a.split(), b.split(), autojunk=False)
    return matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold


def holds_line(classes: Iterable[str], lines: Iterable[str], threshold: float = LINE_SIMILARITY) -> bool:
    """Whether any of a text's classes (its sentences) is the same line as any of `lines`."""
    lines = list(lines)
    return any(same_line(c, line, threshold) for c in classes for line in lines)


def recurring_lines(classes: Sequence[Iterable[str]], min_share: float = RECURRING_SHARE,
                    threshold: float = LINE_SIMILARITY) -> tuple[tuple[str, float], ...]:
    """The lines the texts keep saying: (line, share) for every line held by at least `min_share` of the
    texts, and by two of them at least (a text holds a line when one of its classes is the same line by `same_line`), most frequent
    first. Each text's classes: `classes[i]`. Lines that are the same line as a more frequent one are left
    out (one line, several wordings); ties go by order of first appearance, never by string hashing.
    Raises ValueError for a `min_share` outside (0, 1]."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share!r}")
    texts = [sorted(set(c) - {""}) for c in classes]
    if not texts:
        return ()
    candidates = list(dict.fromkeys(c for text in texts for c in text))  # order of first appearance
    shares = {}
    for line in candidates:
        shares[line] = sum(1 for text in texts if holds_line(text, [line], threshold)) / len(texts)
    kept: list[tuple[str, float]] = []
    for line in sorted(candidates, key=lambda c: -shares[c]):  # sorted() is stable: ties stay in order of appearance
        if shares[line] >= min_share and shares[line] * len(texts) >= 2 and not any(same_line(line, other, threshold) for other, _ in kept):
            kept.append((line, shares[line]))
    return tuple(kept)


def wordings(lines: Iterable[str], texts: Iterable[str]) -> list[str]:
    """For each recurring line (a normalised class, as `SnapBack.recurring` gives it), the sentence of
    `texts` that is that line as the model wrote it most often (case and inner punctuation kept; a tie goes
    to the first written), up to its last word: what `return_pull` and `path_returns` score. The marks that
    end it are left off, since the model writes them merged with what follows: gemma writes '!".' as one
    token where the toast goes on, so a teacher-forced 'couple!"' scored a spelling it seldom writes (0.11
    where it wrote the line 5 times in 5; BENCHMARKS.md, issue 23). A line no text holds is left out."""
    sentences = [_ENDING.sub("", s.strip()) for text in texts for s in _SENTENCE.findall(text) if s.strip()]
    sentences = [s for s in sentences if s]
    found = []
    for line in lines:
        matches = Counter(s for s in sentences if same_line(normalise_answer(s), line))
        if matches:
            match = matches.most_common(1)[0][0]
            if match not in found:
                found.append(match)
    return found
