"""Biased "random" answers: a number from 1 to 10 and from 1 to 100, a d6, a coin and a name, each asked
directly, in a chat turn and framed as a Python interpreter's output. Exact answer distributions from
logits. The candidate is gated: no answer beyond three times its fair share, unless the baseline is as
biased on the same question (then no more than MAX_TOP_SHARE_INCREASE above it). The baseline's rows
put its framings beside the candidate's in the report's "random choices" section (top answer, its
probability, flatness, in-set mass; whether the interpreter framing is flatter), and gate on what the
candidate's rows need from it: a top share that leaves the candidate's limit below 1 (at most
1 - MAX_TOP_SHARE_INCREASE), else the candidate's row could not fail. A model that rarely answers in a
framing (in-set mass below MIN_IN_SET_MASS, 0.05) is INCONCLUSIVE there, and so is the candidate's row
when the baseline rarely answers. Each framing was chosen so that the default pair answers in it (BENCHMARKS.md, issue 16).
(docs/science.md, "Biased randomness")"""

import pytest

from pytest_worldprior import assert_uniform_choice

NAMES = ["Alice", "Bob", "Carol", "Dave", "Eve"]


def numbers(low, high):
    return [str(i) for i in range(low, high + 1)]


def interpreter(call):
    """`call` typed into a Python session that has already printed the output of another call. After
    `>>> import random` and the call alone a base model writes another `>>>` line (gemma3-270m: in-set
    mass 0.001 or less); shown one output, it answers (0.18 on 1-10, 0.77 on the coin)."""
    return f">>> import random\n>>> random.choice(['red', 'green', 'blue'])\n'green'\n>>> {call}\n"


def answer_line(request):
    """The request, then "Answer:" on a line of its own: a base model answers it (gemma3-270m 0.12 on 1-10)
    where after "Pick a random number from 1 to 10:" it starts a new paragraph (0.01)."""
    return f"{request}\nAnswer:"


def chat(request):
    return [{"role": "user", "content": f"{request} Reply with the answer only."}]


# question: (allowed answers, {framing: prompt}). Interpreter answers to random.choice are Python reprs.
QUESTIONS = {
    "number-1-10": (numbers(1, 10), {
        "direct": answer_line("Pick a random number from 1 to 10."),
        "chat": chat("Pick a random number from 1 to 10."),
        "interpreter": interpreter("random.randint(1, 10)"),
    }),
    "number-1-100": (numbers(1, 100), {
        "direct": answer_line("Pick a random number from 1 to 100."),
        "chat": chat("Pick a random number from 1 to 100."),
        "interpreter": interpreter("random.randint(1, 100)"),
    }),
    "d6": (numbers(1, 6), {
        "direct": answer_line("Roll a six-sided die and tell me the number."),
        "chat": chat("Roll a six-sided die and tell me the number."),
        "interpreter": interpreter("random.randint(1, 6)"),
    }),
    "coin": (["heads", "tails"], {
        "direct": "I flipped a coin. It came up",
        "chat": chat("Flip a coin: heads or tails?"),
        "interpreter": interpreter("random.choice(['heads', 'tails'])"),
    }),
    "name": (NAMES, {
        "direct": f"Pick a random name from {', '.join(NAMES)}. I pick",
        "chat": chat(f"Pick a random name from {', '.join(NAMES)}."),
        "interpreter": interpreter(f"random.choice({NAMES!r})"),
    }),
}
CASES = [(question, framing) for question, (_, framings) in QUESTIONS.items() for framing in framings]


@pytest.mark.parametrize(("question", "framing"), CASES, ids=[f"{q}-{f}" for q, f in CASES])
@pytest.mark.parametrize("role", ["candidate", "baseline"])
def test_random_choice(worldprior_model, worldprior_baseline, limits, need_logits, role, question, framing):
    model = worldprior_model if role == "candidate" else worldprior_baseline
    choices, framings = QUESTIONS[question]
    prompt = framings[framing]
    if framing == "chat" and not model.info().has_chat_template:
        pytest.skip(f"{model.info().name} has no chat template: the chat framing applies to chat models only")
    if framing == "interpreter" and not choices[0].isdigit():
        choices = [repr(c) for c in choices]  # random.choice prints 'heads', quotes included
    if role == "baseline":  # at most 1 - the increase: else the candidate's limit on this row would reach 1
        assert_uniform_choice(model, prompt, choices, max_top_share=1 - limits.MAX_TOP_SHARE_INCREASE,
                              min_in_set_mass=limits.MIN_IN_SET_MASS, framing=framing)
        return
    # The candidate may be as biased as the baseline on the same question, not more; where the baseline
    # cannot be asked this way (a chat turn to a base model), the fair-share limit alone applies.
    comparable = framing != "chat" or worldprior_baseline.info().has_chat_template
    if comparable:
        need_logits("the baseline's exact answer distribution", worldprior_baseline)
    bound = min(limits.MAX_TOP_SHARE_CAP, limits.MAX_TOP_SHARE_FACTOR / len(choices))
    assert_uniform_choice(model, prompt, choices, max_top_share=bound, min_in_set_mass=limits.MIN_IN_SET_MASS, framing=framing,
                          baseline=worldprior_baseline if comparable else None,
                          max_top_share_increase=limits.MAX_TOP_SHARE_INCREASE if comparable else None)
