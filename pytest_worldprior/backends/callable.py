"""Any system a team can call, as a text-only backend: a Python function (prompt, n, temperature, seed)
-> n texts. The sample-level checks (mode share, sampled random choices, sampled entropy, snap-back
through text) then run against it; the logit-based ones say that it gives no logits. The function is
not told `max_new_tokens`: for snap-back, let C be the first sentence (the default) or give `prefix`.

    model = CallableBackend(lambda prompt, n, temperature, seed: my_api(prompt, n, temperature, seed), name="my-api")
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from .base import Backend, Generation, ModelInfo, Prompt, check_sampling_settings

Sampler = Callable[[Prompt, int, float, int], Sequence[str]]


class CallableBackend(Backend):
    """Text only: `gives_logits`, `gives_top_logprobs` and `scores_prompts` are all False, so the logit
    methods raise the base class's NotImplementedError naming this backend and what it lacks."""

    gives_logits = False

    def __init__(self, sample_texts: Sampler, *, name: str | None = None, has_chat_template: bool = True) -> None:
        if not callable(sample_texts):
            raise TypeError(f"CallableBackend needs a function (prompt, n, temperature, seed) -> texts, got {sample_texts!r}")
        self._sample_texts = sample_texts
        qualname = f"{getattr(sample_texts, '__module__', '?')}.{getattr(sample_texts, '__qualname__', type(sample_texts).__name__)}"
        self.name = name or qualname
        # The results cache keys on this: the name tells apart closures and lambdas of one module.
        self._fingerprint = hashlib.sha256(f"{qualname}\0{self.name}".encode()).hexdigest()
        self._has_chat_template = has_chat_template

    def info(self) -> ModelInfo:
        # The function and its name are all there is to fingerprint; give `name` a version to tell releases apart.
        return ModelInfo(self.name, f"callable:{self.name}", "callable", self._fingerprint, "", "n/a", "n/a", 0,
                         self._has_chat_template)

    def sample(self, context, n: int, *, max_new_tokens: int = 64, temperature: float = 1.0, top_p: float = 1.0,
               seed: int = 0, stop: Sequence[str] | None = None) -> list[Generation]:
        """n texts from the function; `max_new_tokens` and `top_p` are the function's business, a stop
        string cuts the text here."""
        check_sampling_settings(n, max_new_tokens, temperature, top_p)
        texts = list(self._sample_texts(context, n, temperature, seed))
        if len(texts) != n or not all(isinstance(t, str) for t in texts):
            raise ValueError(f"{self.name} was asked for {n} texts and returned {len(texts)} "
                             f"({', '.join(sorted({type(t).__name__ for t in texts})) or 'nothing'})")
        generations = []
        for index, text in enumerate(texts):
            cut = min((text.index(m) for m in stop or () if m and m in text), default=None)  # the first stop string
            reason = "eos" if cut is None else "stop"
            text = text if cut is None else text[:cut]
            generations.append(Generation(text, (), (), (), reason, seed, index))
        return generations

    def render(self, prompt: Prompt) -> str:
        if isinstance(prompt, str):
            return prompt
        return "\n".join(f"{m['role']}: {m['content']}" for m in prompt)
