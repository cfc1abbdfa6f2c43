"""The pieces that make an attractor check cheap on a real model, on the toy pair: rows of several
contexts sampled in one batch, the exact return pull, and Hypothesis searching injections by it."""

import numpy as np
import pytest

from pytest_worldprior import measures
from pytest_worldprior.backends.base import Backend, seed_per_context
from pytest_worldprior.backends.callable import CallableBackend
from pytest_worldprior.injection_search import search_injections

STORY = "Once upon a time, there was a"


def test_sample_many_draws_what_sample_draws(toy_base):
    """Rows of different contexts in one padded batch: each sample equals the one `sample` draws alone with
    that context's seed (the first context's is the seed itself), and the counts per context are kept."""
    contexts = [STORY, "Once upon a time, there was a little fox.", STORY + " cat"]
    together = toy_base.sample_many(contexts, [3, 0, 2], max_new_tokens=8, seed=5)
    assert [len(g) for g in together] == [3, 0, 2]
    seeds = seed_per_context(5, 3)
    assert seeds[0] == 5 and len(set(seeds)) == 3
    for context, drawn, seed in zip(contexts, together, seeds):
        alone = toy_base.sample(context, len(drawn), max_new_tokens=8, seed=seed) if drawn else []
        assert [g.token_ids for g in drawn] == [g.token_ids for g in alone]
        assert np.allclose([g.logprob for g in drawn], [g.logprob for g in alone], atol=1e-4)
    # The base class's version (one `sample` call per context) gives the same draws.
    assert [[g.token_ids for g in d] for d in Backend.sample_many(toy_base, contexts, [3, 0, 2], max_new_tokens=8,
                                                                   seed=5)] == [[g.token_ids for g in d] for d in together]
    with pytest.raises(ValueError, match="2 contexts but 1 counts"):
        toy_base.sample_many(contexts[:2], [1], max_new_tokens=4)


def test_contexts_are_sampled_independently_even_by_a_model_that_ignores_them():
    """A model that ignores its prompt, sampled after several prefixes: no text repeats across prefixes
    (with one seed for all, each text would come back once per prefix and look like a recurring line)."""
    import random

    def ignores_prompt(prompt, n, temperature, seed):
        return [f" {random.Random(f'{seed}-{i}').random():.6f}." for i in range(n)]

    drawn = CallableBackend(ignores_prompt, name="ignores").sample_many(["A", "B", "C", "D"], [4] * 4, seed=0)
    texts = [g.text for d in drawn for g in d]
    assert len(set(texts)) == 16


def test_return_pull_is_the_probability_of_a_recurring_line_next(toy_collapsed):
    starts = measures.clean_prefixes(toy_collapsed, STORY, prefix_draws=4, prefixes=2, seed=0)
    line = "They became best friends."
    by_hand = np.mean([np.exp(toy_collapsed.score([list(measures.with_line(toy_collapsed, s, "Anyway, taxes.").injected_ids)],
                                                  [" " + line])[0]) for s in starts])
    assert measures.return_pull(toy_collapsed, starts, "Anyway, taxes.", [line]) == pytest.approx(by_hand)
    assert measures.return_pull(toy_collapsed, starts, "Anyway, taxes.", []) == 0.0
    assert measures.wordings(["they became best friends"], [" It ran. They became best friends! Then"]) == [
        "They became best friends"]  # up to its last word: the marks that end it are written merged with what follows


def test_the_search_climbs_and_shrinks_to_a_line_that_pulls_back(toy_collapsed, toy_base):
    """The collapsed toy returns to "They became best friends." after some lines (BENCHMARKS.md, issue 4):
    the search finds one whose pull passes the limit; the base toy, with no recurring line, gives nothing."""
    found = search_injections(toy_collapsed, STORY, lines=("They became best friends.",), prefixes=2,
                              max_examples=12, max_pull=0.05)
    assert found.exceeded and found.pull > 0.05 and found.injection in found.scores
    assert found.examples >= 1 and found.lines == ("They became best friends.",)
    again = search_injections(toy_collapsed, STORY, lines=("They became best friends.",), prefixes=2,
                              max_examples=12, max_pull=0.05)
    assert again.injection == found.injection  # seeded: the same line every run
    nothing = search_injections(toy_base, STORY, lines=(), max_examples=12)
    assert nothing.injection == "" and nothing.pull == 0 and not nothing.exceeded
    with pytest.raises(ValueError, match="max_pull is a probability"):
        search_injections(toy_base, STORY, lines=("x.",), max_pull=0)
