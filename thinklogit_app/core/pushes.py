"""What each guider pair pushes at one step: alpha * (guider - base) for the next token after
a prefix, one full forward per model (no cache: a teaching view of one step, not a decode).
Comparing a guider with its DPO variant on the same prefix shows what preference training
changed about the push at that step."""
from __future__ import annotations

import torch

from .arithmetic import common_vocab, steering_delta


@torch.no_grad()
def next_logits_of(model, ids: torch.Tensor) -> torch.Tensor:
    """The (vocab,) float32 logits of the token after `ids` (shape (1, length))."""
    out = model(input_ids=ids.to(model.device), use_cache=False, logits_to_keep=1)
    return out.logits[0, -1].float().cpu()


def guider_pushes(base, guiders: dict[str, torch.nn.Module], ids: torch.Tensor, alpha: float) -> dict[str, torch.Tensor]:
    """{name: alpha * (guider - base)} over the vocabulary all of them share, at the step after `ids`."""
    base_logits = next_logits_of(base, ids)
    logits = {name: next_logits_of(model, ids) for name, model in guiders.items()}
    width = common_vocab(base_logits.shape[-1], *(v.shape[-1] for v in logits.values()))
    return {name: steering_delta(v, base_logits, alpha, width) for name, v in logits.items()}
