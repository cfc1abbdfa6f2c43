"""Where the line goes: the clean prefix C after the prompt P, and the injected context P + C + J.

C is the model's own seeded continuation of P (its first sentence, or k tokens), or a given text. White-box
backends build the contexts as token ids, text-only backends (servers, functions) as text. Chat prompts
are rendered with their generation prompt first, so C and J sit inside the assistant turn.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..backends.base import Backend, Context, Prompt
from ..results_cache import cached_measurement

# position="sentence": the model writes up to this many tokens and C is cut after its first sentence.
SENTENCE_SEARCH_TOKENS = 48
# A sentence ends at . ! or ? after a word, with the closing quotes and brackets around it: 'couple."' ends
# with the quote, as gemma writes it in one token, so that C shows whether it closes the passage.
_SENTENCE_DONE = re.compile(r"\w[)\]\"'”’]*[.!?][)\]\"'”’]*")


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
    return with_line(model, clean_prefixes(model, prompt, position=position, prefix=prefix, seed=seed,
                                           prefix_draws=prefix_draws)[0], injection, separator)


@cached_measurement  # each look of a sequential check asks again: the drafts are drawn once
def clean_prefixes(
    model: Backend, prompt: Prompt, *, position: int | str = "sentence", prefix: str | None = None, seed: int = 0,
    prefix_draws: int = 1, prefixes: int = 1,
) -> list[Injection]:
    """The clean contexts P + C (no line yet: add one with `with_line`). C is `prefix` if given (one
    context), else the `prefixes` most frequent of `prefix_draws` seeded drafts of the model's own
    (`position` tokens, or its first sentence), ties in the order drawn; fewer where fewer drafts differ.
    On real text every draft differs, so these are the first `prefixes` drafts: the model's usual openings.
    A draft that closes the quotation the prompt opened (a toast that ends after one sentence) ends the
    passage, so a line after it is not mid-generation: such drafts come after every draft that leaves the
    passage open, and are used only where too few do (`ends_passage`).
    Raises ValueError for prefix_draws < 1, prefixes outside 1..prefix_draws, or a bad position."""
    if prefix_draws < 1:
        raise ValueError(f"prefix_draws must be at least 1, got {prefix_draws}")
    if not (isinstance(prefixes, int) and not isinstance(prefixes, bool) and 1 <= prefixes <= prefix_draws):
        raise ValueError(f"prefixes must be an integer from 1 to prefix_draws={prefix_draws}, got {prefixes!r}: the "
                         "clean prefixes are the most frequent of the drafts")
    if not (position == "sentence" or (isinstance(position, int) and not isinstance(position, bool) and position >= 1)):
        raise ValueError(f'position must be a number of tokens (at least 1) or "sentence", got {position!r}')
    if not model.gives_logits:
        return _text_prefixes(model, prompt, position, prefix, seed, prefix_draws, prefixes)
    prompt_ids = model.encode(prompt)
    if prefix is not None:
        chosen = [model.continuation_ids(prompt, prompt_ids, prefix)]
    else:
        chosen = _usual_prefixes(model, prompt, position, seed, prefix_draws, prefixes)

    def where(ids: list[int]) -> str:
        if prefix is not None:
            return "after the given prefix"
        return "after the first sentence" if position == "sentence" else f"after {len(ids)} tokens"

    return [Injection(prompt, model.decode(ids), "", tuple(prompt_ids + list(ids)), (), where(ids)) for ids in chosen]


def with_line(model: Backend, built: Injection, injection: str, separator: str = " ") -> Injection:
    """The same P + C as `built`, with another line J: several injections at one place share C."""
    _check_line(injection)
    line = separator + injection.strip()
    if built.clean_text is not None:
        return replace(built, injection=injection.strip(), injected_text=built.clean_text + line)
    clean = list(built.clean_ids)
    injected = clean + model.continuation_ids(clean, clean, line)
    return replace(built, injection=injection.strip(), injected_ids=tuple(injected))


def _text_prefixes(model: Backend, prompt: Prompt, position: int | str, prefix: str | None, seed: int,
                   draws: int, count: int) -> list[Injection]:
    """P + C as text, for backends that give text only. C is `prefix`, or the `count` most frequent of
    `draws` seeded continuations: `position` tokens of the model's own, or its first sentence."""
    if not isinstance(prompt, str):
        raise ValueError(
            f"{model.info().reference} gives text only, and an injection inside a chat's assistant turn needs the "
            "model's chat template, which an OpenAI-compatible API does not expose. Render the chat with the "
            "model's template yourself and pass the text, which ends where the assistant's answer begins.")
    if prefix is not None:
        return [Injection(prompt, prefix, "", (), (), "after the given prefix", clean_text=prompt + prefix)]
    sentence = position == "sentence"
    # No stop strings: a server leaves the stop string out of the text, and C must end with its full stop.
    samples = model.sample(prompt, draws, max_new_tokens=SENTENCE_SEARCH_TOKENS if sentence else position, seed=seed)
    drafts = [_first_sentence_text(g.text) if sentence else g.text for g in samples]
    where = "after the first sentence" if sentence else f"after {position} tokens"
    return [Injection(prompt, usual, "", (), (), where, clean_text=prompt + usual)
            for usual in _open_first(prompt, drafts, lambda text: text, count)]


