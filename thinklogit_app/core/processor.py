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

    The guider and base see exactly the ids the target sees, so it refuses (ValueError)
    what it cannot follow correctly instead of silently resetting: a batch of several rows
    unless the caller declares them unpadded (`unpadded_rows=True`, e.g. prompts grouped
    by token length: a left-padded row would feed the guider pair pad tokens without
    their attention mask), and any call whose ids are not the previous call's plus one
    token — beam search reorders rows, and a second `generate` call starts over: use one
    processor per `generate` call.

    Example:
        >>> proc = ThinkLogitProcessor(guider, base, alpha=1.0)  # doctest: +SKIP
        >>> target.generate(ids, max_new_tokens=32, logits_processor=[proc])  # doctest: +SKIP
    """

    def __init__(self, guider, base, alpha: float | AlphaSchedule = 1.0, unpadded_rows: bool = False):
        self.unpadded_rows = unpadded_rows
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
        if self._ids is None:
            if input_ids.shape[0] > 1 and not self.unpadded_rows:
                raise ValueError(
                    f"ThinkLogitProcessor got a batch of {input_ids.shape[0]} rows: it feeds the guider and base "
                    "the target's ids without an attention mask, so padded rows would be wrong. Decode one row "
                    "at a time, or group prompts of equal token length and pass unpadded_rows=True"
                )
            self._caches = (DynamicCache(), DynamicCache())
            self._prompt_length = length
            new_ids = input_ids
        elif (input_ids.shape[0] == self._ids.shape[0] and length == self._ids.shape[1] + 1
              and torch.equal(input_ids[:, :-1], self._ids)):
            new_ids = input_ids[:, -1:]
        else:
            raise ValueError(
                "ThinkLogitProcessor was given ids that are not its previous ids plus one token: use one "
                "processor per generate call, and no beam search (num_beams must be 1)"
            )
        self._ids = input_ids
        guider_logits = next_logits(self.guider, new_ids, self._caches[0])
        base_logits = next_logits(self.base, new_ids, self._caches[1])
        alpha = self.schedule.at(length - self._prompt_length)
        guided = combine_logits(scores, guider_logits.to(scores.device), base_logits.to(scores.device), alpha)
        return guided.to(scores.dtype)
