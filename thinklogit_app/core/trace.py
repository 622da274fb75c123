"""Per-token records: what the target wanted, what the guider pair pushed, what was picked.

The numbers of one guided step are computed on the model's device and packed into one
tensor (`trace_numbers`) so tracing costs a single device->host copy per step.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch


class TokenTexts:
    """Token id -> display text, cached (the same ids recur in every top-k table)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.cache: dict[int, str] = {}

    def __getitem__(self, token_id: int) -> str:
        text = self.cache.get(token_id)
        if text is None:
            text = self.cache[token_id] = self.tokenizer.decode([token_id])
        return text


@dataclass
class BaselineToken:
    step: int
    token_id: int
    token: str
    prob: float  # the target's probability of this token

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class StepTrace:
    """One guided token. Logits are raw; probabilities are softmax at temperature 1.
    `delta` = alpha * (guider - base) on the chosen token; `steered` = the guided top
    choice differs from the target's own top choice at this prefix."""

    step: int
    token_id: int
    token: str
    alpha: float
    target_logit: float
    target_prob: float
    delta: float
    guided_logit: float
    guided_prob: float
    target_pick_id: int
    target_pick: str
    target_pick_delta: float  # alpha * (guider - base) on the target's own pick
    steered: bool
    kl: float  # KL(guided || target), nats
    target_top: list[dict]  # {"id", "token", "logit", "prob"}
    delta_up: list[dict]  # {"id", "token", "delta"}: pushed up most
    delta_down: list[dict]  # pushed down most
    guided_top: list[dict]  # {"id", "token", "logit", "prob"}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "StepTrace":
        return cls(**data)


def trace_numbers(target: torch.Tensor, delta: torch.Tensor, guided: torch.Tensor, token: torch.Tensor, k: int):
    """Everything a StepTrace needs for one step, as one float64 vector (see unpack_trace)."""
    target_lp = torch.log_softmax(target, dim=-1)
    guided_lp = torch.log_softmax(guided, dim=-1)
    width = delta.shape[-1]
    k = min(k, width, target.shape[-1])
    def delta_at(i):  # rows beyond the shared width get no delta
        return torch.where(i < width, delta[i.clamp(max=width - 1)], torch.zeros_like(delta[0]))

    pick = target.argmax()
    kl = (guided_lp.exp() * (guided_lp - target_lp)).sum()
    head = torch.stack([token.to(target.dtype), target[token], target_lp[token].exp(), delta_at(token), guided[token],
                        guided_lp[token].exp(), pick.to(target.dtype), kl, delta_at(pick)])
    t_val, t_id = target.topk(k)
    up_val, up_id = delta.topk(k)
    down_val, down_id = (-delta).topk(k)
    g_val, g_id = guided.topk(k)
    parts = [head, t_id, t_val, target_lp[t_id].exp(), up_id, up_val, down_id, -down_val,
             g_id, g_val, guided_lp[g_id].exp()]
    return torch.cat([p.to(torch.float64).reshape(-1) for p in parts]).cpu()


HEAD = 9


def unpack_trace(step: int, alpha: float, numbers: list[float], texts: TokenTexts) -> StepTrace:
    """The vector of trace_numbers -> StepTrace (with token texts)."""
    k = (len(numbers) - HEAD) // 10
    token, t_logit, t_prob, delta, g_logit, g_prob, pick, kl, pick_delta = numbers[:HEAD]
    rest = numbers[HEAD:]
    chunks = [rest[i * k : (i + 1) * k] for i in range(10)]
    t_id, t_val, t_p, up_id, up_val, down_id, down_val, g_id, g_val, g_p = chunks

    def table(ids, logits, probs):
        return [{"id": int(i), "token": texts[int(i)], "logit": v, "prob": p} for i, v, p in zip(ids, logits, probs)]

    def deltas(ids, values):
        return [{"id": int(i), "token": texts[int(i)], "delta": v} for i, v in zip(ids, values)]

    return StepTrace(
        step=step, token_id=int(token), token=texts[int(token)], alpha=alpha, target_logit=t_logit, target_prob=t_prob,
        delta=delta, guided_logit=g_logit, guided_prob=g_prob, target_pick_id=int(pick),
        target_pick=texts[int(pick)], target_pick_delta=pick_delta, steered=int(g_id[0]) != int(pick), kl=max(kl, 0.0),
        target_top=table(t_id, t_val, t_p), delta_up=deltas(up_id, up_val),
        delta_down=deltas(down_id, down_val), guided_top=table(g_id, g_val, g_p),
    )
