"""Many completions at once with `model.generate`: prompts grouped by token length so no
row is padded, ThinkLogit as a `ThinkLogitProcessor`. Used by evaluation (greedy) and by
DPO pair mining (sampled)."""
from __future__ import annotations

import threading
from collections import defaultdict
from typing import Callable

import torch
from transformers import GenerationConfig, StoppingCriteria, StoppingCriteriaList

from ..core.arithmetic import AlphaSchedule
from ..core.cancel import Cancelled, reason_of
from ..core.processor import ThinkLogitProcessor
from ..core.sampling import make_warpers


# what `generate` may keep from a model's generation config: which ids end or pad a row
_MODEL_IDS = {"eos_token_id", "pad_token_id", "bos_token_id", "decoder_start_token_id"}


def only_our_settings(model, **ours) -> dict:
    """`generate` keyword arguments that leave nothing to the model's generation config.

    `generate` fills every setting not passed explicitly from `model.generation_config`
    (an instruct model's carries repetition_penalty, top_k, temperature, top_p...), even
    when a fresh GenerationConfig is passed. So every field the model's config sets is
    passed here: ours where we choose it, the library's neutral default otherwise (None
    where the default is None); temperature and top-p are applied by our own warpers
    after ThinkLogit's processor, so generate's own are neutral (1.0, top_k off).
    """
    neutral = GenerationConfig._get_default_generation_params() | {"temperature": 1.0, "top_p": 1.0, "top_k": None,
                                                                  "min_p": None, "typical_p": 1.0}
    fields = {key: neutral.get(key) for key in model.generation_config.to_diff_dict()
              if key not in _MODEL_IDS and hasattr(GenerationConfig(), key) and not key.startswith("_")}
    fields.pop("transformers_version", None)
    return fields | {k: neutral[k] for k in ("temperature", "top_p", "top_k", "repetition_penalty")} | ours


def sample_completions(model, tokenizer, prompts: list[str], n: int, *, temperature: float, top_p: float,
                       max_new_tokens: int, seed: int, guider=None, base=None,
                       schedule: AlphaSchedule | None = None, batch_size: int = 64,
                       on_batch: Callable[[int], None] | None = None,
                       cancel: threading.Event | None = None) -> list[list[str]]:
    """`n` sampled completions per prompt (prompt excluded, specials dropped).

    With `guider` and `base` the target decodes under ThinkLogit; temperature and top-p
    apply AFTER the combination (our warpers follow the processor; `generate`'s own are off).
    Prompts are batched by token length so no row is padded. Seeded per batch.
    `cancel.set()` ends `generate` at its next token and raises Cancelled.
    """
    if n < 1:
        raise ValueError(f"samples per prompt must be >= 1, got {n}")
    encoded = [tokenizer(p).input_ids for p in prompts]
    groups: dict[int, list[int]] = defaultdict(list)
    for i, ids in enumerate(encoded):
        groups[len(ids)].append(i)
    eos = model.generation_config.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    per_batch = max(1, batch_size // n)  # prompts per generate call; each is repeated n times
    outputs: list[list[str]] = [[] for _ in prompts]
    batch_number = 0
    for indices in groups.values():
        for start in range(0, len(indices), per_batch):
            _check(cancel)
            chunk = indices[start:start + per_batch]
            ids = torch.tensor([encoded[i] for i in chunk], device=model.device).repeat_interleave(n, dim=0)
            processors = ([ThinkLogitProcessor(guider, base, schedule or AlphaSchedule(), unpadded_rows=True)]
                          if guider is not None else [])
            processors += list(make_warpers(temperature, top_p))
            torch.manual_seed(seed * 100_003 + batch_number)
            with torch.no_grad():
                generated = model.generate(
                    input_ids=ids, attention_mask=torch.ones_like(ids), logits_processor=processors,
                    stopping_criteria=StoppingCriteriaList([StopOnCancel(cancel)]) if cancel is not None else None,
                    **only_our_settings(model, do_sample=temperature > 0, max_new_tokens=max_new_tokens,
                                        eos_token_id=eos, pad_token_id=pad),
                )
            _check(cancel)
            for row in range(generated.shape[0]):
                text = tokenizer.decode(generated[row, ids.shape[1]:], skip_special_tokens=True)
                outputs[chunk[row // n]].append(text)
            batch_number += 1
            if on_batch:
                on_batch(len(chunk))
    return outputs


class StopOnCancel(StoppingCriteria):
    """Ends every row of a `generate` call once `cancel` is set (checked at each token)."""

    def __init__(self, cancel: threading.Event):
        self.cancel = cancel

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.cancel.is_set(), dtype=torch.bool, device=input_ids.device)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled(reason_of(cancel), "the evaluation")
