"""LoRA fine-tuning with the DUET reference settings (Hugging Face transformers and PEFT)."""

import math
import random

IGNORE_INDEX = -100  # label of tokens left out of the loss (the prompt)


def tokenize_example(tokenizer, prompt, response, max_length):
    """Token ids and labels of one example: the prompt's tokens get IGNORE_INDEX, so only the
    response is learned; the sequence ends with EOS and is cut to max_length tokens."""
    prompt_ids = tokenizer.encode(prompt, add_special_tokens=True) if prompt else (
        [tokenizer.bos_token_id] if getattr(tokenizer, "bos_token_id", None) is not None else [])
    response_ids = tokenizer.encode(response, add_special_tokens=False)
    if getattr(tokenizer, "eos_token_id", None) is not None:
        response_ids = response_ids + [tokenizer.eos_token_id]
    ids = (prompt_ids + response_ids)[:max_length]
    labels = ([IGNORE_INDEX] * len(prompt_ids) + response_ids)[:max_length]
    return ids, labels


def pad_batch(examples, pad_id):
    """Right-pads (ids, labels) pairs into equal-length lists with an attention mask."""
    width = max(len(ids) for ids, _ in examples)
    input_ids, labels, mask = [], [], []
    for ids, lab in examples:
        extra = width - len(ids)
        input_ids.append(ids + [pad_id] * extra)
        labels.append(lab + [IGNORE_INDEX] * extra)
        mask.append([1] * len(ids) + [0] * extra)
    return input_ids, labels, mask


def batches(n, batch_size, seed):
    """Shuffled index batches of one epoch, from a seeded generator."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def train_lora(model_name, examples, options, seed, log=print):
    """Fine-tune LoRA adapters of model_name on examples [(prompt, response)]; returns
    (model, tokenizer). options are the backend's resolved settings."""
    import torch  # deferred: heavy
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(seed % (1 << 63))
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[options["precision"]]
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_name, torch_dtype=dtype, device_map="auto")
    config = LoraConfig(r=options["lora_rank"], lora_alpha=options["lora_alpha"],
                        lora_dropout=options["lora_dropout"], target_modules=options["lora_targets"],
                        bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(model, config)
    model.train()
    data = [tokenize_example(tokenizer, p, r, options["max_length"]) for p, r in examples]
    steps_per_epoch = math.ceil(len(data) / options["batch_size"])
    total = steps_per_epoch * options["epochs"]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=options["learning_rate"])
    schedule = get_linear_schedule_with_warmup(optimizer, options["warmup_steps"], total)
    device = next(model.parameters()).device
    step = 0
    for epoch in range(options["epochs"]):
        for batch in batches(len(data), options["batch_size"], seed + epoch):
            ids, labels, mask = pad_batch([data[i] for i in batch], tokenizer.pad_token_id)
            out = model(input_ids=torch.tensor(ids, device=device),
                        attention_mask=torch.tensor(mask, device=device),
                        labels=torch.tensor(labels, device=device))
            out.loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            if step % 50 == 0 or step == total:
                log("step %d/%d loss %.4f" % (step, total, out.loss.item()))
    model.eval()
    return model, tokenizer
