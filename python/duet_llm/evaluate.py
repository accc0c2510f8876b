"""Zero-shot evaluation with lm-evaluation-harness and the metrics of the DUET paper."""

from . import settings


def extract_metrics(results, benchmarks):
    """Return the raw metric of each benchmark from lm_eval's results dict, in the given order."""
    out = {}
    for name in benchmarks:
        task, keys, _, _ = settings.BENCHMARKS[name]
        keys = (keys,) if isinstance(keys, str) else keys
        table = results.get("results", {}).get(task, {})
        found = [key for key in keys if key in table]
        if not found:
            raise KeyError("lm-evaluation-harness returned none of %s for task %s" % (", ".join(keys), task))
        out[name] = float(table[found[0]])
    return out


def generation_arguments(temperature):
    """gen_kwargs for lm_eval: sampling at the given temperature, or greedy at 0."""
    if temperature > 0:
        return "do_sample=True,temperature=%r" % temperature
    return "do_sample=False"


def evaluate(model, tokenizer, benchmarks, options, seed):
    """Evaluate a fine-tuned model zero-shot; returns {benchmark: raw metric}."""
    import lm_eval  # deferred: heavy
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=options["batch_size"])
    tasks = [settings.BENCHMARKS[name][0] for name in benchmarks]
    generative = any(name in settings.GENERATIVE for name in benchmarks)
    results = lm_eval.simple_evaluate(
        model=lm, tasks=tasks, num_fewshot=0,
        limit=options["eval_limit"] or None,
        gen_kwargs=generation_arguments(options["temperature"]) if generative else None,
        random_seed=seed % (1 << 31), numpy_random_seed=seed % (1 << 31),
        torch_random_seed=seed % (1 << 31))
    return extract_metrics(results, benchmarks)
