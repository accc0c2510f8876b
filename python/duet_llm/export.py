"""Export the nine training domains from Hugging Face datasets into a duet pool file.

Each record becomes a (prompt, response) pair: the prompt is masked out of the training loss and
the response is what the model learns to produce (wikitext has an empty prompt). The pool file is
HDF5, read by the C core (names and sizes) and by the worker (texts):

    /domain_names          [n] strings, the domain order
    /domain_sizes          [n] int64, items per domain
    /domains/NAME/ids      [size] strings, "dataset/config/split/row" of each item
    /domains/NAME/prompt   [size] strings
    /domains/NAME/response [size] strings
    attributes on /: format = "duet-pool", version = 1
"""

# Hugging Face dataset, config and split of every training domain.
SOURCES = {
    "wikitext": ("wikitext", "wikitext-2-raw-v1", "train"),
    "gsm8k": ("gsm8k", "main", "train"),
    "pubmedqa": ("qiaojin/PubMedQA", "pqa_artificial", "train"),
    "headqa_en": ("head_qa", "en", "train"),
    "sciq": ("allenai/sciq", None, "train"),
    "triviaqa": ("trivia_qa", "rc.nocontext", "train"),
    "truthfulqa": ("truthful_qa", "generation", "validation"),
    "hellaswag": ("Rowan/hellaswag", None, "train"),
    "commonsense_qa": ("tau/commonsense_qa", None, "train"),
}

DOMAINS = list(SOURCES)


def shape_wikitext(r):
    text = r["text"].strip()
    # Skip blank lines and section headings (" = Title = ").
    if len(text) < 20 or text.startswith("="):
        return None
    return "", text


def shape_gsm8k(r):
    return "Question: %s\nAnswer:" % r["question"].strip(), " " + r["answer"].strip()


def shape_pubmedqa(r):
    context = " ".join(r["context"]["contexts"]) if isinstance(r.get("context"), dict) else ""
    prompt = "Abstract: %s\nQuestion: %s\nAnswer:" % (context.strip(), r["question"].strip())
    return prompt, " %s. %s" % (r["final_decision"], r.get("long_answer", "").strip())


def shape_headqa(r):
    answers = sorted(r["answers"], key=lambda a: a["aid"])
    options = "\n".join("%d. %s" % (a["aid"], a["atext"]) for a in answers)
    right = [a for a in answers if a["aid"] == r["ra"]]
    if not right:
        return None
    return "Question: %s\n%s\nAnswer:" % (r["qtext"].strip(), options), " %s" % right[0]["atext"]


def shape_sciq(r):
    prompt = "%s\nQuestion: %s\nAnswer:" % (r.get("support", "").strip(), r["question"].strip())
    return prompt.strip(), " " + r["correct_answer"].strip()


def shape_triviaqa(r):
    return "Question: %s\nAnswer:" % r["question"].strip(), " " + r["answer"]["value"].strip()


def shape_truthfulqa(r):
    return "Q: %s\nA:" % r["question"].strip(), " " + r["best_answer"].strip()


def shape_hellaswag(r):
    label = int(r["label"]) if str(r.get("label", "")).strip() != "" else -1
    if not 0 <= label < len(r["endings"]):
        return None
    prompt = "%s: %s" % (r["activity_label"].strip(), r["ctx"].strip())
    return prompt, " " + r["endings"][label].strip()


def shape_commonsense_qa(r):
    labels, texts = r["choices"]["label"], r["choices"]["text"]
    if r["answerKey"] not in labels:
        return None
    options = "\n".join("%s. %s" % (l, t) for l, t in zip(labels, texts))
    answer = texts[labels.index(r["answerKey"])]
    return "Question: %s\n%s\nAnswer:" % (r["question"].strip(), options), " %s. %s" % (r["answerKey"], answer)


SHAPERS = {
    "wikitext": shape_wikitext,
    "gsm8k": shape_gsm8k,
    "pubmedqa": shape_pubmedqa,
    "headqa_en": shape_headqa,
    "sciq": shape_sciq,
    "triviaqa": shape_triviaqa,
    "truthfulqa": shape_truthfulqa,
    "hellaswag": shape_hellaswag,
    "commonsense_qa": shape_commonsense_qa,
}


def shape_domain(name, records, source, max_items=0):
    """Shape records of one domain into (ids, prompts, responses), skipping unusable records."""
    if name not in SHAPERS:
        raise ValueError("unknown domain %r; the domains are %s" % (name, ", ".join(DOMAINS)))
    shaper = SHAPERS[name]
    ids, prompts, responses = [], [], []
    for row, record in enumerate(records):
        pair = shaper(record)
        if pair is None:
            continue
        ids.append("%s/%d" % (source, row))
        prompts.append(pair[0])
        responses.append(pair[1])
        if max_items and len(ids) == max_items:
            break
    if not ids:
        raise ValueError("domain %r has no usable records in %s" % (name, source))
    return ids, prompts, responses


def write_pool(path, domains):
    """Write a pool file; domains is a list of (name, ids, prompts, responses)."""
    import h5py  # deferred: only the writer needs it

    names = [d[0] for d in domains]
    if len(set(names)) != len(names) or len(names) < 2:
        raise ValueError("a pool needs at least two domains with distinct names, got %s" % names)
    text = h5py.string_dtype(encoding="utf-8")
    with h5py.File(path + ".tmp", "w") as f:
        f.attrs["format"] = "duet-pool"
        f.attrs["version"] = 1
        f.create_dataset("domain_names", data=names, dtype=text)
        f.create_dataset("domain_sizes", data=[len(d[1]) for d in domains], dtype="int64")
        for name, ids, prompts, responses in domains:
            if not len(ids) == len(prompts) == len(responses):
                raise ValueError("domain %r: ids, prompts and responses differ in length" % name)
            g = f.create_group("domains/" + name)
            g.create_dataset("ids", data=ids, dtype=text)
            g.create_dataset("prompt", data=prompts, dtype=text)
            g.create_dataset("response", data=responses, dtype=text)
    import os

    os.replace(path + ".tmp", path)


def read_pool_domains(path):
    """Return the (names, sizes) of a pool file's domains, in order."""
    import h5py

    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["domain_names"][()]]
        sizes = [int(s) for s in f["domain_sizes"][()]]
    return names, sizes


def read_examples(path, items):
    """Return the (prompt, response) pairs of the items {domain: [indices]}, domain by domain."""
    import h5py

    out = []
    with h5py.File(path, "r") as f:
        for name, indices in items.items():
            g = f["domains/" + name]
            prompts, responses = g["prompt"], g["response"]
            for i in indices:
                p, r = prompts[i], responses[i]
                out.append((p.decode() if isinstance(p, bytes) else p, r.decode() if isinstance(r, bytes) else r))
    return out


def export(path, domains=None, max_items=0, cache_dir=None):
    """Download the domains with Hugging Face datasets, shape them and write the pool file."""
    from datasets import load_dataset  # deferred: heavy, and needs the network or a cache

    shaped = []
    for name in domains or DOMAINS:
        dataset, config, split = SOURCES[name]
        records = load_dataset(dataset, config, split=split, cache_dir=cache_dir)
        source = "/".join(x for x in (dataset, config, split) if x)
        shaped.append((name,) + shape_domain(name, records, source, max_items))
    write_pool(path, shaped)
    return shaped
