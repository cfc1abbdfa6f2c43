"""Public assertions, one module per phenomenon. Each runs a measure, turns it into a Verdict, records it
and raises on FAIL with the measured value, interval, threshold, seed and a line that reproduces the call
(conclude.py holds what they share).
"""

from .attractor import assert_no_attractor
from .choices import assert_distribution_close, assert_uniform_choice
from .conclude import (
    Inconclusive,
    InconclusiveWarning,
    inconclusive_policy,
    set_inconclusive_policy,
)
from .entropy import assert_entropy_within, assert_sequence_entropy_within
from .mode_share import assert_mode_share_within
from .prior_shift import assert_prior_shift_within
from .temperature import assert_temperature_sensitive

__all__ = [
    "Inconclusive",
    "InconclusiveWarning",
    "assert_distribution_close",
    "assert_entropy_within",
    "assert_mode_share_within",
    "assert_no_attractor",
    "assert_prior_shift_within",
    "assert_sequence_entropy_within",
    "assert_temperature_sensitive",
    "assert_uniform_choice",
    "inconclusive_policy",
    "set_inconclusive_policy",
]
