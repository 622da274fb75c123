"""Per-token records: what the target wanted, what the guider pair pushed, what was picked.

The numbers of one guided step are computed on the model's device and packed into one
tensor (`trace_numbers`) so tracing costs a single device->host copy per step. The packing
is named: the scalars in the order of `SCALARS`, then one k-long column per `COLUMNS`.
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

    For the chosen token (`token_id`) and for the target's own top pick (`target_pick_*`):
    the target's, guider's and base's logits, `delta` = alpha * (guider - base) and the
    guided logit = target + delta. `steered` is exactly "the chosen token differs from the
    target's own top pick": the guider flipped the token the target alone would have
    written greedily (under sampling too, it compares the token actually chosen).
    `delta_up` / `delta_down` leave out special tokens no model writes (pad, unk, bos...;
    EOS stays) and ids beyond the tokenizer (padding rows)."""

    step: int
    token_id: int
    token: str
    alpha: float
    target_logit: float
    target_prob: float
    guider_logit: float
    base_logit: float
    delta: float
    guided_logit: float
    guided_prob: float
    target_pick_id: int
    target_pick: str
    target_pick_logit: float
    target_pick_prob: float
    target_pick_guider_logit: float
    target_pick_base_logit: float
    target_pick_delta: float  # alpha * (guider - base) on the target's own pick
    target_pick_guided_logit: float
    target_pick_guided_prob: float
    steered: bool  # token_id != target_pick_id
    kl: float  # KL(guided || target), nats
    target_top: list[dict]  # {"id", "token", "logit", "prob"}
    delta_up: list[dict]  # {"id", "token", "delta"}: pushed up most
    delta_down: list[dict]  # pushed down most
    guided_top: list[dict]  # {"id", "token", "logit", "prob"}
    forced: bool = False  # the token was forced (a counterfactual), not chosen by decoding

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "StepTrace":
        return cls(**data)


# Per token (chosen, then the target's pick): these scalars, in this order, open the packed vector.
PER_TOKEN = ("logit", "prob", "guider_logit", "base_logit", "delta", "guided_logit", "guided_prob")
SCALARS = ("token_id", "target_pick_id", "kl") + tuple(f"chosen_{n}" for n in PER_TOKEN) + \
          tuple(f"pick_{n}" for n in PER_TOKEN)
COLUMNS = ("target_top_id", "target_top_logit", "target_top_prob", "up_id", "up_delta", "down_id", "down_delta",
           "guided_top_id", "guided_top_logit", "guided_top_prob")


def hidden_ids(tokenizer, width: int, eos_ids: set[int], device=None) -> torch.Tensor:
    """A (width,) bool mask of ids left out of the pushed up / down tables: special tokens
    no model writes (pad, unk, bos, chat markers; EOS stays) and rows beyond the tokenizer."""
    hidden = torch.zeros(width, dtype=torch.bool, device=device)
    hidden[min(len(tokenizer), width):] = True
    special = [i for i in getattr(tokenizer, "all_special_ids", []) if i < width and i not in eos_ids]
    if special:
        hidden[torch.tensor(special, device=device)] = True
    return hidden


def trace_numbers(target: torch.Tensor, guider: torch.Tensor, base: torch.Tensor, delta: torch.Tensor,
                  guided: torch.Tensor, token: torch.Tensor, k: int, hidden: torch.Tensor | None = None):
    """Everything a StepTrace needs for one step, as one float64 vector (see unpack_trace).
    `guider`, `base`, `delta` span the shared width; `target`, `guided` the target's."""
    target_lp = torch.log_softmax(target, dim=-1)
    guided_lp = torch.log_softmax(guided, dim=-1)
    width = delta.shape[-1]
    k = min(k, width, target.shape[-1])

    def shared(values, i):  # rows beyond the shared width: no guider/base logit, no delta (0)
        return torch.where(i < width, values[i.clamp(max=width - 1)], torch.zeros_like(values[0]))

    def per_token(i):
        return [target[i], target_lp[i].exp(), shared(guider, i), shared(base, i), shared(delta, i),
                guided[i], guided_lp[i].exp()]

    pick = target.argmax()
    kl = (guided_lp.exp() * (guided_lp - target_lp)).sum()
    head = torch.stack([token.to(target.dtype), pick.to(target.dtype), kl] + per_token(token) + per_token(pick))
    shown = delta if hidden is None else delta.masked_fill(hidden, float("-inf"))
    shown_down = -delta if hidden is None else (-delta).masked_fill(hidden, float("-inf"))
    t_val, t_id = target.topk(k)
    up_val, up_id = shown.topk(k)
    down_val, down_id = shown_down.topk(k)
    g_val, g_id = guided.topk(k)
    columns = [t_id, t_val, target_lp[t_id].exp(), up_id, delta[up_id], down_id, delta[down_id],
               g_id, g_val, guided_lp[g_id].exp()]
    return torch.cat([p.to(torch.float64).reshape(-1) for p in [head] + columns]).cpu()


