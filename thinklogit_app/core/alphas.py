"""One prompt decoded at a grid of alpha values as ONE batched decode: row i is the guided
stream at alphas[i]. The target, the guider and the base each run one forward per step
for all live rows (equal lengths, so no padding); the prompt is prefilled once per model
and its cache rows copied. A finished row is dropped from all three caches.

Each row has its own generator seeded like `decode`'s guided stream, and the combination
is the engine's, so every row equals a separate guided run at its alpha (greedy: token for
token; see tests/test_alphas.py).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import torch
from transformers import DynamicCache

from .arithmetic import AlphaSchedule, common_vocab, steering_delta
from .cancel import reason_of
from .engine import DecodeSettings, _Forward, _stop_reason, encode_prompt
from .forward import keep_rows
from .sampling import choose_next, make_warpers
from .trace import TokenTexts

DEFAULT_ALPHAS = tuple(i / 4 for i in range(13))  # 0, 0.25, ..., 3


@dataclass
class AlphaRow:
    """The guided stream at one alpha: its tokens, where the guider flipped the target's
    own top pick, and per token guided prob - target prob of the token written."""

    alpha: float
    ids: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)
    flips: list[dict] = field(default_factory=list)  # {"step", "target_pick", "token"}
    stop_reason: str | None = None

    def to_dict(self, tokenizer) -> dict:
        return {"alpha": self.alpha, "ids": list(self.ids), "text": tokenizer.decode(self.ids, skip_special_tokens=True),
                "stop_reason": self.stop_reason, "flips": list(self.flips), "tokens": list(self.tokens),
                "changes": list(self.changes)}


def _row_numbers(target: torch.Tensor, guided: torch.Tensor, tokens: torch.Tensor) -> list[list[float]]:
    """Per row: [token, target's pick, target prob of token, guided prob of token], one transfer."""
    index = tokens.view(-1, 1)
    t_prob = torch.softmax(target, dim=-1).gather(1, index).squeeze(1)
    g_prob = torch.softmax(guided, dim=-1).gather(1, index).squeeze(1)
    packed = torch.stack([tokens.to(t_prob.dtype), target.argmax(-1).to(t_prob.dtype), t_prob, g_prob], dim=1)
    return packed.to(torch.float64).cpu().tolist()


@torch.inference_mode()
def decode_alphas(trio, prompt: str, alphas=DEFAULT_ALPHAS, settings: DecodeSettings | None = None,
                  cancel: threading.Event | None = None) -> list[AlphaRow]:
    """The guided stream of `prompt` at each alpha (settings.alpha is ignored; its schedule
    applies to every row), decoded as one batch. `cancel.set()` stops all rows."""
    settings = settings or DecodeSettings()
    settings.validate()
    alphas = [float(a) for a in alphas]
    if not alphas:
        raise ValueError("give at least one alpha")
    schedules = [AlphaSchedule.parse(settings.schedule, a) for a in alphas]
    prompt_ids = encode_prompt(trio, prompt, settings.max_new_tokens)
    eos_ids = set() if settings.ignore_eos else trio.eos_ids
    device = trio.target.device
    texts, warpers = TokenTexts(trio.tokenizer), make_warpers(settings.temperature, settings.top_p)
    generators = [torch.Generator(device=device).manual_seed(settings.seed) for _ in alphas]
    models = (trio.target, trio.guider, trio.base)
    caches = [DynamicCache() for _ in models]
    forward = _Forward(overlap=False)
    logits = [forward.logits(m, prompt_ids, c) for m, c in zip(models, caches)]
    for cache in caches:
        cache.batch_repeat_interleave(len(alphas))
    logits = [x.expand(len(alphas), -1) for x in logits]
    width = common_vocab(*(x.shape[-1] for x in logits))
    rows = [AlphaRow(a) for a in alphas]
    live = list(range(len(alphas)))  # batch row -> index into rows
    step = 0
    while True:
        target, guider, base = (x.to(device) for x in logits)
        scale = torch.tensor([schedules[i].at(step) for i in live], device=device).view(-1, 1)
        guided = target.clone()
        guided[:, :width] += steering_delta(guider, base, scale, width)
        if settings.temperature == 0:
            tokens = guided.argmax(dim=-1)
        else:
            tokens = torch.cat([choose_next(guided[r:r + 1], settings.temperature, warpers, prompt_ids,
                                            generators[i]) for r, i in enumerate(live)])
        for i, (token, pick, t_prob, g_prob) in zip(live, _row_numbers(target, guided, tokens)):
            row, token, pick = rows[i], int(token), int(pick)
            row.ids.append(token)
            row.tokens.append(texts[token])
            row.changes.append(g_prob - t_prob)
            if token != pick:
                row.flips.append({"step": step, "target_pick": texts[pick], "token": texts[token]})
            row.stop_reason = _stop_reason(row.ids, eos_ids, settings)
            if cancel is not None and cancel.is_set() and row.stop_reason is None:
                row.stop_reason = reason_of(cancel)
        keep = [r for r, i in enumerate(live) if rows[i].stop_reason is None]
        if not keep:
            return rows
        next_ids = tokens[keep].view(-1, 1).cpu()
        if int(next_ids.max()) >= width:
            raise ValueError(f"a guided row picked an id beyond the {width} ids the three models share")
        if len(keep) < len(live):
            for cache in caches:
                keep_rows(cache, keep)
            live = [live[r] for r in keep]
        logits = [forward.logits(m, next_ids, c) for m, c in zip(models, caches)]
        step += 1
