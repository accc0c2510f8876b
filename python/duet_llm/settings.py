"""Settings of the llm backend: option types, checks and the benchmarks' metrics.

The option names mirror core/backends/llm.c, which writes every option into each manifest.
resolve() turns the manifest's text back into typed values and rejects anything the C side
would not have written.
"""

from . import protocol

# name: (type, check) with types int, float, str, list, enum choices as a tuple.
BACKEND_OPTIONS = {
    "pool": (str, None),
    "scores": (str, None),
    "model": (str, lambda v: v != "" or "must name a model"),
    "lora_rank": (int, lambda v: 1 <= v <= 4096 or "must be in 1..4096"),
    "lora_alpha": (float, lambda v: v > 0 or "must be positive"),
    "lora_dropout": (float, lambda v: 0 <= v <= 1 or "must be in 0..1"),
    "lora_targets": (list, lambda v: len(v) > 0 or "must name at least one module"),
    "learning_rate": (float, lambda v: 0 < v <= 1 or "must be in (0, 1]"),
    "batch_size": (int, lambda v: v >= 1 or "must be at least 1"),
    "warmup_steps": (int, lambda v: v >= 0 or "must be at least 0"),
    "epochs": (int, lambda v: v >= 1 or "must be at least 1"),
    "max_length": (int, lambda v: v >= 8 or "must be at least 8"),
    "precision": (("bf16", "fp16", "fp32"), None),
    "temperature": (float, lambda v: 0 <= v <= 10 or "must be in 0..10"),
    "eval_limit": (int, lambda v: v >= 0 or "must be at least 0"),
}

TASK_OPTIONS = {
    "evaluate": (list, lambda v: 1 <= len(v) <= protocol.METRICS_MAX or "must list 1 to 8 benchmarks"),
    "remove": (list, None),
}

# Benchmark: (lm-evaluation-harness task, metric keys in its results, sign, description). The
# first key present is used: lm-evaluation-harness names a metric "metric,filter", and the gsm8k
# filter is "strict-match" in its current task files but "get-answer" in older 0.4 ones.
# A sign of -1 turns a perplexity (lower is better) into a feedback where higher is better.
BENCHMARKS = {
    "wikitext": ("wikitext", "word_perplexity,none", -1.0, "negated word perplexity"),
    "gsm8k": ("gsm8k", ("exact_match,strict-match", "exact_match,get-answer"), 1.0, "exact match, strict"),
    "pubmedqa": ("pubmedqa", "acc,none", 1.0, "accuracy"),
    "headqa": ("headqa_en", "acc,none", 1.0, "accuracy"),
    "sciq": ("sciq", "acc_norm,none", 1.0, "normalized accuracy"),
    "triviaqa": ("triviaqa", "exact_match,remove_whitespace", 1.0, "exact match"),
    "truthfulqa": ("truthfulqa_gen", "bleu_acc,none", 1.0, "BLEU accuracy"),
    "hellaswag": ("hellaswag", "acc,none", 1.0, "accuracy"),
    "commonsense_qa": ("commonsense_qa", "acc,none", 1.0, "accuracy"),
}

# Benchmarks that generate text, where the sampling temperature applies.
GENERATIVE = {"gsm8k", "triviaqa", "truthfulqa"}


class SettingsError(ValueError):
    """An option value that is missing, of the wrong type or out of range."""


def _convert(name, kind, raw):
    if kind is list:
        return protocol.split_list(raw, name)
    text = protocol.decode(raw, name)
    if isinstance(kind, tuple):
        if text not in kind:
            raise SettingsError("%s = %r is not one of %s" % (name, text, ", ".join(kind)))
        return text
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise SettingsError("%s = %r is not an integer" % (name, text)) from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise SettingsError("%s = %r is not a number" % (name, text)) from None
    return text


def resolve(raw, spec, what):
    """Convert raw option text to typed values per spec; unknown or missing names are errors."""
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise SettingsError("%s: unknown option%s %s" % (what, "s" if len(unknown) > 1 else "", ", ".join(unknown)))
    missing = sorted(set(spec) - set(raw))
    if missing:
        raise SettingsError("%s: missing option%s %s" % (what, "s" if len(missing) > 1 else "", ", ".join(missing)))
    out = {}
    for name, (kind, check) in spec.items():
        value = _convert("%s.%s" % (what, name), kind, raw[name])
        if check is not None:
            verdict = check(value)
            if verdict is not True:
                raise SettingsError("%s.%s = %r %s" % (what, name, value, verdict))
        out[name] = value
    return out


def check_benchmarks(names):
    """Reject benchmark names this worker cannot evaluate."""
    for name in names:
        if name not in BENCHMARKS:
            raise SettingsError("unknown benchmark %r; known are %s" % (name, ", ".join(sorted(BENCHMARKS))))


def feedback(metrics):
    """Return a task's feedback: the equal-weight mean of its benchmarks' signed metrics.

    metrics maps benchmark name to the raw metric from lm-evaluation-harness.
    """
    if not metrics:
        raise ValueError("no metrics to average")
    signed = [BENCHMARKS[name][2] * float(value) for name, value in metrics.items()]
    return sum(signed) / len(signed)