def unpack_trace(step: int, alpha: float, numbers: list[float], texts: TokenTexts, forced: bool = False) -> StepTrace:
    """The vector of trace_numbers -> StepTrace (with token texts)."""
    s = dict(zip(SCALARS, numbers[:len(SCALARS)]))
    rest = numbers[len(SCALARS):]
    k = len(rest) // len(COLUMNS)
    c = {name: rest[i * k:(i + 1) * k] for i, name in enumerate(COLUMNS)}

    def table(ids, logits, probs):
        return [{"id": int(i), "token": texts[int(i)], "logit": v, "prob": p} for i, v, p in zip(ids, logits, probs)]

    def deltas(ids, values):
        return [{"id": int(i), "token": texts[int(i)], "delta": v} for i, v in zip(ids, values)]

    token, pick = int(s["token_id"]), int(s["target_pick_id"])
    return StepTrace(
        step=step, token_id=token, token=texts[token], alpha=alpha,
        target_logit=s["chosen_logit"], target_prob=s["chosen_prob"], guider_logit=s["chosen_guider_logit"],
        base_logit=s["chosen_base_logit"], delta=s["chosen_delta"], guided_logit=s["chosen_guided_logit"],
        guided_prob=s["chosen_guided_prob"],
        target_pick_id=pick, target_pick=texts[pick], target_pick_logit=s["pick_logit"],
        target_pick_prob=s["pick_prob"], target_pick_guider_logit=s["pick_guider_logit"],
        target_pick_base_logit=s["pick_base_logit"], target_pick_delta=s["pick_delta"],
        target_pick_guided_logit=s["pick_guided_logit"], target_pick_guided_prob=s["pick_guided_prob"],
        steered=token != pick, kl=max(s["kl"], 0.0),
        target_top=table(c["target_top_id"], c["target_top_logit"], c["target_top_prob"]),
        delta_up=deltas(c["up_id"], c["up_delta"]), delta_down=deltas(c["down_id"], c["down_delta"]),
        guided_top=table(c["guided_top_id"], c["guided_top_logit"], c["guided_top_prob"]), forced=forced,
    )


# ---- flips: where the guider changed the token the target would have written -----------

def flips(records: list[StepTrace]) -> list[dict]:
    """One entry per token the guider flipped: {"step", "target_pick", "token"} (the target's
    own top pick -> what the guided stream wrote); a forced token is not the guider's flip."""
    return [{"step": r.step, "target_pick": r.target_pick, "token": r.token} for r in records
            if r.steered and not r.forced]


def _shown(token: str) -> str:
    return repr(token)[1:-1].replace("`", "'")


def flip_headline(records: list[StepTrace], limit: int = 5) -> str:
    """'flipped 1 of 69 tokens: step 0, `A`→`5`' — the run's steering in one line."""
    found = flips(records)
    head = f"flipped {len(found)} of {len(records)} tokens"
    if not found:
        return head + ": the guided stream wrote what the target alone would have written at every step"
    shown = ", ".join(f"step {f['step']}, `{_shown(f['target_pick'])}`→`{_shown(f['token'])}`" for f in found[:limit])
    more = f", and {len(found) - limit} more" if len(found) > limit else ""
    return f"{head}: {shown}{more}"


def flip_summary(records: list[StepTrace]) -> dict:
    """The run's flips for a run record: {"count", "tokens", "flips", "headline"}."""
    found = flips(records)
    return {"count": len(found), "tokens": len(records), "flips": found, "headline": flip_headline(records)}
