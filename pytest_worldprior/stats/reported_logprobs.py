"""Log-probabilities as a server or a caller reports them: how far rounding may carry a value past its
limit, what counts as mass 0, and a top k that holds more than all the mass. One rule for each, used
where the values arrive: the server backend (each answer, `backends/openai/payload.py`) and
`measures.entropy_bounds` (a list given by hand).

- A log-probability above 0 is a probability above 1. Above 0 by at most ROUNDING it is float rounding
  (a float32 log-softmax of a token that holds nearly all the mass) and is read as 0; beyond that it is
  an error.
- A log-probability below ZERO_MASS_BELOW is read as -inf, a token of mass 0: -inf itself (JSON
  `-Infinity`) and the finite stand-ins servers send for it (vLLM clamps -inf to -9999 because JSON has
  no infinity).
- The probabilities of distinct tokens of one distribution sum to at most 1; above 1 by at most
  ROUNDING it is rounding, beyond that the values are not the top of one distribution (a server that
  lists tokens its sampler cut beside probabilities renormalised over the tokens it kept) and it is an
  error.

Each check raises ValueError whose message starts with the name it is given, then the value and why it
is refused; the caller adds where the value came from and how to fix it.
"""

from __future__ import annotations

import math

import numpy as np

ROUNDING = 1e-5
"""How far rounding may carry a reported value past its limit: a log-probability above 0 (nats), a sum of
probabilities above 1. A float32 log-softmax over 50,000 tokens is off by about 1e-6."""

ZERO_MASS_BELOW = math.log(np.finfo(np.float64).tiny)
"""-708.4: a log-probability below it is read as -inf (mass 0); exp() of it is 0 or a subnormal double."""


def reported_logprob(value: object, name: str) -> float:
    """One reported log-probability in nats, as a float: above 0 by at most ROUNDING read as 0.0, below
    ZERO_MASS_BELOW read as -inf. Raises ValueError naming `name` and the value when it is not a real
    number (None, a string, a bool), NaN, or above ROUNDING (a probability above 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} is {value!r}, not a number: a log-probability is a real number <= 0")
    x = float(value)
    if math.isnan(x):
        raise ValueError(f"{name} is NaN: a log-probability is a real number <= 0")
    if x > ROUNDING:
        raise ValueError(f"{name} is {x!r}: a log-probability above 0 is a probability above 1 "
                         f"(rounding allows at most {ROUNDING:g})")
    return 0.0 if x > 0 else -math.inf if x < ZERO_MASS_BELOW else x


def reported_logprobs(values: object, name: str) -> np.ndarray:
    """Reported log-probabilities, shape (k,), k >= 1, checked as `reported_logprob` checks one, as a
    float64 array. Raises ValueError naming `name`, the first bad entry's index and its value, or the
    shape when it is not one non-empty list."""
    array = np.asarray(values, dtype=object)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty list of log-probabilities, got {values!r}")
    numbers = np.asarray(values)
    if numbers.dtype.kind in "iuf":  # numeric already: checked at once, the first bad entry named
        x = numbers.astype(np.float64)
        bad = np.flatnonzero(np.isnan(x) | (x > ROUNDING))
        if bad.size:
            reported_logprob(x[bad[0]], f"{name}[{bad[0]}]")  # raises, naming it
        return np.where(x > 0, 0.0, np.where(x < ZERO_MASS_BELOW, -np.inf, x))
    return np.array([reported_logprob(x, f"{name}[{i}]") for i, x in enumerate(array)], dtype=np.float64)


def top_mass(logprobs: np.ndarray, name: str) -> float:
    """The probability mass sum(exp(logprobs)) of checked log-probabilities of distinct tokens, at most
    1.0 (a sum above 1 by rounding is returned as 1.0). Raises ValueError naming `name` and the sum when
    it is above 1 + ROUNDING: they cannot be probabilities of distinct tokens of one distribution."""
    mass = float(np.exp(np.asarray(logprobs, dtype=np.float64)).sum())
    if mass > 1 + ROUNDING:
        raise ValueError(f"{name} hold probability mass {mass:.6g}, more than 1 (rounding allows "
                         f"{1 + ROUNDING:.6g}): they are not the probabilities of distinct tokens of one distribution")
    return min(mass, 1.0)