def ends_passage(prompt: Prompt, prefix: str) -> bool:
    """Whether the clean prefix C closes a quotation that the prompt P opened (P holds an odd number of
    straight double quotes, or more opening curly quotes than closing ones, and P + C balances them): the
    quoted passage (a toast, a speech) ends with C, and a line after it lands outside the passage, not in
    the middle of the generation. Chat prompts open no quotation."""
    if not isinstance(prompt, str):
        return False
    def is_open(text: str) -> bool:
        return text.count('"') % 2 == 1 or text.count("\u201c") > text.count("\u201d")
    return is_open(prompt) and not is_open(prompt + prefix)


def _open_first(prompt: Prompt, drafts: Sequence, text_of: Callable[[object], str], count: int) -> list:
    """`count` of the drafts: every one that leaves the passage open before any that ends it
    (`ends_passage`), each group most frequent first (ties in the order drawn)."""
    ranked = [draft for draft, _ in Counter(drafts).most_common()]
    ranked.sort(key=lambda draft: ends_passage(prompt, text_of(draft)))  # stable: frequency order within each
    return ranked[:count]


def _first_sentence_text(text: str) -> str:
    found = _SENTENCE_DONE.search(text)
    return text[: found.end()] if found else text


def _check_line(injection: str) -> None:
    if not injection.strip():
        raise ValueError("the injection is empty: give the line to inject")


def _usual_prefixes(model: Backend, prompt: Prompt, position: int | str, seed: int, draws: int,
                    count: int) -> list[list[int]]:
    """The `count` most frequent of `draws` seeded prefixes: `position` tokens, or up to the first sentence end."""
    sentence = position == "sentence"
    length, stop = (SENTENCE_SEARCH_TOKENS, [".", "!", "?"]) if sentence else (position, None)  # stop: no wasted steps
    prefixes = []
    for sample in model.sample(prompt, draws, max_new_tokens=length, seed=seed, stop=stop):
        ids = [t for t in sample.token_ids if t not in model.eos_ids]  # the text goes on after C
        prefixes.append(tuple(_first_sentence(model, ids) if sentence else ids))
    return [list(ids) for ids in _open_first(prompt, prefixes, lambda ids: model.decode(list(ids)), count)]


def _first_sentence(model: Backend, ids: list[int]) -> list[int]:
    """The tokens up to the end of the first sentence (all of them if no sentence ends)."""
    for k in range(1, len(ids) + 1):
        if _SENTENCE_DONE.search(model.decode(ids[:k])):
            return ids[:k]
    return ids
