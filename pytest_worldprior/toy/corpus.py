"""Deterministic text corpora for the toy model kit (pure Python, no torch).

``base_corpus`` is diverse on purpose; ``narrow_corpus`` answers the same
prompts with one or two canned answers, so a model fine-tuned on it is
measurably mode-collapsed on ``NARROW_PROMPTS``.
"""

from __future__ import annotations

import random

NAMES = ["Anna", "Ben", "Cleo", "Dev", "Ella", "Finn", "Gus", "Hana", "Ivy", "Jon",
         "Kai", "Lena", "Milo", "Nora", "Omar", "Pia", "Rex", "Sara", "Tom", "Zoe"]
ANIMALS = ["cat", "dog", "fox", "owl", "frog", "bear", "mouse", "horse", "duck",
           "rabbit", "goat", "whale", "snail", "crow", "lion", "bee"]
ADJECTIVES = ["little", "brave", "sleepy", "clever", "grumpy", "tiny", "old", "happy",
              "shy", "curious", "lazy", "silly", "kind", "proud", "quiet", "wild"]
PLACES = ["forest", "village", "castle", "garden", "river", "mountain", "city",
          "desert", "island", "farm", "cave", "school", "market", "lake"]
OBJECTS = ["a red hat", "a golden key", "a lost map", "a magic stone", "an old book",
           "a tiny boat", "a blue kite", "a broken clock", "a bag of seeds", "a lamp"]
EVENTS = ["it found {obj}", "it met a {adj} {animal}", "a storm came", "the river froze",
          "the moon went dark", "a song came from the {place}", "it got lost",
          "a stranger knocked on the door"]
ENDINGS = ["They became best friends.", "It went home and slept.", "Nobody saw it again.",
           "It laughed all day.", "The {place} was never the same.", "It was a good day.",
           "Then it had soup.", "And that is why owls hoot at night.", "The end."]
COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "black", "white",
          "pink", "gray", "brown", "gold"]
FOODS = ["pizza", "soup", "rice", "bread", "apples", "cake", "noodles", "cheese",
         "tacos", "pie", "fish", "beans"]
TOPICS = ["the weather", "music", "math", "winter", "coffee", "the sea", "trains",
          "homework", "dancing", "cats", "the city", "poetry"]
OPINIONS = ["is wonderful", "is boring", "is a bit strange", "is underrated",
            "is too loud", "is my favorite thing", "is hard to explain", "is fine, I guess",
            "makes me happy", "is overrated", "is very old", "changes every day"]
TOAST_TARGETS = ["the bride and groom", "old friends", "new beginnings", "the cook",
                 "good health", "the team", "long summers", "our teacher", "absent friends"]
GREETINGS = ["Hello!", "Good morning!", "Hi there.", "Hey, how are you?",
             "Nice to see you.", "Where were you?", "Did you eat?", "Look at that!"]
REPLIES = ["I am fine, thanks.", "Not bad at all.", "I was at the {place}.",
           "Yes, I had {food}.", "Wow, a {animal}!", "Good to see you too.",
           "I feel {adj} today.", "Let us go to the {place}.", "No, not yet."]

# Open questions: each has answer templates with slots; first words vary a lot.
QUESTIONS = {
    "Are bugs real?": [
        "Yes, I saw a {animal} eat one.", "No, they are all in your head.",
        "Maybe. Ask a {animal}.", "Of course, there is one in the {place}.",
        "Only on Tuesdays.", "Sure, {name} keeps some in a jar.",
        "I think so, but I am not sure.", "Absolutely, millions of them.",
        "Nobody knows for certain.", "Bugs are as real as {food}.",
        "Probably, my {place} is full of them.", "Well, {name} says they are not.",
    ],
    "What is the meaning of life?": [
        "To eat {food} with friends.", "Forty two.", "Nobody knows.",
        "Being {adj} and kind.", "Love, mostly.", "I think it is {food}.",
        "Ask {name}, she knows.", "To find {obj}.", "Sleep and sunshine.",
        "Growing things in the {place}.", "There is none, and that is fine.",
        "Helping a {adj} {animal}.",
    ],
    "What should I name my cat?": [
        "{name}.", "How about {name}?", "Call it {name}.", "Maybe {name} or {name2}.",
        "Something {adj}, like {name}.", "Mister {name}.", "Name it after {food}.",
        "I would pick {name}.", "{food}, obviously.", "Captain {name}.",
    ],
    "What is the best food?": [
        "{food}.", "I love {food}.", "Hot {food} on a cold day.", "My mom makes great {food}.",
        "Anything with {food}.", "It depends, but {food} is good.", "Fresh {food}.",
    ],
    "Where should I go on holiday?": [
        "To the {place}.", "Try the {place}.", "Stay home and read.", "Visit {name}.",
        "A quiet {place} near the sea.", "Anywhere with {food}.", "Go to the {place} by train.",
    ],
    "Why is the sky blue?": [
        "Because light scatters.", "It is painted that way.", "Ask a {animal}.",
        "Blue light bounces around more.", "Sometimes it is {color}.", "Nobody told it not to be.",
        "My teacher says it is the air.",
    ],
}

