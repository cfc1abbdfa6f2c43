"""The transformers backend: exact log-probabilities from a local causal LM, batched with left padding."""

from __future__ import annotations

import gc
import inspect
import itertools
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ... import progress
from ...errors import NonFiniteLogitsError
from ..base import (
    Backend,
    Context,
    Continuation,
    Generation,
    ModelInfo,
    Prompt,
    as_batch,
    check_sampling_settings,
    seed_per_context,
)
from . import teacher_forcing, tokens
from .fingerprint import eos_ids_of, library_versions, max_length_of, tokenizer_sha256
from .sampling import draw

# Rows fed one token per step (sampling, short continuations after a shared prefix): such steps cost
# little each, and on a CPU a bigger batch reads the weights fewer times (64 rows sampled 3x faster than 8).
MIN_STEP_ROWS = 64


class HFBackend(Backend):
    """A `transformers` causal LM and its tokenizer. CPU float32 unless told otherwise."""

    gives_logits = True
    gives_sampling_logprobs = True

    def __init__(
        self,
        model,
        tokenizer,
        *,
        reference: str,
        weights_sha256: str,
        tokenizer_sha256: str | None = None,
        batch_size: int = 8,
        chat_fallback: bool = False,
    ):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.reference = reference
        self.batch_size = batch_size
        self.chat_fallback = chat_fallback
        self._weights_sha256 = weights_sha256
        self._tokenizer_sha256 = tokenizer_sha256
        self._info: ModelInfo | None = None
        self._token_texts: list[str] | None = None
        self.device = next(model.parameters()).device
        self.pad_id = _first_not_none(tokenizer.pad_token_id, tokenizer.eos_token_id, 0)
        self.eos_ids = eos_ids_of(model, tokenizer)
        self.max_length = max_length_of(model.config)
        self._keeps_last_logits = "logits_to_keep" in inspect.signature(model.forward).parameters

    # ---- prompts and tokens -------------------------------------------------------------------

    def render(self, prompt: Prompt) -> str:
        return tokens.render(self.tokenizer, prompt, reference=self.reference, chat_fallback=self.chat_fallback)

    def encode(self, context: Context) -> list[int]:
        """Token ids of a context. Plain text gets the tokenizer's special tokens (BOS); chat text has them already."""
        return tokens.encode(self.tokenizer, context, self.render, reference=self.reference, max_length=self.max_length)

    def continuation_ids(self, context: Context, context_ids: list[int], continuation: Continuation) -> list[int]:
        """Token ids of a continuation after the context, split from their joint tokenization (tokens.continuation_ids)."""
        return tokens.continuation_ids(self.tokenizer, context, context_ids, continuation, self.render)

    def decode(self, token_ids: Sequence[int]) -> str:
        """The text of token ids, special tokens left out."""
        return self.tokenizer.decode(list(token_ids), skip_special_tokens=True)

    def token_texts(self) -> list[str]:
        """The text of every token id the tokenizer knows, decoded one by one (cached)."""
        if self._token_texts is None:
            self._token_texts = self.tokenizer.batch_decode([[i] for i in range(len(self.tokenizer))])
        return self._token_texts

    # ---- exact quantities ---------------------------------------------------------------------

    def next_token_logprobs(self, contexts: Sequence[Context]) -> np.ndarray:
        """Rows [batch, vocab], float64. Contexts with a long common start (boundaries along paths after one
        P + C + J) have it run once; the head runs at each context's last position only."""
        encoded = [self.encode(c) for c in as_batch(contexts, "contexts")]
        if not encoded:
            return np.zeros((0, self.vocab_size))
        # A placeholder token after each context: teacher forcing never feeds a sequence's last token, and
        # the row that predicts it is the context's next-token distribution.
        rows = teacher_forcing.map_sequences(self, [ids + [self.pad_id] for ids in encoded], [1] * len(encoded),
                                             lambda _, logprobs: logprobs[0].cpu().numpy())
        return np.stack(rows)

    def score(self, contexts: Sequence[Context], continuations: Sequence[Continuation]) -> list[float]:
        return [float(np.sum(t)) for t in self.score_tokens(contexts, continuations)]

    def score_tokens(self, contexts: Sequence[Context], continuations: Sequence[Continuation]) -> list[np.ndarray]:
        """Per-token log-probabilities of each continuation (teacher forcing), float64."""

        def picked(targets: list[int], rows: torch.Tensor) -> np.ndarray:
            index = torch.tensor(targets, dtype=torch.long, device=rows.device)[:, None]
            return rows.gather(1, index)[:, 0].cpu().numpy()

        return self._map_continuations(contexts, continuations, picked)

    def continuation_logprobs(self, contexts: Sequence[Context], continuations: Sequence[Continuation]) -> list[np.ndarray]:
        """Full next-token log-probabilities [len(continuation), vocab] before each continuation token."""
        return self._map_continuations(contexts, continuations, lambda targets, rows: rows.cpu().numpy())

    def _map_continuations(self, contexts, continuations, reduce: Callable) -> list:
        """Teacher-force each continuation; `reduce(targets, rows)` gets its tokens and the log-softmax rows
        that predict them. Continuations of one same context share a single pass over that context."""
        contexts = as_batch(contexts, "contexts")
        continuations = as_batch(continuations, "continuations")
        if len(contexts) != len(continuations):
            raise ValueError(f"got {len(contexts)} contexts but {len(continuations)} continuations")
        groups: dict[tuple[int, ...], list[int]] = {}
        suffixes = []
        for i, (context, continuation) in enumerate(zip(contexts, continuations)):
            ids = self.encode(context)
            suffixes.append(self.continuation_ids(context, ids, continuation))
            groups.setdefault(tuple(ids), []).append(i)
        results: list = [None] * len(contexts)
        alone = []
        for prefix, members in groups.items():
            if len(members) > 1 and all(suffixes[i] for i in members):
                for i, value in zip(members, teacher_forcing.map_after_prefix(self, list(prefix), [suffixes[i] for i in members], reduce)):
                    results[i] = value
            else:
                alone += members
        sequences = [list(self.encode(contexts[i])) + suffixes[i] for i in alone]
        tails = [len(suffixes[i]) for i in alone]
        values = teacher_forcing.map_sequences(self, sequences, tails, reduce)
        for i, value in zip(alone, values):
            results[i] = value
        return results

    def _last_logits_only(self, positions: int = 1) -> dict:
        """Ask the model for the last `positions` positions' logits only, where it can: a long prompt's
        full [positions, vocabulary] logits would be computed and dropped."""
        return {"logits_to_keep": positions} if self._keeps_last_logits else {}

    def _left_pad(self, sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(s) for s in sequences)
        input_ids = torch.full((len(sequences), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, seq in enumerate(sequences):
            input_ids[row, width - len(seq) :] = torch.tensor(seq, dtype=torch.long)
            mask[row, width - len(seq) :] = 1
        return input_ids.to(self.device), mask.to(self.device)

    def _forward(self, input_ids: torch.Tensor, mask: torch.Tensor, **kwargs):
        # Positions count real tokens only, so a left-padded row sees the same positions as when alone.
        # With a KV cache only the newest tokens are fed: take their positions from the end.
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)[:, -input_ids.shape[1] :]
        out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=position_ids, **kwargs)
        self._check_finite(out.logits)
        return out if kwargs.get("use_cache") else out.logits

    def _check_finite(self, logits: torch.Tensor) -> None:
        # The extremes are NaN or infinite exactly when some logit is: one pass, no copy, and unlike a sum
        # they cannot overflow (a float16 sum of a 49,152-token row passes 65,504 with every logit finite).
        low, high = torch.aminmax(logits)
        if not (torch.isfinite(low) and torch.isfinite(high)):
            raise NonFiniteLogitsError(
                f"Model {self.reference!r} produced NaN or infinite logits (dtype {self.model.dtype}, device "
                f"{self.device}). Its weights may be damaged, or the dtype too narrow: load it in float32."
            )

    # ---- sampling -----------------------------------------------------------------------------

    def sample(self, context, n, *, max_new_tokens=64, temperature=1.0, top_p=1.0, seed=0, stop=None):
        check_sampling_settings(n, max_new_tokens, temperature, top_p)
        stop, prompt_ids = [stop] if isinstance(stop, str) else stop, self.encode(context)
        max_new_tokens = min(max_new_tokens, self.max_length - len(prompt_ids))
        if max_new_tokens < 1:
            raise ValueError(f"the context fills the model's {self.max_length}-token window; nothing can be sampled")
        if max_new_tokens == 1:  # every sample shares one next-token distribution: one forward pass serves all
            return self._sample_one_token(prompt_ids, n, temperature, top_p, seed, stop or [])
        generations: list[Generation] = []
        rows = max(self.batch_size, MIN_STEP_ROWS)
        steps = itertools.count(1)
        with progress.task(f"worldprior: sampling {n} x {max_new_tokens} tokens", -(-n // rows) * max_new_tokens) as advance:
            for start in range(0, n, rows):
                indices = list(range(start, min(n, start + rows)))
                generations += self._sample_batch(prompt_ids, indices, max_new_tokens, temperature, top_p, seed, stop or [],
                                                  on_step=lambda: advance(next(steps)))
        return generations

    def sample_many(self, contexts, counts, *, max_new_tokens=64, temperature=1.0, top_p=1.0, seed=0, stop=None):
        """Rows of every context in one batch (prompts left-padded; a CPU step over many rows reads the weights
        once): the base class's draws, up to padding's float rounding."""
        contexts, counts, stop = as_batch(contexts, "contexts"), list(counts), [stop] if isinstance(stop, str) else stop
        if len(contexts) != len(counts):
            raise ValueError(f"got {len(contexts)} contexts but {len(counts)} counts; give one count per context")
        for count in filter(None, counts):
            check_sampling_settings(count, max_new_tokens, temperature, top_p)
        prompts = [self.encode(context) for context in contexts]
        if (room := min((self.max_length - len(ids) for ids in prompts), default=self.max_length)) < 1:
            raise ValueError(f"a context fills the model's {self.max_length}-token window; nothing can be sampled")
        jobs, rows = [(j, i) for j, count in enumerate(counts) for i in range(count)], max(self.batch_size, MIN_STEP_ROWS)
        seeds, out = seed_per_context(seed, len(contexts)), [[] for _ in contexts]
        with progress.task(f"worldprior: sampling {len(jobs)} x {max_new_tokens} tokens", -(-len(jobs) // rows)) as advance:
            for start in range(0, len(jobs), rows):
                chunk = jobs[start : start + rows]
                made = self._sample_batch([prompts[j] for j, _ in chunk], [i for _, i in chunk], min(max_new_tokens, room),
                                          temperature, top_p, [seeds[j] for j, _ in chunk], stop or [])
                for (j, _), generation in zip(chunk, made, strict=True):
                    out[j].append(generation)
                advance(start // rows + 1)
        return out

    @torch.inference_mode()
    def _sample_batch(self, prompt_ids, indices, max_new_tokens, temperature, top_p, seed, stop, on_step=lambda: None):
        """One row per index; `prompt_ids` and `seed`: one for every row, or one per row. One random stream per
        (seed, sample index): sample i is the same whatever n or the batch size."""
        seeds = seed if isinstance(seed, list) else [seed] * len(indices)
        rngs = [np.random.default_rng([s, i]) for s, i in zip(seeds, indices)]
        rows = len(indices)
        prompts = prompt_ids if prompt_ids and isinstance(prompt_ids[0], list) else [prompt_ids] * rows
        if all(p == prompts[0] for p in prompts):
            # The prompt is the same for every row: one pass, its cache copied to each row.
            input_ids = torch.tensor([prompts[0]], dtype=torch.long, device=self.device)
            out = self._forward(input_ids, torch.ones_like(input_ids), use_cache=True, **self._last_logits_only())
            out.cache.batch_repeat_interleave(rows)  # the logits stay one row: every sample's first distribution
            mask = torch.ones((rows, len(prompts[0])), dtype=torch.long, device=self.device)
        else:  # prompts of several contexts, left-padded: every row's last position is its own last token
            input_ids, mask = self._left_pad(prompts)
            out = self._forward(input_ids, mask, use_cache=True, **self._last_logits_only())
        tokens: list[list[int]] = [[] for _ in indices]
        model_lp: list[list[float]] = [[] for _ in indices]
        sample_lp: list[list[float]] = [[] for _ in indices]
        finish = [None] * rows
        for _ in range(max_new_tokens):
            uniforms = torch.tensor([rng.random() for rng in rngs], dtype=torch.float64, device=self.device)
            chosen, model_logprobs, sampling_logprobs = (t.tolist() for t in draw(out.logits[:, -1, :], uniforms,
                                                                                 temperature, top_p))
            for row in range(rows):
                if finish[row]:
                    continue
                tokens[row].append(chosen[row])
                model_lp[row].append(model_logprobs[row])
                sample_lp[row].append(sampling_logprobs[row])
                finish[row] = self._finished(tokens[row], stop)
            on_step()
            if all(finish):
                break
            next_ids = torch.tensor([[t[-1]] for t in tokens], device=self.device)
            mask = torch.cat([mask, torch.ones((rows, 1), dtype=mask.dtype, device=self.device)], dim=1)
            out = self._forward(next_ids, mask, use_cache=True, cache=out.cache)
        return [
            Generation(
                text=self._visible_text(tokens[row], stop),
                token_ids=tuple(tokens[row]),
                logprobs=tuple(model_lp[row]),
                sampling_logprobs=tuple(sample_lp[row]),
                finish_reason=finish[row] or "length",
                seed=seeds[row],
                index=indices[row],
            )
            for row in range(rows)
        ]

    @torch.inference_mode()
    def _sample_one_token(self, prompt_ids, n, temperature, top_p, seed, stop):
        """Single-token samples: the same draws as `_sample_batch` (the first uniform of each stream)."""
        input_ids = torch.tensor([prompt_ids], dtype=torch.long, device=self.device)
        logits = self._forward(input_ids, torch.ones_like(input_ids), **self._last_logits_only())[:, -1, :]
        uniforms = torch.tensor([np.random.default_rng([seed, i]).random() for i in range(n)], dtype=torch.float64)
        chosen, model_logprobs, sampling_logprobs = (t.tolist() for t in draw(logits, uniforms.to(self.device),
                                                                             temperature, top_p))
        return [
            Generation(
                text=self._visible_text([token], stop),
                token_ids=(token,),
                logprobs=(model_logprobs[i],),
                sampling_logprobs=(sampling_logprobs[i],),
                finish_reason=self._finished([token], stop) or "length",
                seed=seed,
                index=i,
            )
            for i, token in enumerate(chosen)
        ]

    def _finished(self, tokens: list[int], stop: Sequence[str]) -> str | None:
        if tokens[-1] in self.eos_ids:
            return "eos"
        if stop:
            text = self.decode(tokens)
            if any(s and s in text for s in stop):
                return "stop"
        return None

    def _visible_text(self, tokens: list[int], stop: Sequence[str]) -> str:
        """Decoded text without a final EOS token, cut before the first stop string."""
        if tokens and tokens[-1] in self.eos_ids:
            tokens = tokens[:-1]
        text = self.decode(tokens)
        cuts = [text.find(s) for s in stop if s and s in text]
        return text[: min(cuts)] if cuts else text

    # ---- fingerprint and lifetime -------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        return int(self.model.get_output_embeddings().weight.shape[0])

    def info(self) -> ModelInfo:
        if self._info is None:
            self._info = ModelInfo(
                name=self.reference,
                reference=self.reference,
                backend="transformers",
                weights_sha256=self._weights_sha256,
                tokenizer_sha256=self._tokenizer_sha256 or tokenizer_sha256(self.tokenizer),
                dtype=str(self.model.dtype).removeprefix("torch."),
                device=str(self.device),
                vocab_size=self.vocab_size,
                has_chat_template=bool(self.tokenizer.chat_template),
                versions=library_versions(),
            )
        return self._info

    def close(self) -> None:
        self.model = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _first_not_none(*values):
    return next(v for v in values if v is not None)


