"""Per-item influence scores on LoRA gradients: DataInf and LiSSA.

Scores follow duet's sign convention: larger means more helpful, i.e. the score of training item
i is  g_val^T (H + lambda I)^-1 g_i,  the first-order rise of the held-out loss when item i is
removed (Koh and Liang, "Understanding Black-box Predictions via Influence Functions", 2017).
H is the empirical Fisher (1/n) sum_i g_i g_i^T of the training gradients, per LoRA layer.

The estimators work on NumPy arrays of per-item gradients, one array [n, d_l] per layer, so they
are tested on small problems against direct dense solves; collect_gradients() produces those
arrays from a PEFT model with torch.
"""

import numpy as np


def datainf(train_grads, val_grads, lambda_scale=0.1):
    """DataInf (Kwon, Wu, Wu, Zou, "DataInf: Efficiently Estimating Data Influence in
    LoRA-tuned LLMs and Diffusion Models", 2023): per layer, (H_l + lambda_l I)^-1 is replaced by
    the mean of the per-item inverses (lambda_l I + g g^T)^-1, each in closed form by
    Sherman-Morrison, with lambda_l = lambda_scale * mean ||g_il||^2.

    train_grads: list of [n, d_l] arrays; val_grads: list of [d_l] mean held-out gradients.
    Returns the scores [n].
    """
    if len(train_grads) != len(val_grads) or not train_grads:
        raise ValueError("need one validation gradient per layer, got %d layers and %d" % (len(train_grads), len(val_grads)))
    n = train_grads[0].shape[0]
    scores = np.zeros(n)
    for g, v in zip(train_grads, val_grads):
        g = np.asarray(g, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        if g.shape != (n, v.shape[0]):
            raise ValueError("layer gradients of shape %s do not match %d items and %d parameters" % (g.shape, n, v.shape[0]))
        norms = np.einsum("ij,ij->i", g, g)
        lam = lambda_scale * norms.mean()
        if lam <= 0:
            continue
        dots = g @ v
        # (1/n) sum_j (1/lam) (v - g_j (g_j.v) / (lam + |g_j|^2)) = the approximate H^-1 v.
        hinv_v = (v - (g * (dots / (lam + norms))[:, None]).mean(axis=0)) / lam
        scores += g @ hinv_v
    return scores


def lissa(train_grads, val_grads, damping=1e-3, scale=1e4, depth=None, repeats=1, batch=1, rng=None):
    """LiSSA (Agarwal, Bullins, Hazan, "Second-Order Stochastic Optimization for Machine Learning
    in Linear Time", 2017) as used by Koh and Liang: the recursion
        h <- v + (1 - damping) h - (H_B h) / scale,   H_B = mean over a batch B of g_s g_s^T
    with B drawn at random converges to scale * (H + damping*scale I)^-1 v, so the estimate is
    h / scale. Defaults follow the DUET reference code: damping 1e-3, scale 1e4, depth n/10, one
    repeat, one item per step (batch >= n uses every item, which makes the recursion exact).

    train_grads, val_grads as for datainf; returns the scores [n].
    """
    rng = rng or np.random.default_rng(0)
    n = train_grads[0].shape[0]
    depth = depth or max(1, n // 10)
    scores = np.zeros(n)
    for g, v in zip(train_grads, val_grads):
        g = np.asarray(g, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        estimate = np.zeros_like(v)
        for _ in range(repeats):
            h = v.copy()
            for _ in range(depth):
                s = np.arange(n) if batch >= n else rng.integers(0, n, size=batch)
                hvp = g[s].T @ (g[s] @ h) / len(s)
                h = v + (1.0 - damping) * h - hvp / scale
            estimate += h / scale
        scores += g @ (estimate / repeats)
    return scores


def collect_gradients(model, tokenizer, examples, max_length):
    """Per-example gradients of the LoRA parameters, one [n, d_l] float32 array per LoRA layer
    (the A and B matrices of a module concatenated)."""
    import torch  # deferred: heavy

    from .train import tokenize_example

    layers = {}
    for name, p in model.named_parameters():
        if p.requires_grad and "lora_" in name:
            layers.setdefault(name.replace("lora_A", "lora").replace("lora_B", "lora"), []).append(p)
    names = sorted(layers)
    out = {name: [] for name in names}
    device = next(model.parameters()).device
    model.eval()
    for prompt, response in examples:
        ids, labels = tokenize_example(tokenizer, prompt, response, max_length)
        model.zero_grad(set_to_none=True)
        loss = model(input_ids=torch.tensor([ids], device=device), labels=torch.tensor([labels], device=device)).loss
        loss.backward()
        for name in names:
            out[name].append(torch.cat([p.grad.detach().float().flatten() for p in layers[name]]).cpu().numpy())
    return [np.stack(out[name]) for name in names]


def write_scores(path, scores, estimator, settings_text):
    """Write a scores file: one float64 dataset per domain, named by the domain, with attributes
    estimator and settings on each."""
    import h5py

    with h5py.File(path + ".tmp", "w") as f:
        for domain, values in scores.items():
            d = f.create_dataset(domain, data=np.asarray(values, dtype=np.float64))
            d.attrs["estimator"] = estimator
            d.attrs["settings"] = settings_text
    import os

    os.replace(path + ".tmp", path)
