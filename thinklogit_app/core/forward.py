"""One cached next-token forward (the only place a model is called while decoding), and
keeping some rows of a cache."""
from __future__ import annotations

import torch
from transformers import DynamicCache


def next_logits(model, ids: torch.Tensor, cache: DynamicCache) -> torch.Tensor:
    """Logits of the next token after `ids` (appended to `cache`), shape (batch, vocab), float32,
    on `model.device` (its first parameter's device, where sampling happens): a model split
    over GPUs by device_map="auto" returns them from its lm_head's device."""
    out = model(input_ids=ids.to(model.device), cache=cache, use_cache=True, logits_to_keep=1)
    return out.logits[:, -1, :].to(model.device, torch.float32)


def keep_rows(cache: DynamicCache, rows: list[int]) -> None:
    """Keep only `rows` of the batch in every layer of `cache`. Each layer gets its index on
    its own device: a target split over devices (device_map="auto") has its cache layers
    on several GPUs, and an index tensor must live where the tensor it indexes lives."""
    for layer in cache.layers:
        keys = getattr(layer, "keys", None)
        device = keys.device if torch.is_tensor(keys) else "cpu"
        layer.batch_select_indices(torch.tensor(rows, device=device))
