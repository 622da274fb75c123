"""One validation of what a visitor or a script asks for, shared by the app, the API and the
command line: the same ranges and the same messages, before any thread or model work starts."""
from __future__ import annotations

import math
from dataclasses import fields

from .core.arithmetic import SCHEDULE_KINDS, AlphaSchedule
from .core.engine import DecodeSettings
from .models.presets import QUANTIZATIONS, ROLES

ALPHA_RANGE = (0.0, 3.0)
TEMPERATURE_RANGE = (0.0, 2.0)
MAX_NEW_TOKENS = 8192
MAX_PROMPT_CHARS = 8000
# the form shows these labels; its values are the engine's one spelling (core.arithmetic.SCHEDULE_KINDS)
SCHEDULE_LABELS = {"constant": "constant", "warmup": "warm-up", "ramp": "ramp", "first": "first N only"}
EVAL_MAX_N = 500  # held-out problems of one evaluation
EVAL_MAX_ALPHAS = 8  # alphas of one sweep
EVAL_MAX_WORK = 3000  # problems x decodings of one evaluation (the app's; the CLI has no cap)


# ---- the form <-> DecodeSettings -------------------------------------------------------

def schedule_spec(kind: str, n: int | float | None) -> str:
    """The form's schedule kind and N -> the engine's schedule string: ('warmup', 100) -> 'warmup:100'."""
    if kind not in SCHEDULE_KINDS:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULE_KINDS)}, got {kind!r}")
    if kind == "constant":
        return "constant"
    count = _whole(n, "schedule length N")
    if count < 1:
        raise ValueError(f"schedule length N must be at least 1 for a {kind} schedule, got {count}")
    return AlphaSchedule(kind=kind, n=count).spec


def form_values(settings: DecodeSettings) -> dict:
    """DecodeSettings -> the form's fields (schedule split into kind and N)."""
    schedule = AlphaSchedule.parse(settings.schedule)
    return {"alpha": settings.alpha, "schedule": schedule.kind, "schedule_n": schedule.n or 100,
            "temperature": settings.temperature, "top_p": settings.top_p,
            "max_new_tokens": settings.max_new_tokens, "seed": settings.seed}


def preset_settings(defaults: dict | None) -> DecodeSettings:
    """A preset's DecodeSettings: the paper's defaults with the preset's overrides."""
    names = {f.name for f in fields(DecodeSettings)}
    return DecodeSettings(**{k: v for k, v in (defaults or {}).items() if k in names})


SEED_MAX = 2**32 - 1  # numpy's and most libraries' seed range; torch takes it too


def _shown(value) -> str:
    """A short, printable picture of a visitor's value for an error message."""
    text = repr(value).encode("ascii", "backslashreplace").decode()
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__} {_shown(value)}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} must be a number, got {_shown(value)}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {_shown(value)}")
    return number


