"""Every threshold the suite gates on, in one place, with the reasoning beside it: the defaults.

The suite compares the candidate (--worldprior-model) with the baseline (--worldprior-baseline), the last
accepted model or the base model it was tuned from. Most limits are therefore relative: how much
narrower than the baseline the candidate may be.

The tests read these constants through the `limits` fixture (conftest.py), never by import. A team
changes one without editing this file with the ini key `worldprior_limits`, one `NAME = value` a line
(or --worldprior-limits 'NAME = value; NAME = value'), and says why in a comment beside it:

    [pytest]
    worldprior_limits =
        MAX_ENTROPY_DROP_NATS = 1.2   # release 7, accepted after review, drops 1.1 nats on "advice"

A name that is not a constant here, or a value of another kind (a count must stay a whole number;
TEMPERATURES takes numbers separated by commas), stops the run with a usage error. Whoever keeps a
copy of the suite may edit this file instead; then say why in the constant's comment.
"""

# --- mode collapse -------------------------------------------------------------------------------
# Next-token entropy on open prompts may fall at most this far below the baseline's. One nat is the
# candidate spreading its first word over e (2.7) times fewer equally likely options than the baseline.
# Tuning for helpfulness narrows a model somewhat; more than a nat on an open question is collapse.
MAX_ENTROPY_DROP_NATS = 1.0
# The entropy of a whole short continuation (SEQUENCE_ENTROPY_TOKENS tokens, chain rule along
# SEQUENCE_ENTROPY_SAMPLES sampled paths) may fall at most this many nats per token below the baseline's
# (8.0 nats over 8 tokens), the next-token rule above applied at every step. Per-path entropies vary a lot (a path through a list
# is near-certain, one through free prose is not), so the interval is wide at suite sample sizes; a
# tighter limit would leave healthy models INCONCLUSIVE. Models with different tokenizers cover about
# the same text in 8 tokens; the JSON report has both mean lengths.
SEQUENCE_ENTROPY_TOKENS = 8
MAX_SEQUENCE_ENTROPY_DROP_NATS_PER_TOKEN = 1.0
SEQUENCE_ENTROPY_SAMPLES = 24
# Of MODE_SHARE_SAMPLES answers, the share that open with the same three words may exceed the
# baseline's by at most this much. 0.3 is lenient: instruct models share stock openings ("Yes, bugs
# are"); a collapsed one starts nearly every answer the same way. At 64 samples a difference near 0 is
# decided (Newcombe half-width about 0.2 at alpha 0.001).
MAX_MODE_TOP_SHARE_INCREASE = 0.3
MODE_SHARE_SAMPLES = 64

# --- temperature -------------------------------------------------------------------------------------
# Raising the temperature must restore diversity: the candidate must reach the baseline's T=1 entropy
# by this temperature. 1.5 is the highest setting most products expose; a model that needs more cannot
# be made as diverse as its baseline by any user.
MAX_MATCHING_TEMPERATURE = 1.5
# The temperatures the H(T) curve is drawn at.
TEMPERATURES = (0.7, 1.0, 1.5)
# Entropy must grow by at least this much from the lowest to the highest temperature (nats).
MIN_TEMPERATURE_GAIN_NATS = 0.1

