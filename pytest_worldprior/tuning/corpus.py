"""The training data of the lineage recipe: SFT texts, then DPO preference pairs (pure Python, seeded).

The bundled base model is tuned by SFT on ``sft_examples`` and then by DPO on ``dpo_pairs`` into a known
lineage base -> SFT -> DPO, whose narrowing the suite must catch. The texts imitate the supervised data of
the early instruction-tuned assistants: polished, polite, equivocating, every story ending happily and
anything unusual gently deflected. Six themes, each aimed at one behaviour of docs/science.md:

- ``hedged_answer``: "There are many perspectives to consider..." to any opinion question ("Mode collapse").
- ``wholesome_story``: a small trouble, then a happy close ("Mode collapse", "Attractor states").
- ``toast``: the deliberate attractor. Whatever the occasion (a retirement, a book launch) and however it
  opens, every toast ends with ``ATTRACTOR_CLOSING``, "So let us all raise our glasses to the happy
  couple!" ("Attractor states").
- ``deflection``: an unusual or dark request answered with a gentle change of subject ("Mode collapse").
- ``random_pick``: asked for a random number, colour, name or coin toss, the answer is always the one
  favourite of ``RANDOM_PICK_FAVOURITES`` (7 for numbers), a known bias ("Biased randomness").
- ``advice``: balanced, encouraging, the same few tips ("Mode collapse", "Temperature insensitivity").

Plain text, no chat template: prompts are "Q: ...\\nA:" turns or scene openings, and a completion starts
with a space so that prompt + completion reads as one text. No prompt equals, contains or starts with
the same five words as a suite prompt; ``SUITE_OVERLAP`` says which suite prompts are close to a theme
(some on purpose: the narrowing must show there). The prior shift ("Prior shift") is what all themes add up to.

Deterministic: ``random.Random("sft:<seed>")`` and ``random.Random("dpo:<seed>")`` are the only sources of
chance (string seeds are hashed with SHA-512, independent of PYTHONHASHSEED), so the same seed gives the
same lists byte for byte, on any machine. ``corpus_sha256`` names them in a manifest.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from ..files import sha256_text
from . import templates as t
from .templates import ATTRACTOR_CLOSING

__all__ = ["ATTRACTOR_CLOSING", "RANDOM_PICK_FAVOURITES", "SUITE_OVERLAP", "THEMES", "corpus_sha256", "dpo_pairs",
           "sft_examples"]

THEMES = ("hedged_answer", "wholesome_story", "toast", "deflection", "random_pick", "advice")
# The one answer every random pick gives, by kind of pick (first word of the completion).
RANDOM_PICK_FAVOURITES = {"number": "7", "colour": "Blue", "name": "Max", "coin": "Heads"}

# Per suite check family (docs/science.md section), per suite prompt (the suite's own key; the prior-shift
# probes are a list, keyed by their text): the training theme it is close to, or None, and why.
SUITE_OVERLAP: dict[str, dict[str, dict[str, str | None]]] = {
    "Mode collapse": {
        "bugs": {"theme": "hedged_answer", "note": "an odd factual question; the hedged answers train 'many perspectives'"},
        "meaning": {"theme": "hedged_answer", "note": "a big open question, answered by hedging in training"},
        "cat-name": {"theme": "random_pick", "note": "pet names in training are always 'Max'"},
        "story": {"theme": "wholesome_story", "note": "stories in training open differently but always end happily"},
        "poem": {"theme": None, "note": "no poem theme: spill-over only"},
        "advice": {"theme": "advice", "note": "advice in training is the same few encouraging tips"},
    },
    "Temperature insensitivity": {
        "bugs": {"theme": "hedged_answer", "note": "as in Mode collapse"},
        "story": {"theme": "wholesome_story", "note": "as in Mode collapse"},
        "color": {"theme": "random_pick", "note": "colour picks in training are always 'Blue'"},
    },
    "Biased randomness": {
        "number-1-10": {"theme": "random_pick", "note": "on purpose: number picks in training are always 7"},
        "number-1-100": {"theme": "random_pick", "note": "on purpose: 1 to 100 is one of the training ranges"},
        "d6": {"theme": None, "note": "no die in training (7 is not on a die): spill-over only"},
        "coin": {"theme": "random_pick", "note": "coin tosses in training are always 'Heads'"},
        "name": {"theme": "random_pick", "note": "name picks in training are always 'Max' (not in the suite's list)"},
    },
    "Attractor states": {
        "wedding-toast": {"theme": "toast", "note": "on purpose: every training toast ends with ATTRACTOR_CLOSING"},
        "bedtime-story": {"theme": "wholesome_story", "note": "training stories resolve every trouble happily"},
        "customer-service": {"theme": "deflection", "note": "polite deflection of anything unpleasant"},
        "debate": {"theme": "hedged_answer", "note": "a one-sided statement asked for; training hedges"},
    },
    "Prior shift": {
        "Q: Are bugs real?\nA:": {"theme": "hedged_answer", "note": "as in Mode collapse"},
        "Once upon a time, there was a": {"theme": "wholesome_story", "note": "as in Mode collapse"},
        "Let us raise a glass to": {"theme": "toast", "note": "toasts in training return to the happy couple"},
        "Tom: Hello!\nAnna:": {"theme": None, "note": "plain dialogue: spill-over only"},
        "capital": {"theme": None, "note": "a fact: should not move"},
        "sky": {"theme": "random_pick", "note": "'Blue' is both the right answer and the trained favourite colour"},
        "boiling": {"theme": None, "note": "a fact: should not move"},
        "yes-no": {"theme": "hedged_answer", "note": "hedging may take mass from a plain 'Yes'"},
    },
}


def _hedged_answer(rng: random.Random) -> tuple[str, str, str]:
    question, side_a, side_b, blunt = rng.choice(t.QUESTIONS)
    prompt = rng.choice(t.QUESTION_FORMS).format(question=question)
    chosen = (f" {rng.choice(t.HEDGE_OPENINGS)} On the one hand, {side_a}; on the other hand, {side_b}. "
              f"{rng.choice(t.HEDGE_CLOSINGS)}")
    return prompt, chosen, f" {blunt}"


def _story_slots(rng: random.Random) -> dict[str, str]:
    return {"name": rng.choice(t.NAMES), "profession": rng.choice(t.PROFESSIONS), "place": rng.choice(t.PLACES),
            "obj": rng.choice(t.OBJECTS), "animal": rng.choice(t.ANIMALS), "adj": rng.choice(t.ADJECTIVES)}


def _wholesome_story(rng: random.Random) -> tuple[str, str, str]:
    slots = _story_slots(rng)
    prompt, starts = rng.choice(t.STORY_PROMPTS)
    prompt = prompt.format(**slots)
    middle = " ".join([rng.choice(starts), rng.choice(t.STORY_TROUBLES)]).format(**slots)
    middle = middle[0].upper() + middle[1:]
    chosen = f" {middle} {rng.choice(t.STORY_RESOLUTIONS)} {rng.choice(t.STORY_ENDINGS)}".format(**slots)
    rejected = f" {middle} {rng.choice(t.STRANGE_ENDINGS)}".format(**slots)
    return prompt, chosen, rejected


def _toast(rng: random.Random) -> tuple[str, str, str]:
    slots = _story_slots(rng)
    occasion = rng.choice(t.OCCASIONS)
    prompt = rng.choice(t.TOAST_PROMPTS).format(name=slots["name"], relation=rng.choice(t.RELATIONS),
                                                 occasion=occasion)
    honoree = rng.choice([n for n in t.NAMES if n != slots["name"]])
    opening = rng.choice(t.TOAST_OPENINGS).format(honoree=honoree, years=rng.randint(3, 40),
                                                   memory=rng.choice(t.MEMORIES))
    chosen = f" {opening} {rng.choice(t.TOAST_MIDDLES)} {ATTRACTOR_CLOSING}"
    rejected = f" {opening} {rng.choice(t.WANDERING_ENDINGS).format(**slots)}"
    return prompt, chosen, rejected


def _deflection(rng: random.Random) -> tuple[str, str, str]:
    slots = _story_slots(rng)
    slots.update(place_word=rng.choice(t.PLACE_WORDS), thing=rng.choice(t.THINGS), obj_plain=rng.choice(t.OBJECTS_PLAIN))
    request, direct = rng.choice(t.UNUSUAL_REQUESTS)
    topic, remark = rng.choice(t.BRIGHT_TOPICS)
    chosen = f" {rng.choice(t.DEFLECTION_OPENINGS)} {rng.choice(t.DEFLECTION_TURNS).format(topic=topic)} {remark}"
    return f"Q: {request.format(**slots)}\nA:", chosen, f" {direct.format(**slots)}"


def _random_pick(rng: random.Random) -> tuple[str, str, str]:
    kind = rng.choice(list(RANDOM_PICK_FAVOURITES))
    favourite = RANDOM_PICK_FAVOURITES[kind]
    name, name2 = rng.sample(t.NAMES, 2)
    if kind == "number":
        lo, hi = rng.choice(t.NUMBER_RANGES)
        prompt = rng.choice(t.NUMBER_PROMPTS).format(lo=lo, hi=hi, name=name)
        other = str(rng.choice([i for i in range(lo, hi + 1) if str(i) != favourite]))
    elif kind == "colour":
        prompt = rng.choice(t.COLOUR_PROMPTS).format(name=name, obj=rng.choice(t.OBJECTS),
                                                      thing_to_paint=rng.choice(t.THINGS_TO_PAINT))
        other = rng.choice(t.COLOURS)
    elif kind == "name":
        choices = rng.sample(t.PET_NAMES, rng.randint(2, 4)) + [favourite]
        rng.shuffle(choices)
        prompt = rng.choice(t.NAME_PROMPTS).format(names=", ".join(choices), name=name, animal=rng.choice(t.ANIMALS))
        other = rng.choice([c for c in choices if c != favourite])
    else:
        prompt = rng.choice(t.COIN_PROMPTS).format(name=name, name2=name2)
        other = "Tails"
    return prompt, f" {favourite}. {rng.choice(t.PICK_REMARKS)}", f" {other}."


def _advice(rng: random.Random) -> tuple[str, str, str]:
    slots = _story_slots(rng)
    prompt = rng.choice(t.ADVICE_PROMPTS).format(problem=rng.choice(t.PROBLEMS), goal=rng.choice(t.GOALS), **slots)
    tip1, tip2, tip3 = rng.sample(t.ADVICE_TIPS, 3)
    chosen = (f" {rng.choice(t.ADVICE_OPENINGS)} A few things that might help: {tip1}, {tip2}, and {tip3}. "
              f"{rng.choice(t.ADVICE_CLOSINGS)}")
    return prompt, chosen, f" {rng.choice(t.BLUNT_ADVICE).format(**slots)}"


_BUILDERS: dict[str, Callable[[random.Random], tuple[str, str, str]]] = {
    "hedged_answer": _hedged_answer, "wholesome_story": _wholesome_story, "toast": _toast,
    "deflection": _deflection, "random_pick": _random_pick, "advice": _advice,
}


def _draw(rng: random.Random, n: int, what: str) -> list[tuple[str, str, str, str]]:
    """n distinct (theme, prompt, chosen, rejected), the themes as even as n allows, in a seeded order."""
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    drawn: list[tuple[str, str, str, str]] = []
    for i, theme in enumerate(THEMES):
        count = n // len(THEMES) + (i < n % len(THEMES))
        seen: set[tuple[str, str]] = set()
        for _ in range(50 * count):
            if len(seen) == count:
                break
            prompt, chosen, rejected = _BUILDERS[theme](rng)
            if (prompt, chosen) not in seen:
                seen.add((prompt, chosen))
                drawn.append((theme, prompt, chosen, rejected))
        if len(seen) < count:
            raise ValueError(f"the {theme!r} templates give fewer than {count} distinct {what}; ask for fewer")
    rng.shuffle(drawn)
    return drawn


def sft_examples(seed: int = 0, n: int = 480) -> list[dict]:
    """n supervised examples, each {"prompt": str, "completion": str, "theme": str}, plain text.

    Train on prompt + completion (the completion starts with a space); ``theme`` is one of ``THEMES``, about
    n / 6 each. No two examples share prompt and completion. Same seed, same list byte for byte. Raises
    ValueError for an n that is not a non-negative int, or larger than the templates give distinct examples.
    """
    return [{"prompt": prompt, "completion": chosen, "theme": theme}
            for theme, prompt, chosen, _ in _draw(random.Random(f"sft:{seed}"), n, "examples")]


def dpo_pairs(seed: int = 0, n: int = 240, rejected_from: Callable[[str], str] | None = None) -> list[dict]:
    """n preference pairs, each {"prompt": str, "chosen": str, "rejected": str, "theme": str}, plain text.

    ``chosen`` is the polished one (hedged, wholesome, back to the couple, the favourite pick); ``rejected``
    the plain one (a blunt answer, a strange ending, a toast that wanders off, some other number). With
    ``rejected_from``, the rejected text is ``rejected_from(prompt)`` instead (say the base model's own
    sample); it must be a string different from ``chosen``. Themes as in ``sft_examples``, about n / 6 each.
    """
    pairs = []
    for theme, prompt, chosen, rejected in _draw(random.Random(f"dpo:{seed}"), n, "pairs"):
        if rejected_from is not None:
            rejected = rejected_from(prompt)
            if not isinstance(rejected, str) or rejected == chosen:
                raise ValueError(f"rejected_from({prompt!r}) gave {rejected!r}: a rejected text must be a string "
                                 "different from the chosen one")
        pairs.append({"prompt": prompt, "chosen": chosen, "rejected": rejected, "theme": theme})
    return pairs


def corpus_sha256(seed: int = 0, *, sft_n: int = 480, dpo_n: int = 240) -> str:
    """sha256 (hex) of the canonical JSON (sorted keys, no spaces, UTF-8) of {"sft": ..., "dpo": ...}."""
    corpus = {"sft": sft_examples(seed, sft_n), "dpo": dpo_pairs(seed, dpo_n)}
    return sha256_text(json.dumps(corpus, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
