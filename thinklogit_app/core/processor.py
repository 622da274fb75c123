"""ThinkLogit as a transformers `LogitsProcessor`, for `target.generate(...)`.

It keeps its own KV caches for the guider and the base, feeds them the tokens that
`generate` appended since the last call, and adds alpha * (guider - base) to the
target's scores over the common vocabulary width.
"""
from __future__ import annotations

import torch
from transformers import DynamicCache, LogitsProcessor

from .arithmetic import AlphaSchedule, combine_logits
from .forward import next_logits


class ThinkLogitProcessor(LogitsProcessor):
    """Adds alpha * (guider - base) to the target's next-token scores.

    Works for any batch of unpadded rows (e.g. prompts of equal token length); the
    guider and base see exactly the ids the target sees. A new `generate` call (a
    sequence that is not the previous one plus one token) resets the caches.

    Example:
        >>> proc = ThinkLogitProcessor(guider, base, alpha=1.0)  # doctest: +SKIP
        >>> target.generate(ids, max_new_tokens=32, logits_processor=[proc])  # doctest: +SKIP
    """

    def __init__(self, guider, base, alpha: float | AlphaSchedule = 1.0):
        if isinstance(alpha, AlphaSchedule):
            self.schedule = alpha
        elif isinstance(alpha, (int, float)):
            self.schedule = AlphaSchedule(alpha=float(alpha))
        else:
            raise ValueError(f"alpha must be a number or an AlphaSchedule, got {alpha!r}")
        self.guider = guider
        self.base = base
        self.reset()

    def reset(self) -> None:
        self._caches: tuple[DynamicCache, DynamicCache] | None = None
        self._ids: torch.Tensor | None = None
        self._prompt_length = 0

    @torch.no_grad()
    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        length = input_ids.shape[1]
        continues = (
            self._ids is not None
            and length == self._ids.shape[1] + 1
            and torch.equal(input_ids[:, :-1], self._ids)
        )
        if continues:
            new_ids = input_ids[:, -1:]
        else:
            self.reset()
            self._caches = (DynamicCache(), DynamicCache())
            self._prompt_length = length
            new_ids = input_ids
        self._ids = input_ids
        guider_logits = next_logits(self.guider, new_ids, self._caches[0])
        base_logits = next_logits(self.base, new_ids, self._caches[1])
        alpha = self.schedule.at(length - self._prompt_length)
        guided = combine_logits(scores, guider_logits.to(scores.device), base_logits.to(scores.device), alpha)
        return guided.to(scores.dtype)