def _whole(value, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # exact, however large: the range check says what is allowed
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    number = _number(value, name)
    if number != int(number):
        raise ValueError(f"{name} must be a whole number, got {_shown(value)}")
    return int(number)


def _figure(value: float) -> str:
    """1.5 -> '1.5', 4294967295 -> '4294967295', 10**30 -> 'a 31-digit number'."""
    if isinstance(value, int):
        digits = str(abs(value))
        return str(value) if len(digits) <= 20 else f"a {len(digits)}-digit number"
    return f"{value:g}"


def _within(value: float, low: float, high: float, name: str) -> float:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {_figure(low)} and {_figure(high)}, got {_figure(value)}")
    return value


def check_alpha(value) -> float:
    return _within(_number(value, "alpha"), *ALPHA_RANGE, "alpha")


def check_text(value, name: str) -> str:
    """A visitor's text argument (a preset, guider or quantization name, a schedule...):
    a string, or None for "the default" (returned as "")."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {type(value).__name__} {_shown(value)}")
    _valid_unicode(value, name)
    return value


def choice(value, name: str, choices) -> str:
    """One of `choices`, or "" for the default."""
    value = check_text(value, name).strip()
    if value and value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {_shown(value)}")
    return value


def quantization(modes: dict | None) -> dict:
    """{role: mode} of a request; unset roles ("" or None) keep the preset's."""
    modes = modes or {}
    if not isinstance(modes, dict):
        raise ValueError(f"quantization must map target/guider/base to a mode, got {_shown(modes)}")
    out = {}
    for role, mode in modes.items():
        if role not in ROLES:
            raise ValueError(f"quantization is set per model: target, guider or base, got {_shown(role)}")
        mode = choice(mode, f"quantization of the {role}", QUANTIZATIONS)
        if mode:
            out[role] = mode
    return out


def whole_in(value, low: int, high: int, name: str) -> int:
    """A whole number within [low, high]: how every count (problems, tokens, seed) is checked."""
    return int(_within(_whole(value, name), low, high, name))


def _valid_unicode(value: str, name: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = value[err.start]
        raise ValueError(f"{name} holds a character that is not valid text (U+{ord(bad):04X}, a lone surrogate, "
                         f"at position {err.start}): remove it") from None


FORM_FIELDS = ("alpha", "schedule", "temperature", "top_p", "max_new_tokens", "seed")


def settings_from_form(alpha, schedule, schedule_n, temperature, top_p, max_new_tokens, seed,
                       max_new_tokens_limit: int = MAX_NEW_TOKENS, extra: dict | None = None,
                       force=None) -> DecodeSettings:
    """The form's values -> DecodeSettings; a ValueError that says what to fix otherwise.
    `extra`: settings the form does not show (a preset's repeat_limit, top_k...); `force`:
    tokens to force in the guided stream ({step: id} or '3:17, 5:2', see parse_force)."""
    alpha = check_alpha(alpha)
    temperature = _within(_number(temperature, "temperature"), *TEMPERATURE_RANGE, "temperature (0 = greedy)")
    top_p = _number(top_p, "top-p")
    if not 0 < top_p <= 1:
        raise ValueError(f"top-p must be above 0 and at most 1, got {top_p:g}")
    max_new = whole_in(max_new_tokens, 1, max_new_tokens_limit, "max new tokens")
    seed = whole_in(seed, 0, SEED_MAX, "seed")
    names = {f.name for f in fields(DecodeSettings)} - set(FORM_FIELDS)
    hidden = {k: v for k, v in (extra or {}).items() if k in names}
    schedule = check_text(schedule, "schedule").strip()
    if force:
        hidden["force"] = parse_force(force)
    settings = DecodeSettings(alpha=alpha, schedule=schedule_spec(schedule, schedule_n), temperature=temperature,
                              top_p=top_p, max_new_tokens=int(max_new), seed=seed, **hidden)
    settings.validate()
    return settings


def settings_from(defaults: dict | None, overrides: dict,
                  max_new_tokens_limit: int = MAX_NEW_TOKENS) -> DecodeSettings:
    """A preset's defaults, then the form's, the API's or the command line's settings (None or
    "" = the preset's; schedule spelled constant, warmup:N, ramp:N or first:N, or as the form's
    kind and schedule_n; force as parse_force reads it) -> checked DecodeSettings."""
    form = form_values(preset_settings(defaults))
    for key, value in overrides.items():
        if value is None or value == "":
            continue
        if key == "schedule":
            kind, sep, count = check_text(value, "schedule").strip().partition(":")
            form["schedule"] = kind.strip()
            if sep:
                form["schedule_n"] = count.strip()
        elif key in form or key == "force":
            form[key] = value
        else:
            raise ValueError(f"unknown setting {_shown(key)}: use {', '.join(FORM_FIELDS)} or force")
    return settings_from_form(**form, max_new_tokens_limit=max_new_tokens_limit, extra=defaults)


def parse_alphas(spec) -> list[float]:
    """'0.5, 1, 1.5' -> [0.5, 1.0, 1.5], each within the alpha range."""
    parts = [p.strip() for p in check_text(spec, "alphas to sweep").split(",") if p.strip()]
    if not parts:
        raise ValueError("alphas to sweep: list at least one, comma-separated, e.g. 0.5, 1, 1.5, 2")
    alphas = [_within(_number(p, "each alpha of the sweep"), *ALPHA_RANGE, "each alpha of the sweep") for p in parts]
    return list(dict.fromkeys(alphas))


def parse_force(spec) -> dict[int, int]:
    """'3:17, 5:2' (or {3: 17}) -> {3: 17, 5: 2}: the guided stream writes token id 17 at step 3..."""
    if isinstance(spec, dict):
        items = list(spec.items())
    else:
        items = [part.partition(":")[::2] for part in check_text(spec, "forced tokens").split(",") if part.strip()]
    force = {}
    for step, token in items:
        step_n, token_n = _whole(step, "forced step"), _whole(token, "forced token id")
        if step_n < 0 or token_n < 0:
            raise ValueError(f"a forced token is STEP:ID with both >= 0, got {step}:{token}")
        force[step_n] = token_n
    return force


def check_prompt(prompt) -> str:
    """The prompt unchanged when usable; a ValueError that says what to fix otherwise."""
    if prompt is not None and not isinstance(prompt, str):
        raise ValueError(f"The prompt must be text, got {type(prompt).__name__} {_shown(prompt)}")
    if not prompt or not prompt.strip():
        raise ValueError("The prompt is empty: type a question or click an example.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"The prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}: shorten it.")
    _valid_unicode(prompt, "The prompt")
    return prompt


def check_evaluation(n, alphas, other_columns: int, max_work: int | None = EVAL_MAX_WORK) -> tuple[int, list[float]]:
    """(problems, alphas) of an evaluation, refused before any work when it is larger than
    `max_work` problems x decodings; `other_columns`: decodings besides the sweep's."""
    count = whole_in(n, 1, EVAL_MAX_N if max_work is not None else 10**6, "number of problems")
    sweep = parse_alphas(alphas)
    if max_work is None:
        return count, sweep
    if len(sweep) > EVAL_MAX_ALPHAS:
        raise ValueError(f"alphas to sweep: at most {EVAL_MAX_ALPHAS} on this server, got {len(sweep)}")
    work = count * (other_columns + len(sweep))
    if work > max_work:
        raise ValueError(f"{count} problems x {other_columns + len(sweep)} decodings = {work}; this server's limit is "
                         f"{max_work} problems x decodings: evaluate fewer problems or alphas")
    return count, sweep
