"""In-set mass and flatness of each random-choice framing on each model: how often the model gives an
allowed answer at all, under the closed-set end rule (issue 16; pytest_worldprior/measures/closed_set.py),
and how flat its answers are among the allowed ones, H/Hmax (the entropy of the renormalised answer
distribution over log k: 1 uniform, 0 one answer; issue 25: is the interpreter framing flatter?).

    python benchmarks/closed_set_framings.py
    python benchmarks/closed_set_framings.py --models gemma3-270m --questions coin --framings interpreter,direct

Prints one Markdown table: a row per question and framing (the suite's, then the alternatives), a column
per model, each cell "in-set mass / H/Hmax" (raw.sum() and normalised_entropy of the exact choice
distribution), with "*" where the mass is below MIN_IN_SET_MASS, the floor under which the
suite's check is INCONCLUSIVE (its H/Hmax is then a share among answers seldom given). "-" where a framing does not apply (a chat turn to a model without a chat
template). Exact, from logits; about 10-20 s per cell for the gemma models on 2 CPU cores (1-100: about 2 minutes);
the whole table took 39 min on 2 shared cores. Each cell's progress goes to stderr.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parents[1] / "suites"))

from test_random_choices import NAMES, QUESTIONS

from pytest_worldprior import load_model
from pytest_worldprior.measures import choice_distribution
from pytest_worldprior.measures.closed_set import MIN_IN_SET_MASS

MODELS = ["gemma3-270m", "gemma3-270m-sft", "gemma3-270m-dpo", "toy-base", "toy-collapsed", "smollm2-135m-instruct"]
CALLS = {
    "number-1-10": "random.randint(1, 10)",
    "number-1-100": "random.randint(1, 100)",
    "d6": "random.randint(1, 6)",
    "coin": "random.choice(['heads', 'tails'])",
    "name": f"random.choice({NAMES!r})",
}
# Other ways to ask, measured beside the suite's own (QUESTIONS): the suite's framings before issue 16, and
# interpreter transcripts of other kinds.
def bare_interpreter(call):
    return f">>> import random\n>>> {call}\n"


ALTERNATIVES = {
    "number-1-10": {"direct-before": "Pick a random number from 1 to 10:",
                    "interpreter-before": bare_interpreter(CALLS["number-1-10"]),
                    "interpreter-print": f">>> import random\n>>> print({CALLS['number-1-10']})\n",
                    "shell": f'$ python3 -c "import random; print({CALLS["number-1-10"]})"\n'},
    "number-1-100": {"direct-before": "Pick a random number from 1 to 100:",  # about a minute a cell on gemma
                     "interpreter-before": bare_interpreter(CALLS["number-1-100"])},
    "d6": {"direct-before": "I rolled a six-sided die. It landed on", "interpreter-before": bare_interpreter(CALLS["d6"])},
    "coin": {"direct-answer-line": "Flip a coin: heads or tails?\nAnswer:", "interpreter-before": bare_interpreter(CALLS["coin"])},
    "name": {"direct-answer-line": f"Pick a random name from {', '.join(NAMES)}.\nAnswer:",
             "interpreter-before": bare_interpreter(CALLS["name"])},
}


def framings(question: str) -> dict:
    """The suite's framings of the question, then the alternatives."""
    return dict(QUESTIONS[question][1]) | ALTERNATIVES[question]


def answers(question: str, prompt) -> list[str]:
    """The allowed answers as the framing writes them: the interpreter echoes a string's repr ('heads'),
    print and the shell write it bare."""
    choices = QUESTIONS[question][0]
    echoed = isinstance(prompt, str) and prompt.startswith(">>>") and ">>> print(" not in prompt.splitlines()[-1]
    return [repr(c) for c in choices] if echoed and not choices[0].isdigit() else list(choices)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--questions", default=",".join(QUESTIONS))
    parser.add_argument("--framings", default="", help="comma-separated framing names (default: all)")
    args = parser.parse_args()
    # Measure, do not read a cache: the default session outside pytest has none.
    models = args.models.split(",")
    wanted = set(filter(None, args.framings.split(",")))
    table: dict[tuple[str, str], dict[str, str]] = {}
    for name in models:
        model = load_model(name)
        chat = model.info().has_chat_template
        for question in args.questions.split(","):
            for framing, prompt in framings(question).items():
                if wanted and framing not in wanted:
                    continue
                cell = "-"
                if chat or not isinstance(prompt, list):
                    start = time.perf_counter()
                    found = choice_distribution(model, prompt, answers(question, prompt))
                    mass = found.in_set_mass
                    cell = f"{mass:.3f}{'*' if mass < MIN_IN_SET_MASS else ''} / {found.normalised_entropy:.2f}"
                    print(f"{name} {question} {framing}: in-set mass / H/Hmax {cell} ({time.perf_counter() - start:.0f} s)",
                          file=sys.stderr, flush=True)
                table.setdefault((question, framing), {})[name] = cell
        model.close()
    print(f"in-set mass / H/Hmax per framing (* mass below the floor MIN_IN_SET_MASS = {MIN_IN_SET_MASS})\n")
    print("| question | framing | " + " | ".join(models) + " |")
    print("|---|---|" + "---|" * len(models))
    for (question, framing), cells in table.items():
        print(f"| {question} | {framing} | " + " | ".join(cells.get(m, "") for m in models) + " |")


if __name__ == "__main__":
    main()
