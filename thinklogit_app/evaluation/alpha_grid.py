"""One prompt at a grid of alpha values (core.alphas: one batched decode), graded: what
alpha does to this prompt's answer. Shared by the `alphas` command, the /alphas endpoint
and the app's alpha scrubber."""
from __future__ import annotations

import threading
import time

from ..core.alphas import DEFAULT_ALPHAS, decode_alphas
from ..core.engine import DecodeSettings
from .grading import extract_answer, is_correct


def alpha_grid(trio, prompt: str, alphas=DEFAULT_ALPHAS, settings: DecodeSettings | None = None,
               reference: str | None = None, cancel: threading.Event | None = None) -> dict:
    """{"prompt", "settings", "reference", "seconds", "alphas": [per alpha: alpha, ids, text,
    stop_reason, answer, correct (None without a reference), flips, tokens, changes]}."""
    settings = settings or DecodeSettings()
    start = time.perf_counter()
    rows = decode_alphas(trio, prompt, alphas, settings, cancel)
    seconds = time.perf_counter() - start
    out = []
    for row in rows:
        entry = row.to_dict(trio.tokenizer)
        entry["answer"] = extract_answer(entry["text"])
        entry["correct"] = None if reference is None else is_correct(entry["text"], reference)
        out.append(entry)
    return {"prompt": prompt, "settings": settings.to_dict(), "reference": reference, "seconds": round(seconds, 3),
            "alphas": out}


def grid_strip(result: dict) -> str:
    """One line: each alpha with ✔ / ✘ (or its answer when no reference is known)."""
    def mark(entry):
        if entry["correct"] is None:
            return f"`{entry['answer']}`" if entry["answer"] is not None else "–"
        return "✔" if entry["correct"] else "✘"

    return " · ".join(f"α {e['alpha']:g} {mark(e)}" for e in result["alphas"])
