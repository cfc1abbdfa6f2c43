"""Statistics for behavioural checks of language models, in numpy and scipy.

Verdicts (PASS, FAIL or INCONCLUSIVE and the rule that decides them), confidence intervals,
information measures (entropies and divergences, all in nats), goodness of fit of counts, and
sequential rules that sample until an interval decides. A sampled check FAILs only when a
confidence interval clearly excludes the allowed range, PASSes only when it lies wholly inside it,
and is INCONCLUSIVE otherwise; values computed exactly (e.g. from logits) are compared directly.
"""

from .checks import PROB_TOL
from .goodness_of_fit import chi_square_test, g_test
from .information import (
    entropy,
    entropy_curve,
    entropy_from_logprobs,
    js_divergence,
    js_from_logprobs,
    kl_divergence,
    kl_from_logprobs,
    miller_madow_entropy,
    plugin_entropy,
)
from .intervals import (
    bootstrap_interval,
    newcombe_difference_interval,
    t_interval,
    welch_difference_interval,
    wilson_interval,
)
from .sequential import sequential_mean, sequential_proportion
from .verdicts import Outcome, Verdict, decide, exact_verdict

__all__ = [
    "PROB_TOL",
    "Outcome",
    "Verdict",
    "bootstrap_interval",
    "chi_square_test",
    "decide",
    "entropy",
    "entropy_curve",
    "entropy_from_logprobs",
    "exact_verdict",
    "g_test",
    "js_divergence",
    "js_from_logprobs",
    "kl_divergence",
    "kl_from_logprobs",
    "miller_madow_entropy",
    "newcombe_difference_interval",
    "plugin_entropy",
    "sequential_mean",
    "sequential_proportion",
    "t_interval",
    "welch_difference_interval",
    "wilson_interval",
]
