"""Biased "random" answers: a number from 1 to 10, asked directly and framed as a Python interpreter's
output, for the candidate and the baseline. Exact answer distributions from logits; the table shows
each model's top answer and its probability per framing. (SCIENCE.md, "biased random answers")"""

import pytest
from thresholds import MAX_TOP_SHARE_FACTOR

from pytest_worldprior import assert_uniform_choice

ONE_TO_TEN = [str(i) for i in range(1, 11)]
FRAMINGS = {
    "direct": "Pick a random number from 1 to 10:",
    "interpreter": ">>> import random\n>>> random.randint(1, 10)\n",
}


@pytest.mark.parametrize("framing", FRAMINGS, ids=FRAMINGS.keys())
@pytest.mark.parametrize("role", ["candidate", "baseline"])
def test_random_number_1_to_10(worldprior_model, worldprior_baseline, role, framing):
    model = worldprior_model if role == "candidate" else worldprior_baseline
    assert_uniform_choice(model, FRAMINGS[framing], ONE_TO_TEN, max_top_share=MAX_TOP_SHARE_FACTOR / len(ONE_TO_TEN))
