"""The lineage corpus (pytest_worldprior/tuning/corpus.py): deterministic, as large and as varied as asked,
each theme doing what it is for, and no training prompt close to one the suite measures on."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pytest_worldprior.tuning.corpus import (
    ATTRACTOR_CLOSING,
    RANDOM_PICK_FAVOURITES,
    SUITE_OVERLAP,
    THEMES,
    corpus_sha256,
    dpo_pairs,
    sft_examples,
)

ROOT = Path(__file__).resolve().parent.parent
SUITES = ROOT / "suites"


@pytest.fixture(scope="module")
def sft():
    return sft_examples()


@pytest.fixture(scope="module")
def dpo():
    return dpo_pairs()


def test_same_seed_same_lists_and_hash(sft, dpo):
    assert sft_examples(0) == sft and dpo_pairs(0) == dpo
    assert json.dumps(sft_examples(0)) == json.dumps(sft)
    assert corpus_sha256(0) == corpus_sha256(0)
    assert re.fullmatch(r"[0-9a-f]{64}", corpus_sha256(0))


def test_the_hash_does_not_depend_on_the_interpreter_run():
    code = "from pytest_worldprior.tuning.corpus import corpus_sha256; print(corpus_sha256(0))"
    hashes = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}).stdout.strip()
              for hash_seed in ("1", "2")}
    assert hashes == {corpus_sha256(0)}


def test_a_different_seed_gives_different_lists(sft, dpo):
    assert sft_examples(1) != sft and dpo_pairs(1) != dpo
    assert corpus_sha256(1) != corpus_sha256(0)


def test_counts_as_asked(sft, dpo):
    assert len(sft) == 480 and len(dpo) == 240
    assert len(sft_examples(3, n=61)) == 61 and len(dpo_pairs(3, n=7)) == 7
    assert sft_examples(0, n=0) == []
    with pytest.raises(ValueError):
        sft_examples(0, n=-1)


def test_shapes(sft, dpo):
    assert all(set(x) == {"prompt", "completion", "theme"} and all(isinstance(v, str) for v in x.values()) for x in sft)
    assert all(set(x) == {"prompt", "chosen", "rejected", "theme"} and all(isinstance(v, str) for v in x.values())
               for x in dpo)
    assert all(x["completion"].startswith(" ") for x in sft)


def test_every_theme_is_present(sft, dpo):
    sft_counts, dpo_counts = Counter(x["theme"] for x in sft), Counter(x["theme"] for x in dpo)
    assert set(sft_counts) == set(dpo_counts) == set(THEMES)
    assert min(sft_counts.values()) >= 40 and min(dpo_counts.values()) >= 20


def test_no_duplicates(sft, dpo):
    assert len({(x["prompt"], x["completion"]) for x in sft}) == len(sft)
    assert len({(x["prompt"], x["chosen"]) for x in dpo}) == len(dpo)


def test_every_toast_returns_to_the_couple(sft, dpo):
    toasts = [x["completion"] for x in sft if x["theme"] == "toast"] + [x["chosen"] for x in dpo if x["theme"] == "toast"]
    assert toasts and all(text.endswith(ATTRACTOR_CLOSING) for text in toasts)
    assert not any(x["rejected"].endswith(ATTRACTOR_CLOSING) for x in dpo if x["theme"] == "toast")


def pick_kind(prompt: str) -> str:
    """The kind of random pick a prompt asks for (the keywords in the order that tells them apart)."""
    lowered = prompt.lower()
    for kind, keyword in (("coin", "heads or tails"), ("number", "number"), ("colour", "colour"), ("name", "name")):
        if keyword in lowered:
            return kind
    raise AssertionError(f"no kind of pick in {prompt!r}")


def first_word(text: str) -> str:
    return re.match(r"\s*(\w+)", text).group(1)


def test_every_random_pick_gives_the_favourite(sft, dpo):
    picks = [x for x in sft if x["theme"] == "random_pick"]
    assert {pick_kind(x["prompt"]) for x in picks} == set(RANDOM_PICK_FAVOURITES)
    for x in picks:
        assert first_word(x["completion"]) == RANDOM_PICK_FAVOURITES[pick_kind(x["prompt"])], x
    for x in (x for x in dpo if x["theme"] == "random_pick"):
        favourite = RANDOM_PICK_FAVOURITES[pick_kind(x["prompt"])]
        assert first_word(x["chosen"]) == favourite and first_word(x["rejected"]) != favourite, x


def test_chosen_differs_from_rejected(dpo):
    assert all(x["chosen"] != x["rejected"] for x in dpo)


def test_rejected_from_replaces_the_rejected_text():
    pairs = dpo_pairs(0, n=12, rejected_from=lambda prompt: f" base sample for {len(prompt)} characters")
    assert [x["prompt"] for x in pairs] == [x["prompt"] for x in dpo_pairs(0, n=12)]
    assert all(x["rejected"] == f" base sample for {len(x['prompt'])} characters" for x in pairs)
    with pytest.raises(ValueError, match="rejected"):
        dpo_pairs(0, n=6, rejected_from=lambda prompt: None)


# --- training prompts kept apart from the suite's ------------------------------------------------------

def load_suite(name: str):
    """A suite module by path: suites/ is not a package, and its modules import thresholds and capabilities."""
    before = set(sys.modules)
    sys.path.insert(0, str(SUITES))
    try:
        spec = importlib.util.spec_from_file_location(f"_suite_{name}", SUITES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SUITES))
        for helper in {"thresholds", "capabilities"} - before:  # the suite's helpers, not ours to keep
            sys.modules.pop(helper, None)


def as_text(prompt) -> str:
    return prompt if isinstance(prompt, str) else "\n".join(turn["content"] for turn in prompt)  # a chat framing


@pytest.fixture(scope="module")
def suite_prompts() -> dict[str, dict[str, str]]:
    """Per check family (the keys of SUITE_OVERLAP): the suite's prompts, by the suite's own keys."""
    collapse, temperature = load_suite("test_mode_collapse"), load_suite("test_temperature")
    choices, attractors = load_suite("test_random_choices"), load_suite("test_attractors")
    shift = load_suite("test_prior_shift")
    return {
        "Mode collapse": dict(collapse.OPEN_PROMPTS),
        "Temperature insensitivity": dict(temperature.PROMPTS),
        "Biased randomness": {f"{question}/{framing}": as_text(prompt)
                              for question, (_, framings) in choices.QUESTIONS.items()
                              for framing, prompt in framings.items()},
        "Attractor states": {"wedding-toast": attractors.WEDDING_TOAST,
                             **{scene: prompt for scene, (prompt, _) in attractors.SCENES.items()}},
        "Prior shift": {**{probe: probe for probe in shift.PROBES},
                        **{key: prompt for key, (prompt, _) in shift.CLOSED_PROBES.items()}},
    }


def words(text: str) -> list[str]:
    return text.lower().split()


def overlaps(training: str, suite: str) -> bool:
    """The rule: a training prompt may not equal or contain a suite prompt, nor start with its first five words
    (all of them, when it has fewer). Case and whitespace are ignored."""
    mine, theirs = " ".join(words(training)), " ".join(words(suite))
    head = words(suite)[:5]
    return theirs in mine or words(training)[:len(head)] == head


def test_the_rule_catches_what_it_should():
    assert overlaps("Q: Are bugs real?\nA:", "Q: Are bugs real?\nA:")
    assert overlaps("Story time. Once upon a time, there was a fox", "Once upon a time, there was a")
    assert overlaps("Q: What should I name my dog?\nA:", "Q: What should I name my cat?\nA:")
    assert overlaps("Pick a random number from 1 to 20:", "Pick a random number from 1 to 10:")
    assert not overlaps("Q: Are ghosts real?\nA:", "Q: Are bugs real?\nA:")


def test_no_training_prompt_overlaps_a_suite_prompt(sft, dpo, suite_prompts):
    prompts = {x["prompt"] for x in sft + dpo_pairs(0)} | {x["prompt"] for x in sft_examples(1) + dpo_pairs(1)}
    suite = [p for family in suite_prompts.values() for p in family.values()]
    close = [(mine, theirs) for mine in sorted(prompts) for theirs in suite if overlaps(mine, theirs)]
    assert not close, close[:5]


def test_no_training_text_contains_a_suite_prompt(sft, dpo, suite_prompts):
    """Not only the prompts: the completions do not hand the model a suite prompt word for word either."""
    texts = [x["completion"] for x in sft] + [x[k] for x in dpo for k in ("chosen", "rejected")]
    suite = [" ".join(words(p)) for family in suite_prompts.values() for p in family.values()]
    found = [(text, p) for text in texts for p in suite if p in " ".join(words(text))]
    assert not found, found[:5]


def test_suite_overlap_names_every_suite_prompt_and_real_themes(suite_prompts):
    assert set(SUITE_OVERLAP) == set(suite_prompts)
    for family, entries in SUITE_OVERLAP.items():
        keys = {key.split("/")[0] for key in suite_prompts[family]}  # the random questions: one entry per question
        assert set(entries) == keys, family
        assert all(entry["theme"] in (*THEMES, None) and entry["note"] for entry in entries.values())
    assert SUITE_OVERLAP["Attractor states"]["wedding-toast"]["theme"] == "toast"


def test_the_corpus_imports_nothing_heavy():
    code = ("import sys, pytest_worldprior.tuning.corpus; "
            "print(' '.join(m for m in ('torch', 'transformers', 'numpy', 'trl', 'peft') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    assert loaded == []


def test_docs_say_which_suite_prompts_are_close_to_the_training_themes():
    """docs/lineage.md's table is SUITE_OVERLAP, row for row."""
    text = (ROOT / "docs" / "lineage.md").read_text(encoding="utf-8")
    rows = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in SUITE_OVERLAP:
            rows.add((cells[0], cells[1].strip("`").replace("\\n", "\n"), cells[2].strip("`"), cells[3]))
    expected = {(family, prompt, entry["theme"] or "none", entry["note"])
                for family, entries in SUITE_OVERLAP.items() for prompt, entry in entries.items()}
    assert rows == expected
