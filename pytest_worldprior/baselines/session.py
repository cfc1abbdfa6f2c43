"""Stored behaviour baselines inside one test process: what a test records, and what it is compared with.

The plugin starts a test here (its module's baseline file, its id, its model) and finishes it. Meanwhile:

- every decorated measure passes through `measure` (the results cache hands it the calls). Recording
  (--worldprior-update-baselines), a measurement of the test's model is kept; a measurement of the live
  baseline model is made again with the test's model and kept, because that is what a stored baseline
  will be asked for later. Comparing, a measurement asked of the stored baseline is answered from the file.
- every verdict an assertion records reaches `compare_check`, which observes the recorder
  (the plugin adds it to its session's recorder: `Recorder.observe`): the assertions do not know this
  module. Recording, the check's own value (the model's quantity, not a difference from a baseline) is
  kept; comparing, it is judged against the stored one with the gates. Nothing runs a model there.
- after the test body, `judge_next_tokens` measures what the prior_kl gate needs, the prompt's next-token
  distribution of each white-box check (one forward pass per check): recording, its top k is kept with
  the check; comparing, KL(now || stored top k) is judged and folded into that check's record.
- `compare_value` does the same for any number a test measured itself (the `worldprior_stored` fixture).

Nothing is written here: a finished test's entry travels to the controller on its report (see
plugin.baselines), which alone writes files.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import checks, examples, recording, session
from ..jsonsafe import jsonable
from ..stats.outcome import Outcome, worst
from . import files, gates, next_token

if TYPE_CHECKING:
    from ..backends.base import Backend

# The plugin makes a session at start-up in every run, also where no check ever runs: the measuring
# code (numpy, scipy) is imported by the methods that meet a measurement or a verdict, never here.

MISSING_POLICIES = ("fail", "warn")


class MissingBaselineWarning(UserWarning):
    """A check ran in a module with stored baselines, and has no stored entry to be compared with."""


@dataclass
class Comparison:
    """A check against its stored baseline: the worst gate outcome, and lines for a message."""

    outcome: Outcome
    lines: list[str]
    details: dict


@dataclass
class CurrentTest:
    file: Path
    module: str
    key: str  # the test's id within its module
    model: Backend | None  # the test's worldprior_model: the one recorded and compared
    baseline: Backend | None  # the test's live worldprior_baseline, whose measurements are mirrored
    gates: dict[str, gates.Gate]
    overrides: dict[str, gates.Gate]  # the marker's fail_on
    stored: dict | None  # this test's stored entry
    document: dict | None  # the whole stored file (None: there is none)
    in_use: bool  # the module has a baseline file or folder: a check without an entry is "missing"
    checks: list[dict] = field(default_factory=list)
    measurements: dict[str, dict] = field(default_factory=dict)
    values: dict[str, dict] = field(default_factory=dict)
    memo: dict[str, object] = field(default_factory=dict)  # recorded results, to answer the model's own call
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (check, prompt) -> how many so far
    used: bool = False
    next_tokens: list[next_token.Ask] = field(default_factory=list)  # what judge_next_tokens measures


class BaselineSession:
    def __init__(self, folder: str, *, update: bool, missing: str, fail_on: dict[str, gates.Gate], top_k: int,
                 prior_kl_asked: bool = False) -> None:
        """`prior_kl_asked`: the user named the prior_kl gate (not the defaults), so a stored baseline of
        another vocabulary fails it rather than leaving it out."""
        if missing not in MISSING_POLICIES:
            raise ValueError(f"missing-baseline policy must be one of {MISSING_POLICIES}, got {missing!r}")
        self.folder, self.update, self.missing, self.fail_on, self.top_k = folder, update, missing, fail_on, top_k
        self.prior_kl_asked = prior_kl_asked
        self.test: CurrentTest | None = None
        self._documents: dict[Path, dict | None] = {}

    # --- files and tests -------------------------------------------------------------------------

    def file_for(self, module_path: Path) -> Path:
        return Path(module_path).parent / self.folder / (Path(module_path).stem + ".json")

    def document(self, path: Path) -> dict | None:
        """The stored file, read and validated once per process; None if there is none. A damaged file
        raises BaselineFileError (naming the file and the problem) every time it is asked for."""
        if path not in self._documents:
            self._documents[path] = files.read_file(path) if path.exists() else None
        return self._documents[path]

    def start_test(self, module_path: Path, module: str, key: str, model: Backend | None, baseline: Backend | None,
                   marker_fail_on: str | None = None) -> None:
        """`marker_fail_on`: the test's own gates (the marker's fail_on), merged over the session's, or in
        their place when they contain `none`."""
        path = self.file_for(module_path)
        document = self.document(path)
        stored = (document or {}).get("entries", {}).get(key)
        overrides = gates.parse_gates([marker_fail_on]) if marker_fail_on else {}
        replace = marker_fail_on is not None and "none" in marker_fail_on.replace(",", " ").split()
        self.test = CurrentTest(path, module, key, model, baseline, overrides if replace else self.fail_on | overrides,
                                overrides, stored, document, in_use=document is not None or path.parent.is_dir())

    def finish_test(self) -> dict | None:
        """What the controller needs of this test: its file, whether a stored entry was used, and
        (recording) the new entry with the recorded model's fingerprint."""
        test, self.test = self.test, None
        if test is None:
            return None
        result = {"file": str(test.file), "module": test.module, "test": test.key, "used": test.used, "entry": None}
        if self.update and (test.checks or test.measurements or test.values):
            info = test.model.info() if test.model is not None else None
            entry = {"model": info.reference if info else None, "checks": test.checks,
                     "measurements": [test.measurements[k] for k in sorted(test.measurements)]}
            if test.values:
                entry["values"] = test.values
            fingerprint = info.as_dict() | {"vocabulary_sha256": test.model.vocabulary_sha256()} if info else None
            result.update(entry=entry, fingerprint=fingerprint)
        return result

    def stored_model(self) -> dict | None:
        """The fingerprint of the model recorded for the current test, or None."""
        test = self.test
        if test is None or test.document is None:
            return None
        reference = (test.stored or {}).get("model")
        models = test.document.get("models", {})
        return models.get(reference) or next(iter(models.values()), None)

    # --- measurements ----------------------------------------------------------------------------

    def measure(self, name: str, arguments: dict, run):
        """The results cache's tap: record, mirror or serve one measurement."""
        from ..backends.base import Backend
        from ..measures.prior_shift import reference_paths
        from .stored import StoredBaseline

        test = self.test
        if test is None or examples.in_generated_example():  # generated examples are not stable probes
            return run(arguments)
        if any(isinstance(v, StoredBaseline) for v in arguments.values()):
            return self._serve(test, name, arguments)
        if not self.update or test.model is None:
            return run(arguments)
        if name == "prior_shift":
            result = run(arguments)
            if arguments.get("model") is test.model:
                # A stored baseline answers prior_shift from the recorded model's own paths and top-k.
                settings = {k: arguments[k] for k in ("prompts", "continuation_tokens", "seed")}
                self._keep(test, "prior_shift_reference", settings, reference_paths(test.model, k=self.top_k, **settings))
            return result
        roles = [k for k, v in arguments.items() if isinstance(v, Backend)]
        if len(roles) != 1:
            return run(arguments)
        role, subject = roles[0], arguments[roles[0]]
        key = _lookup_key(name, arguments)
        if subject is test.model:
            if key is not None and key in test.memo:
                return test.memo[key]
            result = run(arguments)
            self._keep(test, name, arguments, result)
            return result
        result = run(arguments)
        if subject is test.baseline and key is not None and key not in test.memo:
            # What a stored baseline will be asked: the same measurement, of the model being recorded.
            self._keep(test, name, arguments, run(arguments | {role: test.model}))
        return result

    def _keep(self, test: CurrentTest, name: str, arguments: dict, result) -> None:
        from . import codec

        key = _lookup_key(name, arguments)
        if key is None:  # an argument without a stable form (a lambda): a stored baseline cannot answer it
            return
        test.memo[key] = result
        test.measurements[key] = {"measure": name, "arguments": json.loads(key)["arguments"],
                                  "result": codec.encode(result)}

    def _serve(self, test: CurrentTest, name: str, arguments: dict):
        from ..measures.prior_shift import check_same_tokenizer, prior_shift_to_stored
        from . import codec
        from .stored import StoredBaselineError

        stored_name = "prior_shift_reference" if name == "prior_shift" else name
        if name == "prior_shift":
            check_same_tokenizer(arguments["model"], arguments["baseline"])
            lookup = {k: arguments[k] for k in ("prompts", "continuation_tokens", "seed")}
        else:
            lookup = arguments
        key = _lookup_key(stored_name, lookup)
        if key is None:
            raise StoredBaselineError(f"{name} was called with an argument that has no stable form (a lambda or a "
                                      "local function), so no stored baseline can answer it; use a module-level function")
        if test.stored is None:
            raise StoredBaselineError(
                f"no stored baseline for {test.key} in {test.file}: record one with --worldprior-update-baselines "
                "(with the accepted model as --worldprior-model), or compare with a live --worldprior-baseline")
        found = {json.dumps({"measure": m["measure"], "arguments": m["arguments"]}, sort_keys=True): m
                 for m in test.stored.get("measurements", [])}.get(key)
        if found is None:
            raise StoredBaselineError(
                f"the stored baseline of {test.key} ({test.file}) has no {name} measurement with these arguments: "
                f"{json.loads(key)['arguments']}. The test asks for something it did not ask for when the baseline was "
                "recorded; record it again with --worldprior-update-baselines")
        test.used = True
        result = codec.decode(found["result"])
        if name == "prior_shift":
            return prior_shift_to_stored(arguments["model"], arguments["prompts"], result)
        return result

    # --- checks and values -----------------------------------------------------------------------

    def compare_check(self, event: recording.CheckEvent) -> Comparison | None:
        """Record (updating) or compare this check of the test's model; None when there is nothing to say.
        Runs no model: the prior_kl gate's next-token distribution is asked for, and measured after the
        test body (`judge_next_tokens`)."""
        check, model, prompt, verdict, own = event.check, event.model, event.prompt, event.verdict, event.own
        test = self.test
        if test is None or test.model is None or model is not test.model or not (self.update or test.in_use):
            return None
        if examples.in_generated_example():  # generated examples vary from run to run: nothing to pair
            return None
        # A stored check is found by its kind and prompt (the k-th of that pair in the test), not by its
        # position: a check added, removed or moved elsewhere in the test leaves the others matched.
        pair = (check, str(prompt))
        occurrence = test.seen.get(pair, 0)
        test.seen[pair] = occurrence + 1
        new = {"check": check, "prompt": str(prompt), "label": own[2] if own else verdict.label, "seed": verdict.seed}
        if own is not None and math.isfinite(own[0]):
            new.update(estimate=float(own[0]), interval=_storable(own[1]))
        # prior_shift compares next-token distributions itself; other checks ask for the prompt's
        no_topk = None if check == checks.PRIOR_SHIFT else next_token.unavailable(model, prompt)
        asks = check != checks.PRIOR_SHIFT and no_topk is None
        recorder = session.current().recorder
        index = len(recorder.for_test(recorder.current_test))  # where conclude is about to add this check's record
        if self.update:
            test.checks.append(new)
            if asks:
                test.next_tokens.append(next_token.Ask(index, prompt, new, None, f"{check} on {str(prompt)!r}"))
            return None
        stored_checks = (test.stored or {}).get("checks", [])
        same = [c for c in stored_checks if (c["check"], c["prompt"]) == pair]
        stored = same[occurrence] if occurrence < len(same) else None
        if stored is None:
            which = f" (the {_ordinal(occurrence + 1)} of its kind on that prompt)" if occurrence else ""
            return self._missing(f"the check {check} on {str(prompt)!r}{which}", test)
        test.used = True
        lines, outcomes = [], []
        gate = test.gates.get(check)
        if gate is not None and "estimate" in new and stored.get("estimate") is not None:
            outcome = gate.judge(stored["estimate"], _interval(stored.get("interval")), new["estimate"], _interval(new.get("interval")))
            outcomes.append(outcome)
            lines.append(f"{outcome.value}: {new['label']}: stored {_value(stored)}, now {_value(new)}; gate {gate}")
        prior_gate = test.gates.get("prior_kl")
        if prior_gate is not None and no_topk is not None:
            lines.append(f"not compared (gate {prior_gate}): {no_topk}")
        if prior_gate is not None and asks and "next_token" in stored:
            refusal = self._other_vocabulary(test, model)
            if refusal is not None and (self.prior_kl_asked or "prior_kl" in test.overrides):
                outcomes.append(Outcome.FAIL)
                lines.append(f"FAIL: {refusal}")
            elif refusal is not None:  # the default gates: the value gates still apply, this one cannot
                lines.append(f"not compared: {refusal}")
            else:  # judged after the test body (judge_next_tokens): recording a verdict runs no model
                test.next_tokens.append(next_token.Ask(index, prompt, new, stored, f"{check} on {str(prompt)!r}"))
        if not lines:
            return None
        return Comparison(worst(*outcomes), [self._header(test)] + ["  " + line for line in lines],
                          {"file": str(test.file), "gates": lines})

    def judge_next_tokens(self, records: list[recording.VerdictRecord]) -> Comparison | None:
        """After the test body: the next-token distributions the test's checks asked for (next_token.judge)."""
        test = self.test
        if test is None or not test.next_tokens:
            return None
        asks, test.next_tokens = test.next_tokens, []
        found = next_token.judge(test.model, asks, records, self.top_k, test.gates.get("prior_kl"), test.file)
        return None if found is None else Comparison(found[0], [self._header(test)] + ["  " + line for line in found[1]], {})

    def _header(self, test: CurrentTest) -> str:
        return f"compared with the stored baseline {test.file} (test {test.key}, recorded with {stored_model_name(test)}):"

    def compare_value(self, name: str, value: float, interval: tuple[float, float] | None, limit: str | None) -> Comparison | None:
        test = self.test
        if test is None:
            raise RuntimeError("worldprior_stored.compare() works inside a test only")
        if not math.isfinite(value):
            raise ValueError(f"{name}: cannot compare a value of {value}")
        new = {"estimate": float(value), "interval": _storable(interval)}
        if self.update:
            test.values[name] = new
            return None
        stored = ((test.stored or {}).get("values") or {}).get(name)
        if stored is None:
            return self._missing(f"the value {name!r}", test) if test.in_use else None
        test.used = True
        gate = gates.parse_limit(name, limit) if limit is not None else test.gates.get(name)
        if gate is None:
            raise ValueError(f"give limit= (e.g. '-10%') to compare {name!r}: no --worldprior-fail-on gate is named so")
        outcome = gate.judge(stored["estimate"], _interval(stored.get("interval")), new["estimate"], _interval(new["interval"]))
        line = f"{outcome.value}: {name}: stored {_value(stored)}, now {_value(new)}; limit {str(gate).split(':', 1)[1]}"
        return Comparison(outcome, [f"compared with the stored baseline {test.file} (test {test.key}):", "  " + line], {})

    def _missing(self, what: str, test: CurrentTest) -> Comparison | None:
        message = (f"no stored baseline for {what} of {test.key} in {test.file}; record it with "
                   "--worldprior-update-baselines, or set worldprior_missing_baseline = warn to let it pass with a warning")
        if self.missing == "warn":
            warnings.warn(MissingBaselineWarning(message), stacklevel=4)
            return None
        return Comparison(Outcome.FAIL, [f"FAIL: {message}"], {"missing": message})

    def _other_vocabulary(self, test: CurrentTest, model: Backend) -> str | None:
        """Why a token-level comparison with the stored entry is refused, or None if it is not."""
        recorded = self.stored_model() or {}
        stored, ours = recorded.get("vocabulary_sha256"), model.vocabulary_sha256()
        if stored is None or stored == ours:
            return None
        return (f"token-level comparison refused: {test.file} was recorded with {recorded.get('reference')}, whose "
                f"vocabulary (sha256 {stored[:12]}) is not {model.info().reference}'s ({(ours or 'unknown')[:12]}). "
                "Leave prior_kl out of --worldprior-fail-on for this model, or record the baseline again with a model "
                "that shares its tokenizer.")


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def stored_model_name(test: CurrentTest) -> str:
    return (test.stored or {}).get("model", "an unknown model")


def _lookup_key(name: str, arguments: dict) -> str | None:
    """The measurement's name and arguments, models left out: how a stored measurement is found."""
    from ..backends.base import Backend
    from ..backends.recorded import Recorded
    from ..results_cache import Unkeyable, keyable

    try:
        plain = {k: keyable(v) for k, v in arguments.items() if not isinstance(v, (Backend, Recorded))}
    except Unkeyable:
        return None
    return json.dumps({"measure": name, "arguments": plain}, sort_keys=True)


def _storable(interval) -> list | None:
    """An interval as JSON holds it: an end that is not finite becomes null (unbounded)."""
    return None if interval is None else jsonable([float(x) for x in interval], finite=True)


def _interval(value) -> tuple[float, float] | None:
    if value is None:
        return None
    low, high = value
    return (-math.inf if low is None else float(low), math.inf if high is None else float(high))


def _value(record: dict) -> str:
    text = f"{record['estimate']:.4g}"
    if record.get("interval") is not None:
        low, high = record["interval"]
        text += f" [{'-inf' if low is None else f'{low:.4g}'}, {'inf' if high is None else f'{high:.4g}'}]"
    return text