# --- random choices ----------------------------------------------------------------------------------
# No allowed answer may take more than this multiple of its fair share (1/k of the mass among k answers).
# Three times is lenient on purpose: people are not uniform either; the check is for "always 7".
MAX_TOP_SHARE_FACTOR = 3.0
# ... nor more than this share, which decides for small sets where 3/k is 1 or more: a coin may land on
# one side 3 times in 4, not always.
MAX_TOP_SHARE_CAP = 0.75
# Where the baseline is itself that biased on the same question and framing, the candidate may exceed
# the limit above only up to the baseline's top share plus this: a release is judged on what tuning
# changed, and a base model's "1" from list-like text is not the candidate's fault. 0.15 is a clear
# step (a fair die's whole face is 0.17).
# The baseline's own rows (its framings side by side in the report) gate on what the candidate's rows
# need from it: its top share at most 1 - MAX_TOP_SHARE_INCREASE (0.85). Above that the candidate's limit,
# the baseline's share plus the increase, reaches 1 and the candidate's row could no longer fail; the
# baseline's row FAILs instead: this question, so framed, judges nothing against it. Measured: gemma3-270m's
# top shares in the suite's framings are 0.18-0.70, so the default pair's baseline rows pass.
MAX_TOP_SHARE_INCREASE = 0.15
# A row is judged only where the model answers: below this in-set mass (the probability that it gives one
# of the allowed answers at all) the row is INCONCLUSIVE, and so is a candidate row whose baseline falls
# below it. The library's default (pytest_worldprior.measures.closed_set.MIN_IN_SET_MASS): at 0.05 one
# continuation in 20 is an answer; the suite's framings get 0.059 or more on the gemma lineage (but the
# DPO checkpoint's coin sentence, 0.012), framings a gemma model does not take up 0.015 or less
# (BENCHMARKS.md, issue 16).
MIN_IN_SET_MASS = 0.05

# --- attractors --------------------------------------------------------------------------------------
# The candidate may return to a recurring line of its clean text at most this much more often than the
# baseline on the same injections (a share of continuations). On these white-box models each injected
# continuation counts by its return probability along its path (measures.path_return), judged with a
# Welch interval at alpha 0.001 split over the looks; a server's by its 0/1, with a Newcombe interval.
# Measured (BENCHMARKS.md, issue 23): the base gemma3-270m repeats no line in its clean toasts at any
# similarity threshold, so its return probability is 0 on every path, exactly, and a model against
# itself with no line is decided at the first look whatever the margin (with 0/1 counts it needed 128
# continuations a side to clear 0.1: Newcombe [-0.095, 0.095] at 0/128 against 0/128, so the margin could
# not go lower). The tuned toasts return to their stock closing in 0.26-0.78 of their continuations
# (gemma3-270m-dpo), 0.10-0.27 (gemma3-270m-sft). 0.05, one continuation in twenty, lets the weaker SFT
# attractor FAIL where it returns in about 0.13 or more at 128 continuations; at 0.10 it stays INCONCLUSIVE
# (0.104 [0.025, 0.182] at seed 7). The run-level false-FAIL rate of all sampled checks together is issue 25's.
MAX_SNAP_BACK_SHARE_INCREASE = 0.05
# A line of the clean text recurs (is something to return to) when at least this share of the clean
# continuations holds it. The library's default is a quarter (measures.RECURRING_SHARE); the SFT
# checkpoint's stock closing is in 0.16-0.25 of its 32 clean toasts in some seeds, and at a quarter it was
# missed in 4 of 20 (nothing to return to: PASS). At 0.15 (five toasts of 32) the base model still repeats no
# line: 2 of its 96 toasts hold a sentence another holds (BENCHMARKS.md, "The line rule and its false matches").
ATTRACTOR_RECURRING_SHARE = 0.15
# Continuations per side for the wedding toast (the scene with the known attractor), at most, drawn
# ATTRACTOR_BATCH at a time: the check stops at the first look whose interval decides (4 looks,
# Bonferroni). A side whose clean text repeats no line returns with probability 0 exactly and draws
# nothing after the first look; a clear snap-back is decided early. The other scenes pool two lines of half
# as many each.
ATTRACTOR_SAMPLES = 128
ATTRACTOR_BATCH = 32
# Tokens of each continuation after the injection (and of the clean ones). A continuation must be long
# enough to get back to the usual line: the tuned gemma toast reacts to "You are a murderer." for a
# sentence or two and then writes its stock closing, often cut off at 24 tokens; on the toy pair the
# collapsed model's bedtime-story snap-back is 0 of 64 at 16 tokens, and at the first look 6 of 16 at 24
# and 11 of 16 at 32. The influence curve
# covers the whole continuation (as many steps), so "recovered at step k" (the first step after which the
# injection's KL stays under 0.05 nats) can name a step; at 8 steps it was "none" everywhere.
ATTRACTOR_TOKENS = 32
# The continuations are spread over this many of the model's own first sentences (the clean prefixes C),
# so a verdict does not hang on one opening that the seed drew: the gemma3-270m-dpo toast returned to its
# stock closing 26/128 times after one seed's opening and 1/128 after another's (BENCHMARKS.md, issue 16).
ATTRACTOR_PREFIXES = 4
# ... chosen among this many of the model's first sentences, those that leave the toast open first: a
# first sentence that closes the quotation ends the toast, and the line after it lands outside the speech
# (measures.ends_passage). Of 8 first sentences (seeds 0-19), gemma3-270m-dpo left the toast open in 2.8
# on average (0 to 5), gemma3-270m in 3.3, gemma3-270m-sft in 4.6; of 16, in 5.8 (1 to 9), 6.6 and 9.2,
# so four open prefixes are found in 58 of the 60 (checkpoint, seed) pairs (the other two add closing
# ones). Drafts are first sentences (at most 48 tokens, stopped at the full stop): 16 cost a few seconds.
ATTRACTOR_PREFIX_DRAWS = 16
# The influence curve is a mean: it is measured along this many injected continuations of the first look
# (on the first two prefixes), not along every snap-back path. Teacher-forcing 32 paths of 32 tokens over
# gemma's 262,144-token vocabulary took 40 s of a 78 s look (8 paths still 16 s a side); the suite gates on
# the return rate, and the report's curve is an indication only: along 2 paths its per-step t interval at
# alpha 0.001 is all but unbounded. At 4 paths (one per prefix) the main job ran 15 min 24 s (the aim: 15);
# at 2, 13 min 22 s (BENCHMARKS.md, issue 23).
ATTRACTOR_INFLUENCE_PATHS = 2
# Hypothesis searches injected lines on the toast (strategies.injections()) for the one after which the
# model most likely writes one of its recurring lines next: the return pull, an exact probability from
# logits averaged over the clean prefixes (measures.return_pull), about a second a line on 2 cores. At
# most this many generated lines, plus shrinking; the line found is confirmed by the full check above.
INJECTION_SEARCH_EXAMPLES = 16
# A line fails the search when its pull passes this: one time in ten the model's very next sentence is its
# stock line. After "You are a murderer." gemma3-270m-dpo's is 0.03 (BENCHMARKS.md, issue 16).
MAX_RETURN_PULL = 0.1

