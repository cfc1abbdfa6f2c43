"""Build, train and cache the toy base/collapsed GPT-2 pair (CPU, seconds). The seed-0 pair that the short names
load is this recipe's output shipped in toy/weights/ (shipped.py); other seeds are trained here on first use."""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from pathlib import Path

from ..files import atomic_directory
from .corpus import base_corpus, narrow_corpus

# Bump whenever the recipe changes: the cache is keyed on it, and the shipped pair's manifest records it
# (retrain the shipped pair then: python -m pytest_worldprior.toy).
TOY_KIT_VERSION = "1"

BOS = EOS = "<|endoftext|>"
PAD = "<|pad|>"
VOCAB_SIZE = 512
MAX_LEN = 128
BASE_STEPS, BASE_LR = 400, 1e-2
TUNE_STEPS, TUNE_LR = 120, 3e-3
BATCH_SIZE = 16
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@dataclass(frozen=True)
class ToyPair:
    """Paths of the two Hugging Face model directories of a toy pair."""

    base_dir: Path
    collapsed_dir: Path


def build_toy_pair(cache_dir: str | os.PathLike, seed: int = 0) -> ToyPair:
    """Return the cached toy pair for ``seed``, training it first if needed. Seed 0 too: this trains it on this
    machine (its floats may differ from the shipped pair's); ``toy_pair`` gives the shipped one."""
    final = Path(cache_dir) / "toy" / f"{TOY_KIT_VERSION}-seed{seed}"
    pair = ToyPair(final / "base", final / "collapsed")
    if final.is_dir():
        return pair
    with atomic_directory(final) as tmp:  # a half-built folder never shows under `final`
        _build_into(tmp, seed)
    return pair


def _build_into(out: Path, seed: int, base_steps: int = BASE_STEPS,
                tune_steps: int = TUNE_STEPS) -> None:
    """Train tokenizer, base model and collapsed model; save them under ``out``."""
    import torch

    # One thread: tiny ops gain little from more, oversubscribed CPUs slow 2+ threads
    # down badly, and a fixed count keeps float reductions reproducible.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):  # leave the caller's global RNG alone
            base_docs = base_corpus(seed)
            tok = _train_tokenizer(base_docs)
            model = _new_model(tok, seed)
            _train(model, tok, base_docs, base_steps, BASE_LR, seed)
            _save(model, tok, out / "base")
            _train(model, tok, narrow_corpus(seed), tune_steps, TUNE_LR, seed + 1)
            tok.chat_template = CHAT_TEMPLATE
            _save(model, tok, out / "collapsed")
    finally:
        torch.set_num_threads(threads)


def _train_tokenizer(docs: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE, special_tokens=[BOS, PAD], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    backend.train_from_iterator(docs, trainer=trainer)
    # Prepend bos on encode (add_special_tokens=True), as the model was trained that way.
    backend.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B",
        special_tokens=[(BOS, backend.token_to_id(BOS))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token=BOS, eos_token=EOS, pad_token=PAD,
        model_max_length=MAX_LEN,
    )


def _new_model(tok, seed: int):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tok), n_positions=MAX_LEN, n_embd=64, n_layer=2, n_head=4,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, activation_function="gelu",
        attn_implementation="eager",  # faster than sdpa at this size; not saved
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )
    model = GPT2LMHeadModel(config)
    model.loss_type = "ForCausalLM"  # silences an "unrecognized loss_type" warning
    model.generation_config.pad_token_id = tok.pad_token_id
    return model


def _train(model, tok, docs: list[str], steps: int, lr: float, seed: int) -> None:
    """AdamW with warmup + cosine decay; each sequence is bos + doc + eos."""
    import torch

    encoded = tok(docs, add_special_tokens=False)["input_ids"]
    ids = [[tok.bos_token_id] + e[: MAX_LEN - 2] + [tok.eos_token_id] for e in encoded]
    rng = random.Random(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, 0.5 * (1 + math.cos(math.pi * s / steps))))
    model.train()
    for batch in _batches(ids, steps, BATCH_SIZE, rng):
        width = max(map(len, batch))
        x = torch.full((len(batch), width), tok.pad_token_id)
        mask = torch.zeros_like(x)
        for i, seq in enumerate(batch):
            x[i, : len(seq)] = torch.tensor(seq)
            mask[i, : len(seq)] = 1
        loss = model(input_ids=x, attention_mask=mask, labels=x.masked_fill(mask == 0, -100)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
    model.eval()


def _batches(ids: list[list[int]], steps: int, batch_size: int, rng: random.Random, group: int = 8):
    """Yield ``steps`` random batches; length-bucketed in groups to cut padding."""
    for start in range(0, steps, group):
        pool = sorted(rng.sample(ids, batch_size * group), key=len)
        chunks = [pool[i * batch_size: (i + 1) * batch_size] for i in range(group)]
        rng.shuffle(chunks)
        yield from chunks[: steps - start]


def _save(model, tok, path: Path) -> None:
    from transformers.utils import logging

    bar = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        model.save_pretrained(path)
        tok.save_pretrained(path)
    finally:
        if bar:
            logging.enable_progress_bar()
