"""The sharpening exponent gamma against the matching temperature on the gemma lineage (issue 16, part 5).

    python benchmarks/sharpening_vs_matching_temperature.py [--base M] [--tuned M,M] [--top-k K,K]
        # defaults: base gemma3-270m, tuned gemma3-270m-sft,gemma3-270m-dpo, top-k 20,100

For each checkpoint and each of the suite's temperature prompts (suites/test_temperature.py), exact from
logits: gamma, the slope of log p_tuned against log p_base over the base's top k next tokens
(measures.sharpening_exponent; Verbalized Sampling, arXiv 2510.01171, models alignment as p_base^gamma),
its interval (alpha 0.001) and r^2, the implied temperature 1/gamma, the matching temperature of the
temperature check (the T at which the checkpoint's next-token entropy reaches the base's at T = 1), and
the checkpoint's probability mass on the base's top k tokens (how much of it the fit sees). If the power
law held exactly, gamma would equal the matching temperature. The base against itself is the control
(gamma = 1, matching T = 1). Prints a Markdown table.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

from pytest_worldprior import load_model, measures

SUITES = Path(__file__).resolve().parents[1] / "suites"


def suite_prompts() -> dict[str, str]:
    """PROMPTS of suites/test_temperature.py (the suite's modules import each other by name from suites/)."""
    sys.path.insert(0, str(SUITES))
    from test_temperature import PROMPTS

    return dict(PROMPTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="gemma3-270m")
    parser.add_argument("--tuned", default="gemma3-270m-sft,gemma3-270m-dpo")
    parser.add_argument("--top-k", default="20,100", help="the first is the measure's default (20)")
    args = parser.parse_args()
    top_ks = [int(k) for k in args.top_k.split(",")]
    started = time.perf_counter()
    base = load_model(args.base)
    prompts = suite_prompts()
    targets = {case: float(measures.next_token_entropy(base, [p], 1.0)[0]) for case, p in prompts.items()}
    extra = "".join(f" γ (top {k}) |" for k in top_ks[1:])
    print(f"| checkpoint | prompt | γ (top {top_ks[0]}) [99.9 % interval] | r² | 1/γ | matching temperature | "
          f"checkpoint's mass on the base's top {top_ks[0]} |{extra}")
    print("|---|---|---|---|---|---|---|" + "---|" * (len(top_ks) - 1))
    for name in [args.base, *args.tuned.split(",")]:
        model = base if name == args.base else load_model(name)
        for case, prompt in prompts.items():
            fits = [measures.sharpening_exponent(model, base, [prompt], top_k=k) for k in top_ks]
            first = fits[0]
            own, theirs = model.next_token_logprobs([prompt])[0], base.next_token_logprobs([prompt])[0]
            needed = measures.matching_temperature(own, targets[case], t_max=10.0)
            seen = float(np.exp(own[np.argsort(-theirs)[:first.top_k]]).sum())  # how much of the model the fit sees
            matching = f"{needed:.2f}" if needed is not None else "> 10"
            implied = f"{first.temperature:.2f}" if first.temperature is not None else "-"
            others = "".join(f" {fit.gamma:.2f} (r² {fit.r_squared:.2f}) |" for fit in fits[1:])
            print(f"| {name} | {case} | {first.gamma:.2f} [{first.interval[0]:.2f}, {first.interval[1]:.2f}] | "
                  f"{first.r_squared:.2f} | {implied} | {matching} | {seen:.2f} |{others}")
        if model is not base:
            model.close()
    print(f"\n{time.perf_counter() - started:.0f} s in all (loading included)")


if __name__ == "__main__":
    main()
