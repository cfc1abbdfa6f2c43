"""Closed-set answers ("pick a random number from 1 to 10"): the exact probability of each allowed answer.

Token boundaries decide whether this is right. "1" is a prefix of "10", so P("1") alone counts "10" too:
each answer is scored *complete*, P(answer) x P(next token does not continue the word), which sums every
way of ending it (space, punctuation, newline, end of text) from one full next-token distribution. A prompt
ending in a space would make every answer improbable (" 7" is one token, "7" after a lone " " is rare),
so the space moves into the answers, as lm-evaluation-harness does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..backends.base import Backend, Prompt
from ..results_cache import cached_measurement


@dataclass(frozen=True)
class ChoiceDistribution:
    choices: tuple[str, ...]
    probabilities: np.ndarray  # renormalised over the allowed set; sums to 1
    raw: np.ndarray  # absolute probability of each complete answer
    off_set_mass: float  # 1 - raw.sum(): everything the model would say that is not an allowed answer
    prefix: str  # what was put before each answer (a space moved out of the prompt, or added)

    @property
    def top(self) -> str:
        return self.choices[int(np.argmax(self.probabilities))]

    @property
    def top_probability(self) -> float:
        return float(self.probabilities.max())

    @property
    def normalised_entropy(self) -> float:
        """Entropy over the allowed answers divided by its maximum, log k: 1 is uniform, 0 one answer."""
        p = self.probabilities[self.probabilities > 0]
        return float(-(p * np.log(p)).sum() / np.log(len(self.choices)))

    @property
    def chi_square_divergence(self) -> float:
        """sum (p - 1/k)^2 / (1/k): Pearson's chi-square statistic against uniform per answer drawn, so
        n samples would give about n times this (0 for uniform, k - 1 for a single answer)."""
        k = len(self.choices)
        return float(((self.probabilities - 1 / k) ** 2).sum() * k)

    def as_dict(self) -> dict[str, object]:
        return {
            "choices": list(self.choices),
            "probabilities": self.probabilities.tolist(),
            "raw": self.raw.tolist(),
            "off_set_mass": self.off_set_mass,
            "top": self.top,
            "top_probability": self.top_probability,
            "normalised_entropy": self.normalised_entropy,
            "chi_square_divergence": self.chi_square_divergence,
        }


def split_prompt(prompt: Prompt, prefix: str | None = None) -> tuple[Prompt, str]:
    """(context, prefix): a trailing space moves from a text prompt into the answers; after other text
    (":", "?") answers get a leading space; after a newline or in a chat turn they start bare."""
    if prefix is not None or not isinstance(prompt, str):
        return prompt, prefix or ""
    stripped = prompt.rstrip(" ")
    if stripped != prompt:
        return stripped, " "
    return prompt, "" if prompt.endswith(("\n", "\t")) or not prompt else " "


@cached_measurement
def choice_distribution(
    model: Backend, prompt: Prompt, choices: Sequence[str], *, prefix: str | None = None
) -> ChoiceDistribution:
    """Exact distribution over `choices` by teacher forcing, renormalised, with the mass outside the set."""
    choices = tuple(str(c) for c in choices)
    if len(choices) < 2:
        raise ValueError(f"a closed set needs at least 2 choices, got {list(choices)!r}")
    if len(set(choices)) != len(choices):
        raise ValueError(f"choices must be distinct, got {list(choices)!r}")
    if not model.gives_logits:
        raise ValueError(f"{model.info().reference} gives text only: choice_distribution is exact, from logits. "
                         "Sample the answers instead: assert_uniform_choice or assert_distribution_close (mode 'auto')")
    context, lead = split_prompt(prompt, prefix)
    context_ids = model.encode(context)
    answers = [model.continuation_ids(context, context_ids, lead + c) for c in choices]
    answer_logprob = np.array(model.score([context_ids] * len(choices), answers))
    after = model.next_token_logprobs([context_ids + a for a in answers])
    continues_word = _continues_word_mask(model, after.shape[1])
    ends_here = np.array([1.0 - np.exp(row[continues_word]).sum() for row in after]).clip(0.0, 1.0)
    raw = np.exp(answer_logprob) * ends_here
    total = float(raw.sum())
    if total <= 0:
        raise ValueError(f"the model gives every choice probability 0 after {model.render(context)!r}")
    return ChoiceDistribution(choices, raw / total, raw, max(0.0, 1.0 - total), lead)


def _continues_word_mask(model: Backend, width: int) -> np.ndarray:
    """True for tokens whose text starts with a letter or digit: they would extend the answer ("1" -> "10")."""
    texts = model.token_texts()
    mask = np.zeros(width, dtype=bool)
    mask[: len(texts)] = [bool(t) and (t[0].isalnum() or t[0] == "_") for t in texts[:width]]
    return mask
