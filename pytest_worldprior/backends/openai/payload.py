"""A server's answer checked where it arrives, before any measure uses it: the top log-probabilities of
the next token, and the log-probabilities a server echoes for a prompt.

Each value is read by the rules of `stats.reported_logprobs`: a log-probability above 0 by at most
ROUNDING (1e-5) is 0, beyond that an error; -inf or below -708.4 (vLLM's -9999 stand-in) is mass 0;
top probabilities summing above 1 + ROUNDING are an error. Besides, what only the answer shows:

- top log-probabilities: fewer entries than asked that hold all the mass are a report after the
  server's sampler cut the other tokens (top-k, top-p, min-p), not the model's distribution: an error.
  More entries than asked (llama.cpp and vLLM add the sampled token) are cut to the k most likely.
- echoed prompt log-probabilities: `token_logprobs`, `text_offset` and `tokens` must be as long as each
  other and, where the answer has `usage`, hold one entry per token (the prompt's, less a left-out
  beginning-of-sequence token, and the generated ones); offsets start at 0 and never decrease; every
  token that starts in the continuation needs a log-probability. A null is normal only for the
  prompt's first token (it has no context).

Every breach raises `PayloadError`, naming the server and model, the field, the value and the fix.
"""

from __future__ import annotations

import math

from ...stats.reported_logprobs import ROUNDING, reported_logprob, top_mass
from .http_client import ServerError

RAW_LOGPROBS = ("have the server report the model's own log-probabilities, before its sampler cuts tokens: "
                "vLLM with --logprobs-mode raw_logprobs (its default), llama.cpp without post_sampling_probs")


class PayloadError(ServerError):
    """The server answered, but the answer breaks what the API promises (a probability above 1, a missing
    log-probability, entries that do not match the tokens), so no measure can use it."""


def top_logprobs_of(answer: dict, *, chat: bool, asked: int, server: str) -> list[tuple[str, float]]:
    """The first generated token's top log-probabilities from a /completions (`chat` False) or
    /chat/completions answer: [(token text, log-probability in nats)], most likely first, at most
    `asked` of them; mass-0 entries as -inf. `server` names the server and model in messages. Raises
    PayloadError for a missing field, a value that is not a log-probability, a mass above 1, or fewer
    entries than asked that hold all the mass."""
    field = "choices[0].logprobs.content[0].top_logprobs" if chat else "choices[0].logprobs.top_logprobs[0]"
    try:
        logprobs = answer["choices"][0]["logprobs"]
        raw = logprobs["content"][0]["top_logprobs"] if chat else logprobs["top_logprobs"][0]
        pairs = [(entry["token"], entry["logprob"]) for entry in raw] if chat else list(raw.items())
    except (LookupError, TypeError, AttributeError):
        raise PayloadError(f"{server}: the answer has no {field} although {asked} were asked "
                           f"(its logprobs: {_short(_get(answer, 'logprobs'))}); the server must return top "
                           "log-probabilities when asked, as it did when the model was loaded") from None
    entries = []
    for token, value in pairs:
        try:
            entries.append((token, reported_logprob(value, f"{field}[{token!r}]")))
        except ValueError as exc:
            raise PayloadError(f"{server}: {exc}. The server sends something other than natural-log "
                               f"probabilities of its model; {RAW_LOGPROBS}") from None
    entries = sorted(entries, key=lambda entry: -entry[1])[:asked]
    kept = [value for _, value in entries if value > -math.inf]
    if not kept:
        raise PayloadError(f"{server}: every entry of {field} has mass 0: {_short(dict(pairs))}; {RAW_LOGPROBS}")
    try:
        mass = top_mass(kept, f"the entries of {field}")
    except ValueError as exc:
        raise PayloadError(f"{server}: {exc} (a server that lists tokens its sampler cut beside probabilities "
                           f"renormalised over those it kept): {_short(dict(entries))}; {RAW_LOGPROBS}") from None
    if len(kept) < asked and mass >= 1 - ROUNDING:
        raise PayloadError(f"{server}: {field} has {len(kept)} entries with mass above 0 where {asked} were asked, "
                           f"and they hold all the mass ({mass:.6g}): {_short(dict(entries))}. That is the distribution "
                           f"after the server's sampler cut the other tokens, not the model's; {RAW_LOGPROBS}")
    return entries


