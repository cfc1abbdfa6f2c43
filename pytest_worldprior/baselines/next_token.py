"""The prior_kl gate's step after the test body: the prompt's next-token distribution of each white-box
check, measured once the test's checks are all recorded (recording a verdict runs no model).

While a check is recorded, `session.BaselineSession.compare_check` only asks (`Ask`): `unavailable` says,
from the capability flag and the prompt alone, why a check has no such distribution. After the body,
`judge` runs the test's model once per ask. Recording, the top k (`TopK.covering`) joins the check's
stored entry; comparing, KL(now || stored top k) with certain bounds (measures.topk) is judged with the
prior_kl gate and folded into the check's verdict record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..stats.outcome import Outcome, worst

if TYPE_CHECKING:
    from ..backends.base import Backend
    from ..recording import VerdictRecord
    from .gates import Gate


@dataclass
class Ask:
    """One check's next-token distribution, asked while the check was recorded: `record` is the index of
    the check's VerdictRecord among the test's; `new` the check's entry (recording: its top k goes there);
    `stored` the stored entry to judge against (None: recording); `description` names the check in lines."""

    record: int
    prompt: object
    new: dict
    stored: dict | None
    description: str


def unavailable(model: Backend, prompt) -> str | None:
    """Why the prompt has no next-token distribution for the gate, or None when it has one (a white-box
    model and one prompt). Reads the capability flag: nothing runs."""
    if not model.gives_logits:
        return f"{model.info().reference} gives no logits (a text-only backend), so no next-token distribution"
    if isinstance(prompt, (list, tuple)) and prompt and all(isinstance(p, str) for p in prompt):
        return "the check spans several prompts; the gate compares one prompt's next-token distribution"
    return None


def judge(model: Backend, asks: list[Ask], records: list[VerdictRecord], top_k: int, gate: Gate | None,
          file: Path) -> tuple[Outcome, list[str]] | None:
    """Measure each ask's distribution (one forward pass of `model` per ask; its errors propagate).
    Recording (`stored` None), keep its top `top_k`. Comparing, judge KL(now || stored) with `gate` and fold
    the outcome and the line into the check's record in `records` (the test's, in order; details under
    "stored_baseline"). Returns the worst outcome and a line per judged check, or None when none was judged."""
    from ..measures.topk import TopK, kl_to_stored

    lines, outcomes = [], []
    for ask in asks:
        logprobs = model.next_token_logprobs([ask.prompt])[0]
        if ask.stored is None:
            ask.new["next_token"] = TopK.covering(logprobs, top_k).as_dict()
            continue
        stored = TopK.from_dict(ask.stored["next_token"])
        kl = kl_to_stored(logprobs, stored)
        outcome = gate.judge(0.0, None, kl.estimate, (kl.low, kl.high), certain=True)
        line = (f"{outcome.value}: KL(now || stored next-token distribution) {kl.estimate:.4f} nats, certainly in "
                f"[{kl.low:.4f}, {kl.high:.4f}] (stored top-{len(stored.ids)}); gate {gate}")
        record = records[ask.record] if ask.record < len(records) else None
        if record is None or (record.check, record.prompt) != (ask.new["check"], ask.new["prompt"]):
            raise RuntimeError(f"pytest-worldprior: the record of {ask.description} is not where the check was recorded "
                               f"(record {ask.record} of {len(records)}); please report this")
        verdict = record.verdict
        verdict["outcome"] = worst(verdict["outcome"], outcome).value
        comparison = verdict["details"].setdefault("stored_baseline", {"file": str(file), "gates": []})
        comparison["gates"] = list(comparison.get("gates", [])) + [line]
        outcomes.append(outcome)
        lines.append(f"{ask.description}: {line}")
    return (worst(*outcomes), lines) if outcomes else None
