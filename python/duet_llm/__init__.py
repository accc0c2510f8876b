"""duet_llm: the LLM worker of duet.

It implements duet's worker protocol (docs/worker-protocol.md) for the ``llm`` backend: LoRA
fine-tuning of a Hugging Face causal language model on the training subset a manifest lists, and
zero-shot evaluation with lm-evaluation-harness. It also exports the nine training domains to a
pool file and computes per-domain influence scores (DataInf, LiSSA) on LoRA gradients.

Heavy packages (torch, transformers, peft, lm_eval, datasets) are imported inside the functions
that need them, so the protocol, export shaping and argument checks run on any Python 3.
"""

__version__ = "0.1.0"
