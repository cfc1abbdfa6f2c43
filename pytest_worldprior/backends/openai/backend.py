"""Models behind an OpenAI-compatible server (vLLM, TGI, SGLang, llama.cpp): `openai+http://host:port/v1#model`.

What a server can give is asked at load, not assumed:
- sampling, always: one request per sample, with the seed derived from (seed, sample index), so sample i
  depends only on them as the Backend contract says, and requests run concurrently (JsonClient);
- `top_logprobs`: the k most likely next tokens with their log-probabilities, where the server returns
  them (k as large as it allows, up to 20); `measures.entropy_bounds` turns them into an entropy interval;
- prompt log-probabilities through `echo` (vLLM): then `score` works; otherwise it says it cannot.
Log-probabilities are checked as they arrive (`payload.py`): a bad one raises `PayloadError`.
Full next-token distributions never come over the API, so the exact (logit) measures do not apply:
assertions in mode "auto" use their sampled modes, and the top-k entropy interval where they can.

Loading checks the server, the model name and the key at once, so that a wrong one stops the session
with a usage error before any test (`ModelLoadError`), never once per test.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence

import numpy as np

from ...errors import ModelLoadError
from ..base import Backend, Generation, ModelInfo, Prompt, check_sampling_settings
from .http_client import JsonClient, RetryPolicy, ServerError
from .payload import continuation_logprob, top_logprobs_of

MAX_TOP_LOGPROBS = 20  # vLLM's default cap (--max-logprobs), and the most OpenAI's chat API gives
TOP_LOGPROBS_TRIED = (MAX_TOP_LOGPROBS, 5)  # 5: the most OpenAI's legacy completions API gives
ECHO_AGREEMENT_NATS = 0.05  # an echoed log-probability and the same token's top one differ by rounding only


class OpenAIServerBackend(Backend):
    """A model behind an OpenAI-compatible server. Capabilities are asked at load: `gives_top_logprobs`
    where it returns top log-probabilities (up to `max_top_logprobs`), `scores_prompts` where it echoes the
    prompt's log-probabilities. It never gives full distributions (`gives_logits` False)."""

    gives_logits = False

    def __init__(self, reference: str, url: str, model: str, *, api_key_env: str | None = "OPENAI_API_KEY",
                 max_in_flight: int = 8, timeout_s: float = 120.0, retry: RetryPolicy = RetryPolicy()) -> None:
        key = os.environ.get(api_key_env) if api_key_env else None
        self.reference, self.url, self.model = reference, url, model
        self._key_source = f"the environment variable {api_key_env}" if api_key_env else "no variable"
        self.client = JsonClient(url, api_key=key, timeout_s=timeout_s, max_in_flight=max_in_flight, retry=retry)
        self._entry = self._check_model()
        self._follower: tuple[str, float] | None = None  # the most likely token after "Hello", from the probe
        self._echo_problem: str | None = None  # why the echo cannot score, where the probe found why
        self._max_top_logprobs = self._probe_top_logprobs()
        self.gives_top_logprobs = bool(self._max_top_logprobs)
        self.scores_prompts = self._probe_echo()

    @property
    def max_top_logprobs(self) -> int:
        """How many top log-probabilities the server returns per token (0: none)."""
        return self._max_top_logprobs

    # --- loading ---------------------------------------------------------------------------------

    def _check_model(self) -> dict:
        try:
            listing = self.client.get("/models")
        except ServerError as exc:
            if exc.status in (401, 403):
                raise ModelLoadError(f"{self.url} refused the API key ({exc}). The key is read from {self._key_source}; "
                                     "set it, or name another with --worldprior-api-key-env.") from None
            raise ModelLoadError(f"cannot use {self.reference}: {exc}") from None
        served = {entry.get("id"): entry for entry in listing.get("data", []) if isinstance(entry, dict)}
        if self.model not in served:
            raise ModelLoadError(f"{self.url} does not serve a model named {self.model!r}; it serves: "
                                 f"{', '.join(map(repr, sorted(filter(None, served)))) or 'none'}. Put one after the '#'.")
        return served[self.model]

    def _probe_top_logprobs(self) -> int:
        """How many top log-probabilities the server returns per token (0: none). Some servers cap the
        number lower than MAX_TOP_LOGPROBS and refuse more with HTTP 400: then the smaller count is tried."""
        for asked in TOP_LOGPROBS_TRIED:
            try:
                answer = self.client.post("/completions", {"model": self.model, "prompt": "Hello", "max_tokens": 1,
                                                           "logprobs": asked, "temperature": 1.0, "seed": 0})
            except ServerError as exc:
                if exc.status == 400:
                    continue
                return 0
            top = ((answer.get("choices") or [{}])[0].get("logprobs") or {}).get("top_logprobs") or [None]
            if not isinstance(top[0], dict):
                return 0
            numbers = [(t, float(v)) for t, v in top[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
            self._follower = max(numbers, key=lambda item: item[1], default=None)
            return len(top[0])
        return 0

    def _probe_echo(self) -> bool:
        """Whether the server gives the prompt's own log-probabilities (echo=True), aligned with its
        next-token ones: on "Hello" + the token the top probe found most likely after "Hello", the value
        echoed for that token must be the one the top log-probabilities gave it (llama-cpp-python 0.3
        echoes each token's value under the next position instead). Where that token does not stand
        alone in the echo, or the server gives no top log-probabilities, only the echo's presence counts."""
        prompt = "Hello" + (self._follower[0] if self._follower else " world")
        try:
            answer = self.client.post("/completions", {"model": self.model, "prompt": prompt, "max_tokens": 1,
                                                       "echo": True, "logprobs": 1, "temperature": 1.0})
        except ServerError:
            return False
        logprobs = (answer.get("choices") or [{}])[0].get("logprobs") or {}
        values, offsets = logprobs.get("token_logprobs") or [], logprobs.get("text_offset") or []
        if not (len(values) >= 2 and any(x is not None for x in values[1:])):
            return False
        echoed = [v for o, v in zip(offsets, values) if o == len("Hello") and isinstance(v, (int, float))]
        if self._follower and echoed and abs(echoed[0] - self._follower[1]) > ECHO_AGREEMENT_NATS:
            token, value = self._follower
            self._echo_problem = (f"prompt log-probabilities that agree with its next-token ones: after 'Hello' its top "
                                  f"log-probabilities give {token!r} {value:.4f}, its echo of 'Hello'+{token!r} gives "
                                  f"{echoed[0]:.4f} (llama-cpp-python 0.3 echoes each token's value one position late)")
            return False
        return True

    # --- the Backend contract --------------------------------------------------------------------

    def info(self) -> ModelInfo:
        # A server does not show its weights: the fingerprint is the model entry it declares.
        declared = hashlib.sha256(json.dumps(self._entry, sort_keys=True).encode()).hexdigest()
        return ModelInfo(self.model, self.reference, "openai-http", declared, "", "server", self.url, 0, True)

    def next_token_logprobs(self, contexts: Sequence) -> np.ndarray:
        self._lacks("gives_logits", f"full next-token distributions (an OpenAI-compatible server returns at most the "
                                    f"top {MAX_TOP_LOGPROBS} next tokens, not the full distribution)")

    def top_logprobs(self, context: Prompt, k: int | None = None) -> list[tuple[str, float]]:
        """The server's k most likely next tokens (text, log-probability in nats), most likely first; k at
        most `max_top_logprobs` (None: that many). A token of mass 0 (-inf, or a stand-in such as -9999)
        comes as -inf. Raises PayloadError (naming the server, the field, the value and the fix) for a
        value that is not a log-probability, a mass above 1, or fewer entries than asked that hold all
        the mass (a report after the server's sampler cut tokens)."""
        if not self.gives_top_logprobs:
            self._lacks("gives_top_logprobs", "top next-token log-probabilities (the server returns none)")
        if k is not None and k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        k = min(k or self.max_top_logprobs, self.max_top_logprobs)
        answer = self.client.post(*self._request(context, max_tokens=1, temperature=1.0, top_p=1.0, seed=0, stop=None,
                                                 top=k))
        return top_logprobs_of(answer, chat=not isinstance(context, str), asked=k, server=self._server())

    def score(self, contexts: Sequence, continuations: Sequence) -> list[float]:
        """log P(continuation | context) in nats for each pair of texts, from the log-probabilities the server
        echoes for context + continuation: the tokens that start inside the continuation (let it start
        at a token boundary, as " world" after "Hello" does). Raises PayloadError when the echo lacks a
        token's log-probability in the continuation, or its entries do not match the tokens."""
        if not self.scores_prompts:
            self._lacks("scores_prompts", f"{self._echo_problem or 'prompt log-probabilities (vLLM does, with echo)'}, "
                                          "so it cannot score a continuation; use the sampled checks")
        scores = []
        for context, continuation in zip(contexts, continuations):
            if not (isinstance(context, str) and isinstance(continuation, str)):
                raise TypeError("a server backend scores text contexts and continuations only")
            full = self.client.post("/completions", {"model": self.model, "prompt": context + continuation,
                                                     "max_tokens": 1, "echo": True, "logprobs": 1, "temperature": 1.0})
            scores.append(continuation_logprob(full, context + continuation, len(context), self._server()))
        return scores

    def sample(self, context, n: int, *, max_new_tokens: int = 64, temperature: float = 1.0, top_p: float = 1.0,
               seed: int = 0, stop: Sequence[str] | None = None) -> list[Generation]:
        check_sampling_settings(n, max_new_tokens, temperature, top_p)
        if not isinstance(context, (str, list)) or (isinstance(context, list) and context and isinstance(context[0], int)):
            raise TypeError(f"{self.reference}: a server backend takes text or chat prompts, not token ids")
        seeds = [_sample_seed(seed, i) for i in range(n)]
        # No log-probabilities with samples: no measure uses them from a server, and they are dear
        # (llama-cpp-python answered 8 times slower with them: 1.78 s against 0.21 s for 16 tokens).
        requests = [self._request(context, max_new_tokens, temperature, top_p, s, stop, top=0) for s in seeds]
        path = requests[0][0]
        answers = self.client.post_many(path, [body for _, body in requests])
        generations = []
        for index, (answer, sample_seed) in enumerate(zip(answers, seeds)):
            choice = answer["choices"][0]
            chat = not isinstance(context, str)
            text = (choice["message"]["content"] or "") if chat else choice["text"]
            reason = {"length": "length"}.get(choice.get("finish_reason"), "stop" if stop else "eos")
            generations.append(Generation(text, (), (), (), reason, sample_seed, index))
        return generations

    def render(self, prompt: Prompt) -> str:
        """The prompt as sent: text as it is; a chat goes to the server's own template, shown here as role: content."""
        if isinstance(prompt, str):
            return prompt
        return "\n".join(f"{m['role']}: {m['content']}" for m in prompt)

    def close(self) -> None:
        self.client.close()

    def _server(self) -> str:
        """The server and model, as messages name them."""
        return f"{self.url} (model {self.model!r})"

    def _request(self, prompt, max_tokens, temperature, top_p, seed, stop, *, top: int) -> tuple[str, dict]:
        body = {"model": self.model, "max_tokens": max_tokens, "temperature": temperature, "top_p": top_p, "seed": seed}
        if stop:
            body["stop"] = list(stop)
        if isinstance(prompt, str):
            body["prompt"] = prompt
            if top:
                body["logprobs"] = top
            return "/completions", body
        body["messages"] = list(prompt)
        if top:
            body.update(logprobs=True, top_logprobs=top)
        return "/chat/completions", body


def load_openai_backend(spec, *, api_key_env: str | None = "OPENAI_API_KEY", max_in_flight: int = 8,
                        timeout_s: float = 120.0) -> OpenAIServerBackend:
    return OpenAIServerBackend(spec.reference, spec.server, spec.served_model, api_key_env=api_key_env,
                               max_in_flight=max_in_flight, timeout_s=timeout_s)


def _sample_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0] % (2**31 - 1))
