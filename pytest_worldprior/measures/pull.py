"""Pull: the exact probability that a model's next sentence after an injected line J is one of the lines
its clean text keeps saying. A cheap score of an injection, from logits (one teacher-forced pass per clean
prefix, its lines batched after it), that lets Hypothesis search injections on a real model without a
sampled attractor check per example (`hypothesis.target`); the line found is then confirmed by the full
check. White-box backends only."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..backends.base import Backend
from .injection import Injection, with_line


def return_pull(model: Backend, starts: Sequence[Injection], injection: str, lines: Sequence[str],
                separator: str = " ") -> float:
    """The probability that the next sentence after P + C + J is one of `lines` (their wordings, see
    `line_match.wordings`), summed over the lines (distinct sentences: disjoint events) and averaged over the clean
    prefixes `starts` (from `clean_prefixes`). Exact, teacher-forced; 0.0 when there is no line.
    Raises ValueError for an empty injection or without a prefix; NotImplementedError on a text-only model."""
    if not starts:
        raise ValueError("give at least one clean prefix (measures.clean_prefixes)")
    if not model.gives_logits:
        model._lacks("gives_logits", "the exact probability of a line (return_pull)")
    if not lines:
        return 0.0
    built = [with_line(model, start, injection, separator) for start in starts]
    contexts = [list(b.injected_ids) for b in built for _ in lines]
    continuations = [separator + line for _ in built for line in lines]
    logprobs = np.array(model.score(contexts, continuations)).reshape(len(built), len(lines))
    per_prefix = [min(1.0, math.fsum(np.exp(row))) for row in logprobs]
    return float(np.mean(per_prefix))
