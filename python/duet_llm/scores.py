"""Influence scores of every pool item, per domain: fine-tune LoRA on the domain's training
part, then score each item's gradient against the mean gradient of a held-out part of the same
domain (never against an evaluation task)."""

import json
import random

import numpy as np

from . import export, influence


def split_validation(n, share, seed):
    """Indices (train, validation) of n items, the validation part a seeded share (at least 1)."""
    if n < 2:
        raise ValueError("a domain needs at least 2 items to hold some out, got %d" % n)
    order = list(range(n))
    random.Random(seed).shuffle(order)
    held_out = min(n - 1, max(1, int(round(share * n))))
    return sorted(order[held_out:]), sorted(order[:held_out])


def compute(pool, model_name, out, estimator, share, max_length, seed=0, log=print):
    """Write the scores file `out` for every domain of the pool."""
    from .train import train_lora  # deferred: imports torch

    names, sizes = export.read_pool_domains(pool)
    options = {"lora_rank": 16, "lora_alpha": 16, "lora_dropout": 0.05, "lora_targets": ["q_proj", "v_proj"],
               "learning_rate": 3e-4, "batch_size": 8, "warmup_steps": 10, "epochs": 1,
               "max_length": max_length, "precision": "bf16"}
    result = {}
    for name, size in zip(names, sizes):
        train_idx, val_idx = split_validation(size, share, seed)
        examples = export.read_examples(pool, {name: list(range(size))})
        model, tokenizer = train_lora(model_name, [examples[i] for i in train_idx], options, seed, log=log)
        grads = influence.collect_gradients(model, tokenizer, examples, max_length)
        val = [g[val_idx].mean(axis=0) for g in grads]
        if estimator == "datainf":
            result[name] = influence.datainf(grads, val)
        else:
            result[name] = influence.lissa(grads, val, rng=np.random.default_rng(seed))
        log("%s: %d items scored" % (name, size))
    settings = json.dumps({"model": model_name, "validation_share": share, "max_length": max_length,
                           "seed": seed, "lora": options})
    influence.write_scores(out, result, estimator, settings)
