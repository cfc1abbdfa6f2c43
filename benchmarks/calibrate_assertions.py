"""False alarms and detection power of every sampled-mode assertion, on the toy (base, collapsed) pair.

    python benchmarks/calibrate_assertions.py [seeds]        # default 200 seeds

Sampled mode: entropy and temperature checks sample sequentially (up to 2048 and 4096 samples), the
closed-set checks take 512 answers. Each check's threshold is set at the *base* model's exact value, the hardest case for a false alarm (the
truth sits on the threshold). Run on the base model itself, a check may FAIL at most 1 % of seeds; run
on the collapsed model with the same threshold, it must FAIL (detect) in at least 95 %.
"""

import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pytest_worldprior import (  # noqa: E402
    Inconclusive,
    assert_distribution_close,
    assert_entropy_within,
    assert_temperature_sensitive,
    assert_uniform_choice,
    load_model,
)
from pytest_worldprior import measures, session, stats  # noqa: E402

BUGS = "Q: Are bugs real?\nA:"
STORY = "Once upon a time, there was a"
NUMBER = "Pick a random number from 1 to 10:"
DIGITS = [str(i) for i in range(1, 11)]
UNIFORM = [0.1] * 10


def checks(base):
    """(name, check(model, seed)) with thresholds taken from the base model's exact values."""
    entropy = float(measures.next_token_entropy(base, [BUGS])[0])
    curve = measures.entropy_curve(base, STORY, [0.7, 1.5])
    top_share = measures.choice_distribution(base, NUMBER, DIGITS).top_probability
    kl = float(stats.kl_divergence(UNIFORM, measures.choice_distribution(base, NUMBER, DIGITS).probabilities))
    return [
        ("assert_entropy_within", lambda m, s: assert_entropy_within(m, BUGS, min_nats=entropy, method="sampled", seed=s)),
        ("assert_temperature_sensitive", lambda m, s: assert_temperature_sensitive(
            m, STORY, temperatures=(0.7, 1.5), min_gain_nats=float(curve[1] - curve[0]), method="sampled", seed=s)),
        ("assert_uniform_choice", lambda m, s: assert_uniform_choice(m, NUMBER, DIGITS, max_top_share=top_share, method="sampled", seed=s)),
        ("assert_distribution_close", lambda m, s: assert_distribution_close(m, NUMBER, DIGITS, UNIFORM, max_kl_target_model_nats=kl, method="sampled", seed=s)),
    ]


def outcome(check, model, seed) -> tuple[str, int]:
    """(PASS, FAIL or INCONCLUSIVE, samples used), read from the verdict the check recorded."""
    try:
        check(model, seed)
    except (Inconclusive, AssertionError):
        pass
    verdict = session.current().recorder.records.pop().verdict
    return verdict["outcome"], verdict["n"] or 0


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    base, collapsed = load_model("toy-base", batch_size=64), load_model("toy-collapsed", batch_size=64)
    print(f"{seeds} seeds per cell; alpha = 0.001 per check; thresholds at the base model's exact values\n")
    print(f"{'check':32} {'base vs itself: FAIL':>22} {'collapsed: FAIL (detected)':>28} {'mean n':>8} {'seconds':>8}")
    for name, check in checks(base):
        start = time.perf_counter()
        own = [outcome(check, base, s) for s in range(seeds)]
        other = [outcome(check, collapsed, s) for s in range(seeds)]
        false_alarms = sum(o == "FAIL" for o, _ in own) / seeds
        detected = sum(o == "FAIL" for o, _ in other) / seeds
        mean_n = sum(n for _, n in own + other) / (2 * seeds)
        verdict = "ok" if false_alarms <= 0.01 and detected >= 0.95 else "MISSES TARGET"
        print(f"{name:32} {false_alarms:>21.1%} {detected:>27.1%} {mean_n:>8.0f} {time.perf_counter() - start:>8.0f}  {verdict}")


if __name__ == "__main__":
    main()