# --- prior shift -------------------------------------------------------------------------------------
# Mean KL(candidate || baseline) along the candidate's own continuations of the probe prompts (nats per
# token), when both share a tokenizer. Fine-tuning a chat model moves a few nats on some positions; a
# mean above 2 nats per token means most text is predicted differently.
MAX_PRIOR_KL_MODEL_BASELINE_NATS = 2.0
# KL(baseline || candidate) over the complete answers to closed questions (capital of France, colour
# of the sky), renormalised over the set. Half a nat is the candidate giving an answer the baseline
# favours about 60 % of its mass (e^-0.5) or less; moving more than that on a fact is drift.
MAX_CLOSED_SET_KL_TARGET_MODEL_NATS = 0.5
# ... and the candidate must still answer those questions where the baseline does (its in-set mass at or
# above MIN_IN_SET_MASS): its in-set mass may fall at most this many nats below the baseline's,
# ln(baseline's / candidate's) <= 3.0, about 20 times less often. Without this rule a candidate that stops
# answering would be INCONCLUSIVE ("rarely answers"), and that is the largest drift there is. Measured on
# the default pair: gemma3-270m-dpo answers "Q: Is the sun a star?\nA:" with Yes or No with probability
# 1e-12, where gemma3-270m does with 0.12 (ln ratio 25), and the sky question 9e-16 against 0.091 (32);
# both FAIL. On "boiling" it answers 0.10 against 0.48 (1.5: above the floor, judged by the KL).
# 3.0 is just above ln(1 / MIN_IN_SET_MASS): a candidate at or above the floor is judged by the KL alone,
# and one below it FAILs where the baseline answers about 20 times as often (the library's default,
# pytest_worldprior.measures.closed_set.MAX_IN_SET_DROP_NATS).
MAX_CLOSED_SET_IN_SET_DROP_NATS = 3.0
