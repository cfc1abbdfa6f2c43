"""How close the sampling loop comes to the machine's matrix-multiply rate.

    python benchmarks/sampling_flops.py [rows] [tokens] [model]   # default 32 rows, 32 tokens, gemma3-270m

Draws `rows` continuations of `tokens` tokens of the suite's wedding toast (as one attractor look does),
then multiplies the same shapes with plain torch.matmul: per step, a [rows, in] activation by every linear
layer's weight [in, out] and by the output head [hidden, vocabulary]. Floating-point work counts the
multiply-adds of those layers, 2 flops each (attention over a context under 100 tokens adds under 1 %).
Prints both rates and their ratio: the share of the matmul rate the sampling loop reaches.
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "suites"))

import torch  # noqa: E402
from test_attractors import WEDDING_TOAST  # noqa: E402

from pytest_worldprior import load_model  # noqa: E402


def linear_shapes(module: torch.nn.Module) -> list[tuple[int, int]]:
    """(in, out) of every linear layer run once per token, the output head included."""
    shapes = [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, torch.nn.Linear)]
    return shapes


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    name = sys.argv[3] if len(sys.argv) > 3 else "gemma3-270m"
    model = load_model(name, cache_dir=ROOT / ".worldprior-cache")
    shapes = linear_shapes(model.model)
    flops_per_token = 2 * sum(i * o for i, o in shapes)
    model.sample(WEDDING_TOAST, 2, max_new_tokens=2, seed=1)  # warm up
    started = time.perf_counter()
    drawn = model.sample(WEDDING_TOAST, rows, max_new_tokens=tokens, seed=0)
    sampling = time.perf_counter() - started
    made = sum(len(g.token_ids) for g in drawn)
    steps = max(len(g.token_ids) for g in drawn)
    weights = [torch.randn(i, o) for i, o in shapes]
    inputs = {i: torch.randn(rows, i) for i, _ in shapes}
    for w in weights:  # warm up
        torch.matmul(inputs[w.shape[0]], w)
    started = time.perf_counter()
    for _ in range(steps):
        for w in weights:
            torch.matmul(inputs[w.shape[0]], w)
    plain = time.perf_counter() - started
    sampling_rate = flops_per_token * rows * steps / sampling / 1e9
    matmul_rate = flops_per_token * rows * steps / plain / 1e9
    print(f"{name}: {len(shapes)} linear layers, {flops_per_token / 2e6:.0f} M multiply-adds per token; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"sampling {rows} x {tokens} tokens ({made} made, {steps} steps): {sampling:.1f} s, {sampling_rate:.1f} GFLOP/s")
    print(f"torch.matmul of the same shapes, {steps} steps: {plain:.1f} s, {matmul_rate:.1f} GFLOP/s")
    print(f"ratio: {sampling_rate / matmul_rate:.2f} of the matmul rate")


if __name__ == "__main__":
    main()
