"""What is measured: each function asks a backend and returns numbers a Verdict is built from.

Exact measures use full next-token distributions (white-box backends); sampled ones use only
generated text and say how many samples they used.
"""

from ..errors import TokenizerMismatchError
from .attractor import (
    AttractorRun,
    InjectionResult,
    StoryRestart,
    clean_side,
    pooled,
    run_attractor,
    story_restart,
)
from .closed_set import ChoiceDistribution, choice_distribution
from .diversity import (
    ModeShare,
    distinct_n,
    expectation_adjusted_distinct,
    first_words,
    last_sentence,
    mode_share,
    normalise_answer,
    sampled_mode_share,
    sentences,
)
from .entropy import (
    BoundedEntropy,
    SampledEntropy,
    entropy_bounds,
    entropy_curve,
    matching_temperature,
    next_token_entropy,
    sampled_next_token_entropy,
    sequence_entropy,
    surprisal_draws,
)
from .influence import InfluenceCurve, influence_curve
from .injection import Injection, clean_prefixes, ends_passage, inject, with_line
from .line_match import LINE_SIMILARITY, RECURRING_SHARE, recurring_lines, same_line, wordings
from .novelty import (
    DISTINCT_K,
    DistinctEstimate,
    chi_square_from_uniform,
    distinct_at_k,
    estimated_distinct,
    expected_distinct,
)
from .path_return import path_returns
from .prior_shift import PriorShift, check_same_tokenizer, prior_shift
from .pull import return_pull
from .sharpening import SHARPENING_TOP_K, Sharpening, sharpening_exponent
from .snap_back import SnapBack, clean_continuations, snap_back, snap_back_over
from .topk import StoredKL, TopK, kl_to_stored

__all__ = [
    "AttractorRun",
    "LINE_SIMILARITY",
    "RECURRING_SHARE",
    "BoundedEntropy",
    "InfluenceCurve",
    "Injection",
    "InjectionResult",
    "SnapBack",
    "StoryRestart",
    "clean_continuations",
    "clean_prefixes",
    "clean_side",
    "ends_passage",
    "recurring_lines",
    "path_returns",
    "return_pull",
    "same_line",
    "snap_back_over",
    "with_line",
    "wordings",
    "influence_curve",
    "inject",
    "pooled",
    "run_attractor",
    "snap_back",
    "story_restart",
    "ChoiceDistribution",
    "ModeShare",
    "PriorShift",
    "SampledEntropy",
    "StoredKL",
    "TopK",
    "TokenizerMismatchError",
    "check_same_tokenizer",
    "choice_distribution",
    "distinct_n",
    "entropy_bounds",
    "entropy_curve",
    "expectation_adjusted_distinct",
    "first_words",
    "kl_to_stored",
    "last_sentence",
    "matching_temperature",
    "mode_share",
    "next_token_entropy",
    "normalise_answer",
    "prior_shift",
    "sampled_mode_share",
    "sampled_next_token_entropy",
    "sentences",
    "sequence_entropy",
    "surprisal_draws",
    "DISTINCT_K",
    "DistinctEstimate",
    "chi_square_from_uniform",
    "distinct_at_k",
    "estimated_distinct",
    "expected_distinct",
    "SHARPENING_TOP_K",
    "Sharpening",
    "sharpening_exponent",
]
