"""Statistics for behavioural checks of language models, in numpy and scipy.

Verdicts (PASS, FAIL or INCONCLUSIVE and the rule that decides them), confidence intervals,
information measures (entropies and divergences, all in nats), goodness of fit of counts, and
sequential rules that sample until an interval decides. A sampled check FAILs only when a
confidence interval clearly excludes the allowed range, PASSes only when it lies wholly inside it,
and is INCONCLUSIVE otherwise; values computed exactly (e.g. from logits) are compared directly.

Names load on first use (PEP 562): naming an Outcome does not import numpy and scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_names

_EXPORTS = {
    "Outcome": "outcome",
    "all_equal_entropy_interval": "degenerate",
    "all_equal_mass": "degenerate",
    "all_equal_mean_interval": "degenerate",
    "PROB_TOL": "checks",
    "Verdict": "verdicts",
    "benjamini_hochberg": "multiple",
    "bootstrap_interval": "intervals",
    "chi_square_test": "goodness_of_fit",
    "decide": "verdicts",
    "entropy": "information",
    "entropy_curve": "information",
    "entropy_from_logprobs": "information",
    "exact_verdict": "verdicts",
    "judged_together": "multiple",
    "js_from_logprobs": "information",
    "kl_divergence": "information",
    "kl_from_logprobs": "information",
    "miller_madow_entropy": "information",
    "newcombe_difference_interval": "intervals",
    "p_value": "multiple",
    "plugin_entropy": "information",
    "sequential_mean": "sequential",
    "t_interval": "intervals",
    "verdict_p_value": "multiple",
    "welch_difference_interval": "intervals",
    "wilson_interval": "intervals",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS)


if TYPE_CHECKING:  # the same names, imported eagerly, for type checkers
    from .checks import PROB_TOL
    from .degenerate import all_equal_entropy_interval, all_equal_mass, all_equal_mean_interval
    from .goodness_of_fit import chi_square_test
    from .information import (
        entropy,
        entropy_curve,
        entropy_from_logprobs,
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
    from .multiple import benjamini_hochberg, judged_together, p_value, verdict_p_value
    from .outcome import Outcome
    from .sequential import sequential_mean
    from .verdicts import Verdict, decide, exact_verdict