def continuation_logprob(answer: dict, prompt: str, start: int, server: str) -> float:
    """log P(prompt[start:] | prompt[:start]) in nats, from an answer to /completions with `echo` and
    `logprobs` on `prompt`: the sum over the echoed tokens that start at a character in [start,
    len(prompt)); -inf where one has mass 0. Raises PayloadError for entries that do not match the
    tokens, offsets that do not start at 0 or decrease, an answer that does not echo the prompt, or a
    token of the continuation with no log-probability or one that is not a log-probability."""
    choice = _get(answer, None)
    logprobs = choice.get("logprobs") if isinstance(choice, dict) else None
    values = logprobs.get("token_logprobs") if isinstance(logprobs, dict) else None
    offsets = logprobs.get("text_offset") if isinstance(logprobs, dict) else None
    if not isinstance(values, list) or not isinstance(offsets, list):
        raise PayloadError(f"{server}: the answer has no choices[0].logprobs.token_logprobs and text_offset lists "
                           f"(its logprobs: {_short(logprobs)}); echo=true with logprobs asks for them, and the "
                           "server gave them when the model was loaded")
    tokens = logprobs.get("tokens")
    lengths = {"token_logprobs": len(values), "text_offset": len(offsets)}
    if isinstance(tokens, list):
        lengths["tokens"] = len(tokens)
    if len(set(lengths.values())) > 1:
        raise PayloadError(f"{server}: choices[0].logprobs has lists of different lengths {lengths}: each echoed "
                           "token needs its text, offset and log-probability, so the continuation cannot be scored")
    usage = answer.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    prompt_tokens, generated = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if isinstance(prompt_tokens, int) and isinstance(generated, int):
        if not prompt_tokens + generated - 1 <= len(values) <= prompt_tokens + generated:
            raise PayloadError(f"{server}: choices[0].logprobs.token_logprobs has {len(values)} entries where usage "
                               f"counts {prompt_tokens} prompt and {generated} generated tokens: the echo must give "
                               "every token of the prompt, so the continuation cannot be scored")
    if (not values or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets) or offsets[0] != 0
            or any(b < a for a, b in zip(offsets, offsets[1:]))):
        raise PayloadError(f"{server}: choices[0].logprobs.text_offset is {_short(offsets)}: echoed offsets start at 0 "
                           "and never decrease; the server did not echo the prompt (echo=true)")
    text = choice.get("text")
    if isinstance(text, str) and not text.startswith(prompt):
        raise PayloadError(f"{server}: choices[0].text, {_short(text)}, does not start with the prompt "
                           f"{_short(prompt)}: the server did not echo it (echo=true)")
    total = 0.0
    for index, (offset, value) in enumerate(zip(offsets, values)):
        if not start <= offset < len(prompt):
            continue
        where = f"choices[0].logprobs.token_logprobs[{index}] (the token {_short(_at(tokens, index))} at character {offset})"
        if value is None:
            why = ("it is the prompt's first token, which has no context: give a non-empty context" if index == 0 else
                   "the server gave no log-probability for a token of the continuation, so the continuation cannot "
                   "be scored")
            raise PayloadError(f"{server}: {where} is null; {why}")
        try:
            total += reported_logprob(value, where)
        except ValueError as exc:
            raise PayloadError(f"{server}: {exc}. The server sends something other than natural-log probabilities "
                               f"of its model; {RAW_LOGPROBS}") from None
    return total


def _get(answer: dict, key: str | None):
    """choices[0] of an answer, or one of its fields; None where the answer lacks it."""
    choices = answer.get("choices") if isinstance(answer, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    if key is None or not isinstance(choice, dict):
        return choice
    return choice.get(key)


def _at(items, index: int):
    return items[index] if isinstance(items, list) and index < len(items) else "?"


def _short(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
