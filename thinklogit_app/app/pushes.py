"""The inspector's guider comparison: what each guider pair of a preset (its own guider and
its variants, e.g. the ThinkLogit-DPO guider) pushes at the same step, side by side, so a
visitor sees what preference training changed about the push there."""
from __future__ import annotations

from typing import Callable

import torch

from .i18n import text
from .views import column_name

TOP = 5  # tokens each guider pushes hardest, in the table


def guider_label(name: str, lang: str = "en") -> str:
    return text("compare.guider", lang) if name == "guider" else text("compare.variant", lang, name=column_name(name, lang))


def push_rows(pushes: dict[str, torch.Tensor], hidden: torch.Tensor, token_of: Callable[[int], str],
              marked: dict[int, str], k: int = TOP) -> list[list]:
    """One row per token: the tokens each guider pushes up hardest, then the marked ones (the
    token written, the target's pick) — special tokens no model writes left out. Columns: the
    token, each guider's α·(guider − base), then (two guiders) the second minus the first, and
    the mark."""
    names = list(pushes)
    ids: list[int] = []
    for push in pushes.values():
        shown = push.masked_fill(hidden[: push.shape[-1]], float("-inf"))
        ids += [i for i in shown.topk(min(k, shown.shape[-1])).indices.tolist() if i not in ids]
    ids += [i for i in marked if i not in ids and i < hidden.shape[-1]]
    rows = []
    for i in ids:
        values = [round(float(pushes[n][i]), 4) for n in names]
        change = [round(values[1] - values[0], 4)] if len(names) == 2 else []
        rows.append([repr(token_of(i))[1:-1], *values, *change, marked.get(i, "")])
    return rows


def push_headers(names: list[str], lang: str = "en") -> list[str]:
    change = [text("compare.change", lang)] if len(names) == 2 else []
    return [text("compare.token", lang), *(text("compare.push", lang, guider=guider_label(n, lang)) for n in names), *change, ""]


def push_summary(pushes: dict[str, torch.Tensor], hidden: torch.Tensor, token_of: Callable[[int], str], step: int,
                 written: int, lang: str = "en") -> str:
    """One line per guider: the token it pushes hardest at this step and its push on the token written."""
    shown = repr(token_of(written))[1:-1]
    lines = [text("compare.title", lang, step=step, token=shown)]
    for name, push in pushes.items():
        top = int(push.masked_fill(hidden[: push.shape[-1]], float("-inf")).argmax())
        lines.append(text("compare.line", lang, name=guider_label(name, lang), top=repr(token_of(top))[1:-1],
                          top_push=float(push[top]), written=shown, push=float(push[written]) if written < push.shape[-1] else 0.0))
    return "\n\n".join(lines)
