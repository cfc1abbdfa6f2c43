"""Return probability along sampled paths: for white-box models, a lower-variance stand-in for the 0/1
"did this injected continuation reach a recurring line".

A sampled continuation y of P + C + J is cut into sentences; a sentence boundary is where one ends and
the next may begin (right after J, and after each sentence of y that ends inside the sampled window). At
each boundary i the model's own probability that the next sentence is one of the recurring lines, as the
clean text wrote them up to their last word (teacher-forced: q_i = sum over wordings w of
P(separator + w | P + C + J + y[:i]); `line_match.wordings` leaves off the marks that end a line, which the
model writes merged with what follows), is exact. The path's estimate is

    X = sum of q_i over the boundaries up to the first one where y itself returns (all of them if it
        never does) + 1 if y's return there is in other words (a matching sentence that is not a wording).

E[X] is the probability that a sentence starting inside the window returns (tower rule: the chance of a
first return at boundary i is E[1{no return before i} q_i], plus the chance of the other-words return
that q_i does not cover), so the mean of X over paths estimates the same rate as the sampled share, with a
variance that shrinks as the return is spread over many paths' probabilities instead of a few 0/1 draws:
the Rao-Blackwellisation of the sampled indicator along the path (Casella and Robert 1996, Biometrika
83:81, "Rao-Blackwellisation of sampling schemes"). A boundary whose text does not fall on a token
boundary (a token that holds the full stop and the next word) uses y's own 0/1 instead, which has the
same expectation. A wording teacher-forced at the window's last boundary counts whole, even where it
would run past the window: the event is "a line starts inside the window".

Most boundaries are far from any line, and teacher-forcing every wording at every one of them is most of
the cost (a wording of 12 tokens asks for the output head over the whole vocabulary 12 times). So q_i is
found in two steps: the next-token distribution at each boundary gives the probability p of the wording's
first token, an upper bound on q_i; where p >= `roulette_below` the wording is teacher-forced, and below it
Russian roulette decides (Kahn and Harris 1951, "Estimation of particle transmission by random
sampling"; Arvo and Kirk 1990, "Particle transport and image synthesis"): with
probability p / roulette_below the wording is teacher-forced and its q_i counts roulette_below / p times,
else it counts 0. The expectation is q_i either way, so X stays unbiased; the added variance is below
q_i * roulette_below per boundary (q_i <= p), and the interval the check takes from the paths' spread
includes it. roulette_below=0 teacher-forces every wording.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..backends.base import Backend, Generation
from .diversity import normalise_answer
from .line_match import holds_line

if TYPE_CHECKING:
    from .injection import Injection

# Below this probability of a wording's first token, the wording is teacher-forced only by Russian roulette.
ROULETTE_BELOW = 0.05
# Boundary contexts whose next-token distributions (float64 rows over the vocabulary) are held at once.
ROWS_PER_CALL = 16

# Where a sentence ends and white space (or a new line) begins: the same split as `diversity.sentences`.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*(?=\s)|(?=\n)")
_ENDS_SENTENCE = re.compile(r"(?:^|[.!?][\"'”’)\]]*)$")


def path_returns(model: Backend, injections: Sequence[Injection], drawn: Sequence[Sequence[Generation]],
                 lines: Sequence[str], wordings: Sequence[str], separator: str = " ", *, seed: int = 0,
                 roulette_below: float = ROULETTE_BELOW) -> list[np.ndarray]:
    """The estimate X of each sampled injected continuation (see the module): per prefix, an array
    [len(drawn[j])] of floats >= 0 (a probability's unbiased estimate; one path may exceed 1).
    `seed` drives the Russian roulette below `roulette_below` (a probability in [0, 1]; 0: none).

    `injections[j]` is P + C_j + J (token ids), `drawn[j]` its sampled continuations; `lines` are the
    recurring lines as normalised classes (`SnapBack.recurring`), `wordings` the same lines as the model
    wrote them (`line_match.wordings`). No line: every X is 0 (nothing to return to). The teacher-forced
    scores go to the model in batched calls per prefix. Raises NotImplementedError on a text-only model,
    ValueError for a roulette_below outside [0, 1]."""
    if not model.gives_logits:
        model._lacks("gives_logits", "the exact probability of returning along a path (path_returns)")
    if not 0 <= roulette_below <= 1:
        raise ValueError(f"roulette_below is a probability in [0, 1] (0: teacher-force every wording), got {roulette_below!r}")
    if not lines:
        return [np.zeros(len(paths)) for paths in drawn]
    plans = [[_plan(model, g, lines, wordings, separator) for g in paths] for paths in drawn]
    estimates = [np.array([sampled for sampled, _ in paths], dtype=float) for paths in plans]
    continuations = [separator + wording for wording in wordings]
    for j, (injection, paths) in enumerate(zip(injections, plans)):
        contexts, owners = [], []
        for p, (_, token_cuts) in enumerate(paths):
            for cut in token_cuts:
                contexts.append(list(injection.injected_ids) + list(drawn[j][p].token_ids[:cut]))
                owners.append(p)
        picked = _roulette(model, contexts, continuations, roulette_below, np.random.default_rng([seed, j]))
        if picked:  # one call per prefix: its contexts share P + C + J, which the HF backend runs once
            logprobs = model.score([contexts[c] for c, _, _ in picked], [continuations[w] for _, w, _ in picked])
            for (c, _, log_weight), logprob in zip(picked, logprobs):
                estimates[j][owners[c]] += float(np.exp(logprob + log_weight))
    return estimates


def _roulette(model: Backend, contexts: list[list[int]], continuations: list[str], below: float,
              rng: np.random.Generator) -> list[tuple[int, int, float]]:
    """(context index, wording index, log weight) of each wording to teacher-force: every one whose first
    token has probability p >= `below` after its context (weight 1), and of the others each with
    probability p / below (weight below / p, kept as its log: no overflow where p is tiny). One uniform per
    (context, wording) pair, in that order."""
    if below == 0:
        return [(c, w, 0.0) for c in range(len(contexts)) for w in range(len(continuations))]
    # The continuation's first token after token ids: what `score` feeds first, so q <= p holds (a backend
    # whose continuation_ids depended on the context ids would need one lookup per context).
    firsts = [model.continuation_ids(contexts[0], contexts[0], text)[0] for text in continuations] if contexts else []
    picked = []
    for start in range(0, len(contexts), ROWS_PER_CALL):
        logprobs = model.next_token_logprobs(contexts[start : start + ROWS_PER_CALL])[:, firsts]
        uniforms = rng.random(logprobs.shape)  # one per pair, whatever p is: a small change to p moves no other pair's draw
        for c, (row, draws) in enumerate(zip(logprobs, uniforms), start):
            for w, (logp, u) in enumerate(zip(row, draws)):
                if logp >= np.log(below):
                    picked.append((c, w, 0.0))
                elif u * below < np.exp(logp):
                    picked.append((c, w, float(np.log(below) - logp)))
    return picked


def _plan(model: Backend, generation: Generation, lines: Sequence[str], wordings: Sequence[str],
          separator: str) -> tuple[float, list[int]]:
    """For one path: the sampled part of X (1 where y returns in other words, or at a boundary off the
    token grid) and the token counts of y after which q_i is scored (boundaries up to y's first return)."""
    text = generation.text
    ids = [t for t in generation.token_ids if t not in model.eos_ids]
    ends = {0} | {m.end() for m in _BOUNDARY.finditer(text)}
    if generation.finish_reason == "eos" and _ENDS_SENTENCE.search(text):
        ends.add(len(text))  # the model stopped after a sentence: it could have gone on with a line instead
    ends = sorted(ends)
    lengths = {len(model.decode(ids[:k])): k for k in range(len(ids) + 1)}  # text length -> tokens that make it
    sampled, cuts = 0.0, []
    for i, start in enumerate(ends):
        stop = ends[i + 1] if i + 1 < len(ends) else len(text)
        sentence = text[start:stop].strip()
        complete = sentence.rstrip("\"'”’)]").endswith((".", "!", "?"))
        returns = complete and holds_line([normalise_answer(sentence)], lines)
        exact = any(text[start:].startswith(separator + w) for w in wordings)
        if start == len(text) and generation.finish_reason != "eos":
            break  # the window ends here: no sentence starts inside it
        on_grid = start in lengths and model.decode(ids[: lengths[start]]) == text[:start]
        if on_grid:
            cuts.append(lengths[start])
            sampled += 1.0 if returns and not exact else 0.0
        else:
            sampled += 1.0 if returns else 0.0
        if returns or exact:
            break
    return sampled, cuts
