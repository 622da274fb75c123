"""Choosing the next token from (combined) logits: greedy, or temperature then top-p.

The warpers are transformers' own, so a sampled stream matches `model.generate`'s rules.
"""
from __future__ import annotations

import torch
from transformers.generation.logits_process import LogitsProcessorList, TemperatureLogitsWarper, TopPLogitsWarper


def validate_sampling(temperature: float, top_p: float) -> None:
    if not (temperature >= 0):
        raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}")
    if not (0 < top_p <= 1):
        raise ValueError(f"top-p must be in (0, 1], got {top_p}")


def make_warpers(temperature: float, top_p: float) -> LogitsProcessorList:
    validate_sampling(temperature, top_p)
    warpers = LogitsProcessorList()
    if temperature > 0 and temperature != 1.0:
        warpers.append(TemperatureLogitsWarper(temperature))
    if temperature > 0 and top_p < 1.0:
        warpers.append(TopPLogitsWarper(top_p))
    return warpers


def choose_next(
    logits: torch.Tensor,
    temperature: float,
    warpers: LogitsProcessorList,
    input_ids: torch.Tensor,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Next token ids, shape (batch,). Greedy when temperature is 0."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    scores = warpers(input_ids, logits.float())
    probs = torch.softmax(scores, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator).squeeze(-1)
