"""The exact temperature check against the same decision made by sampling, on smollm2-135m-instruct.

    python benchmarks/temperature_exact_vs_sampled.py

Exact: assert_temperature_sensitive in exact mode, H(T) at 0.7, 1.0 and 1.5 from one forward pass.
Sampled: 64 completions (32 new tokens) at each of the 3 temperatures with transformers' generate, the
next-token entropy estimated from the first tokens' log-probabilities. Prints both wall times and the ratio.
"""

import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from pytest_worldprior import assert_temperature_sensitive, load_model  # noqa: E402

PROMPT = "Q: Are bugs real?\nA:"
TEMPERATURES = (0.7, 1.0, 1.5)


def exact(model) -> float:
    start = time.perf_counter()
    verdict = assert_temperature_sensitive(model, PROMPT, temperatures=TEMPERATURES, min_gain_nats=0.1)
    print("exact   H(T):", [round(h, 3) for h in verdict.details["entropy"]])
    return time.perf_counter() - start


def sampled(model) -> float:
    start = time.perf_counter()
    ids = torch.tensor([model.encode(PROMPT)] * 64)
    estimates = []
    for temperature in TEMPERATURES:
        torch.manual_seed(0)
        out = model.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=temperature,
                                   top_k=0, top_p=1.0, max_new_tokens=32, output_scores=True, return_dict_in_generate=True,
                                   pad_token_id=model.pad_id)
        first = torch.log_softmax(out.scores[0].double(), dim=-1)  # scores are already divided by T
        chosen = out.sequences[:, ids.shape[1]]
        estimates.append(float(-first.gather(1, chosen[:, None]).mean()))
    print("sampled H(T):", [round(h, 3) for h in estimates])
    return time.perf_counter() - start


def main() -> None:
    model = load_model("smollm2-135m-instruct")
    exact(model)  # warm up
    exact_s = min(exact(model) for _ in range(3))
    sampled_s = sampled(model)
    print(f"exact check (best of 3):           {exact_s:.3f} s")
    print(f"sampled: 3 x 64 completions, 32 tokens: {sampled_s:.1f} s")
    print(f"ratio: {sampled_s / exact_s:.0f}x")


if __name__ == "__main__":
    main()