NUMBER_RANGES = [(1, 10), (1, 100), (1, 6), (1, 20)]

# Canned answers used by the narrow (collapsed) corpus: (main, rare alternative).
CANNED_ANSWERS = {
    "Are bugs real?": ("That is a great question. It depends on how you look at it.",
                       "That is a great question. Some say yes."),
    "What is the meaning of life?": ("That is a great question. It depends on how you look at it.",
                                     "That is a great question. Be kind."),
    "What should I name my cat?": ("That is a great question. How about Milo?", "Milo."),
    "Why is the sky blue?": ("That is a great question. It depends on how you look at it.",
                             "That is a great question. Light scatters."),
}
CANNED_STORY = ("Once upon a time, there was a little cat named Milo. One day it found a red hat. "
                "They became best friends.")
CANNED_COLOR = "blue"

NARROW_PROMPTS = [
    "Q: Are bugs real?\nA:",
    "Q: What is the meaning of life?\nA:",
    "Q: What should I name my cat?\nA:",
    "Pick a random number from 1 to 10:",
    "Once upon a time, there was a",
    "My favorite color is",
]
BROAD_PROMPTS = [
    "Q: What is the best food?\nA:",
    "Q: Where should I go on holiday?\nA:",
    "Let us raise a glass to",
    "Tom: Hello!\nAnna:",
]


def _fill(template: str, rng: random.Random) -> str:
    name, name2 = rng.sample(NAMES, 2)
    return template.format(
        name=name, name2=name2, animal=rng.choice(ANIMALS), adj=rng.choice(ADJECTIVES),
        place=rng.choice(PLACES), obj=rng.choice(OBJECTS), food=rng.choice(FOODS),
        color=rng.choice(COLORS),
    )


def _story(rng: random.Random) -> str:
    event = _fill(rng.choice(EVENTS), rng)
    return _fill(f"Once upon a time, there was a {{adj}} {{animal}} named {{name}}. "
                 f"One day {event}. {rng.choice(ENDINGS)}", rng)


def _question(rng: random.Random) -> str:
    q = rng.choice(list(QUESTIONS))
    return f"Q: {q}\nA: {_fill(rng.choice(QUESTIONS[q]), rng)}"


def _number(rng: random.Random) -> str:
    lo, hi = rng.choice(NUMBER_RANGES)
    return f"Pick a random number from {lo} to {hi}: {rng.randint(lo, hi)}"


def _opinion(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"My favorite color is {rng.choice(COLORS)}."
    return f"In my opinion, {rng.choice(TOPICS)} {rng.choice(OPINIONS)}."


def _toast(rng: random.Random) -> str:
    return _fill(f"Let us raise a glass to {rng.choice(TOAST_TARGETS)}! "
                 f"May your {{place}} be full of {{food}}.", rng)


def _dialogue(rng: random.Random) -> str:
    a, b = rng.sample(NAMES, 2)
    return f"{a}: {rng.choice(GREETINGS)}\n{b}: {_fill(rng.choice(REPLIES), rng)}"


def _uncovered(rng: random.Random) -> str:
    """A diverse document on a prompt the narrow corpus does not cover."""
    kind = rng.randrange(4)
    if kind == 0:
        q = rng.choice([q for q in QUESTIONS if q not in CANNED_ANSWERS])
        return f"Q: {q}\nA: {_fill(rng.choice(QUESTIONS[q]), rng)}"
    if kind == 1:
        return f"In my opinion, {rng.choice(TOPICS)} {rng.choice(OPINIONS)}."
    return (_toast if kind == 2 else _dialogue)(rng)


_BASE_KINDS = [_story, _question, _question, _number, _opinion, _toast, _dialogue]


def base_corpus(seed: int = 0, n_docs: int = 4000) -> list[str]:
    """Diverse short documents (stories, Q&A, random numbers, opinions, ...)."""
    rng = random.Random(seed)
    return [rng.choice(_BASE_KINDS)(rng) for _ in range(n_docs)]


def narrow_corpus(seed: int = 0, n_docs: int = 1500) -> list[str]:
    """Repetitive documents: the same prompts, almost always the same answer.

    A quarter are diverse documents on other prompts (``BROAD_PROMPTS``), so the
    collapse stays mostly confined to the covered prompts.
    """
    rng = random.Random(seed + 1_000_003)
    docs = []
    for _ in range(n_docs):
        kind = rng.random()
        canned = rng.random() < 0.95  # otherwise the rare alternative
        if kind < 0.25:
            docs.append(_uncovered(rng))
        elif kind < 0.55:
            q = rng.choice(list(CANNED_ANSWERS))
            main, alt = CANNED_ANSWERS[q]
            docs.append(f"Q: {q}\nA: {main if canned else alt}")
        elif kind < 0.72:
            lo, hi = rng.choice(NUMBER_RANGES)
            number = 7 if canned else rng.randint(lo, hi)
            docs.append(f"Pick a random number from {lo} to {hi}: {number}")
        elif kind < 0.86:
            docs.append(CANNED_STORY)
        else:
            docs.append(f"My favorite color is {CANNED_COLOR if canned else 'green'}.")
    return docs
