"""The ThinkLogit formula and its alpha schedules (pure tensor code, no models).

    guided = target + alpha * (guider - base)

on raw logits, over the vocabulary width the three models share; rows beyond that
width (padding rows of a wider target) keep the target's logit.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

SCHEDULE_KINDS = ("constant", "warmup", "ramp", "first")


def common_vocab(*widths: int) -> int:
    """The number of leading vocabulary rows every model has."""
    if not widths or min(widths) <= 0:
        raise ValueError(f"vocabulary widths must be positive, got {widths}")
    return min(widths)


def steering_delta(guider_logits: torch.Tensor, base_logits: torch.Tensor, alpha: float, width: int) -> torch.Tensor:
    """alpha * (guider - base) over the first `width` rows, as float32 (alpha: a number, or a
    column of one alpha per batch row)."""
    return alpha * (guider_logits[..., :width].float() - base_logits[..., :width].float())


def combine_logits(
    target_logits: torch.Tensor, guider_logits: torch.Tensor, base_logits: torch.Tensor, alpha: float
) -> torch.Tensor:
    """guided = target + alpha * (guider - base) over the common width; never edits its inputs.

    >>> t = torch.tensor([[1.0, 2.0, 3.0]]); g = torch.tensor([[0.0, 1.0]]); b = torch.tensor([[0.0, 0.0]])
    >>> combine_logits(t, g, b, 2.0)
    tensor([[1., 4., 3.]])
    """
    width = common_vocab(target_logits.shape[-1], guider_logits.shape[-1], base_logits.shape[-1])
    guided = target_logits.float().clone()
    guided[..., :width] += steering_delta(guider_logits, base_logits, alpha, width).to(guided.device)
    return guided


@dataclass(frozen=True)
class AlphaSchedule:
    """How alpha evolves over generated tokens (step 0 = first generated token).

    constant: alpha at every step. warmup: 0 for the first `n` steps, then alpha (the
    paper's runs: n=100). ramp: alpha * (step+1)/n for the first n steps, then alpha.
    first: alpha for the first `n` steps, then 0 (guidance stops: "what did the first
    n nudges set off?").
    """

    alpha: float = 1.0
    kind: str = "constant"
    n: int = 0

    def __post_init__(self):
        if self.kind not in SCHEDULE_KINDS:
            raise ValueError(f"unknown alpha schedule {self.kind!r}: use one of {', '.join(SCHEDULE_KINDS)}")
        if self.n < 0:
            raise ValueError(f"schedule length must be >= 0, got {self.n}")
        if not (self.alpha == self.alpha) or abs(self.alpha) == float("inf"):
            raise ValueError(f"alpha must be a finite number, got {self.alpha}")

    def at(self, step: int) -> float:
        if self.kind == "warmup":
            return 0.0 if step < self.n else self.alpha
        if self.kind == "first":
            return self.alpha if step < self.n else 0.0
        if self.kind == "ramp" and step < self.n:
            return self.alpha * (step + 1) / self.n
        return self.alpha

    @property
    def spec(self) -> str:
        return self.kind if self.kind == "constant" else f"{self.kind}:{self.n}"

    @classmethod
    def parse(cls, spec: str, alpha: float = 1.0) -> "AlphaSchedule":
        """'constant', 'warmup:100', 'ramp:100' or 'first:5' -> AlphaSchedule."""
        text = (spec or "constant").strip().lower()
        kind, _, count = text.partition(":")
        if kind == "constant" and not count:
            return cls(alpha=alpha)
        if kind in ("warmup", "ramp", "first"):
            try:
                n = int(count)
            except ValueError:
                raise ValueError(f"schedule {spec!r} needs a token count, e.g. '{kind}:100'") from None
            return cls(alpha=alpha, kind=kind, n=n)
        raise ValueError(f"unknown schedule {spec!r}: use constant, warmup:N, ramp:N or first:N")
