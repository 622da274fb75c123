"""One validation of what a visitor or a script asks for, shared by the app, the API and the
command line: the same ranges and the same messages, before any thread or model work starts."""
from __future__ import annotations

import math
from dataclasses import fields

from .core.engine import DecodeSettings

ALPHA_RANGE = (0.0, 3.0)
TEMPERATURE_RANGE = (0.0, 2.0)
MAX_NEW_TOKENS = 8192
MAX_PROMPT_CHARS = 8000
SCHEDULE_KINDS = ("constant", "warm-up", "ramp")


# ---- the form <-> DecodeSettings -------------------------------------------------------

def schedule_spec(kind: str, n: int | float | None) -> str:
    """('warm-up', 100) -> 'warmup:100'; the engine's spelling of the form's schedule."""
    if kind == "constant":
        return "constant"
    if kind not in SCHEDULE_KINDS:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULE_KINDS)}, got {kind!r}")
    count = _whole(n, "schedule length N")
    if count < 1:
        raise ValueError(f"schedule length N must be at least 1 for a {kind} schedule, got {count}")
    return f"{kind.replace('-', '')}:{count}"


def form_values(settings: DecodeSettings) -> dict:
    """DecodeSettings -> the form's fields (schedule split into kind and N)."""
    kind, _, count = settings.schedule.partition(":")
    kind = {"warmup": "warm-up"}.get(kind, kind)
    return {"alpha": settings.alpha, "schedule": kind, "schedule_n": int(count or 100),
            "temperature": settings.temperature, "top_p": settings.top_p,
            "max_new_tokens": settings.max_new_tokens, "seed": settings.seed}


def preset_settings(defaults: dict | None) -> DecodeSettings:
    """A preset's DecodeSettings: the paper's defaults with the preset's overrides."""
    names = {f.name for f in fields(DecodeSettings)}
    return DecodeSettings(**{k: v for k, v in (defaults or {}).items() if k in names})


def _number(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def _whole(value, name: str) -> int:
    number = _number(value, name)
    if number != int(number):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(number)


def _within(value: float, low: float, high: float, name: str) -> float:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


FORM_FIELDS = ("alpha", "schedule", "temperature", "top_p", "max_new_tokens", "seed")


def settings_from_form(alpha, schedule, schedule_n, temperature, top_p, max_new_tokens, seed,
                       max_new_tokens_limit: int = MAX_NEW_TOKENS, extra: dict | None = None) -> DecodeSettings:
    """The form's values -> DecodeSettings; a ValueError that says what to fix otherwise.
    `extra`: settings the form does not show (a preset's repeat_limit, top_k...)."""
    alpha = _within(_number(alpha, "alpha"), *ALPHA_RANGE, "alpha")
    temperature = _within(_number(temperature, "temperature"), *TEMPERATURE_RANGE, "temperature (0 = greedy)")
    top_p = _number(top_p, "top-p")
    if not 0 < top_p <= 1:
        raise ValueError(f"top-p must be above 0 and at most 1, got {top_p:g}")
    max_new = _within(_whole(max_new_tokens, "max new tokens"), 1, max_new_tokens_limit, "max new tokens")
    seed = _whole(seed, "seed")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more, got {seed}")
    names = {f.name for f in fields(DecodeSettings)} - set(FORM_FIELDS)
    hidden = {k: v for k, v in (extra or {}).items() if k in names}
    settings = DecodeSettings(alpha=alpha, schedule=schedule_spec(schedule, schedule_n), temperature=temperature,
                              top_p=top_p, max_new_tokens=int(max_new), seed=seed, **hidden)
    settings.validate()
    return settings


def parse_alphas(text) -> list[float]:
    """'0.5, 1, 1.5' -> [0.5, 1.0, 1.5], each within the alpha range."""
    parts = [p.strip() for p in str(text or "").split(",") if p.strip()]
    if not parts:
        raise ValueError("alphas to sweep: list at least one, comma-separated, e.g. 0.5, 1, 1.5, 2")
    alphas = [_within(_number(p, "each alpha of the sweep"), *ALPHA_RANGE, "each alpha of the sweep") for p in parts]
    return list(dict.fromkeys(alphas))


def check_prompt(prompt) -> str:
    """The prompt unchanged when usable; a ValueError that says what to fix otherwise."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("The prompt is empty: type a question or click an example.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"The prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}: shorten it.")
    return prompt
