"""Held-out evaluation of a trio: greedy pass@1 of target, base, guider and ThinkLogit.

Prompts of equal token length are decoded together with `model.generate` (no padding
needed); ThinkLogit runs as a `ThinkLogitProcessor` inside the target's `generate`.

Columns: target / base / guider alone, ThinkLogit at each alpha of the sweep and at
each extra schedule (e.g. the paper's warm-up), and ThinkLogit with each extra guider
(`extra_guiders={"thinklogit-dpo": model}`: same base, same default alpha).
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Callable


from ..core.arithmetic import AlphaSchedule
from .grading import is_correct
from .batched import sample_completions

Progress = Callable[[int, int], None]
DEFAULT_ALPHAS = (0.0, 0.5, 1.0, 1.5, 2.0)  # alpha 0 is the target alone, decoded through ThinkLogit
DEFAULT_SWEEP = ",".join(f"{a:g}" for a in DEFAULT_ALPHAS)  # as the command line and the API spell it
COLUMN_LABELS = {"target": "Target alone", "base": "Base alone", "guider": "Guider alone",
                 "thinklogit": "ThinkLogit", "thinklogit-dpo": "ThinkLogit-DPO"}
_STEP_LINE = re.compile(r"^(?!A:|Q:).*=", re.MULTILINE)  # a worked line that is not the answer


@dataclass
class EvalItem:
    prompt: str
    answer: str


@dataclass
class ColumnResult:
    """One way of decoding (a model alone, or ThinkLogit with given settings) over all items."""

    name: str
    accuracy: float
    step_lines_share: float
    outputs: list[str] = field(default_factory=list)
    correct: list[bool] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class EvalResult:
    preset: str
    n: int
    alpha: float  # the alpha of the "thinklogit" column
    columns: dict[str, ColumnResult]
    alpha_sweep: dict[str, float]
    schedules: dict[str, float]
    seconds: float

    @property
    def accuracy(self) -> dict[str, float]:
        names = ["target", "base", "guider", "thinklogit"] + [n for n in self.columns if n.startswith("thinklogit-")]
        return {name: self.columns[name].accuracy for name in names if name in self.columns}

    @property
    def step_lines_share(self) -> float:
        return self.columns["thinklogit"].step_lines_share

    @property
    def ci95(self) -> dict[str, list[float]]:
        """Wilson 95% interval of each accuracy column."""
        return {name: wilson_interval(sum(self.columns[name].correct), self.n) for name in self.accuracy}

    @property
    def alpha_sweep_ci95(self) -> dict[str, list[float]]:
        return {key: wilson_interval(sum(self.columns[f"alpha={key}"].correct), self.n) for key in self.alpha_sweep}

    def to_json(self) -> dict:
        """The `eval --json` shape (see the README's command-line section), plus per-column step-line shares."""
        return {
            "preset": self.preset,
            "n": self.n,
            "alpha": self.alpha,
            "accuracy": self.accuracy,
            "ci95": self.ci95,
            "labels": {name: column_label(name) for name in self.accuracy},
            "alpha_sweep": self.alpha_sweep,
            "alpha_sweep_ci95": self.alpha_sweep_ci95,
            "schedules": self.schedules,
            "step_lines_share": self.step_lines_share,
            "step_lines": {name: c.step_lines_share for name, c in self.columns.items()},
            "seconds": round(self.seconds, 1),
        }

    def table(self) -> str:
        rows = [(column_label(name), name) for name in ("target", "base", "guider")]
        rows += [(f"ThinkLogit alpha {a}", f"alpha={a}") for a in self.alpha_sweep]
        rows += [(f"ThinkLogit alpha {self.alpha} {s}", f"schedule={s}") for s in self.schedules]
        rows += [(column_label(name), name) for name in self.columns if name.startswith("thinklogit-")]
        lines = [f"preset {self.preset}, {self.n} held-out problems, greedy", "",
                 "| decoding | accuracy | 95% interval (Wilson) | outputs with step lines |", "|---|---|---|---|"]
        for label, key in rows:
            column = self.columns[key]
            low, high = wilson_interval(sum(column.correct), self.n)
            lines.append(f"| {label} | {column.accuracy:.3f} | {low:.3f}–{high:.3f} | {column.step_lines_share:.0%} |")
        return "\n".join(lines)


def wilson_interval(correct: int, n: int, z: float = 1.96) -> list[float]:
    """[low, high] of the Wilson score interval for `correct` successes out of `n` (95% at z 1.96).
    Unlike p ± z·se it stays inside [0, 1] and is not empty at 0% or 100%."""
    if n < 1 or not 0 <= correct <= n:
        raise ValueError(f"a Wilson interval needs 0 <= correct <= n and n >= 1, got {correct} of {n}")
    p, z2 = correct / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def column_label(name: str) -> str:
    """The plain name of an accuracy column ("Target alone", "ThinkLogit-DPO")."""
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    return "ThinkLogit-" + name.removeprefix("thinklogit-").upper() if name.startswith("thinklogit-") else name


def has_step_lines(text: str) -> bool:
    return bool(_STEP_LINE.search(text))


def _sweep_key(alpha: float) -> str:
    return f"{alpha:g}"


def generate_greedy(model, tokenizer, prompts: list[str], max_new_tokens: int, *, guider=None, base=None,
                    schedule: AlphaSchedule | None = None, batch_size: int = 128,
                    on_batch: Callable[[int], None] | None = None, cancel=None) -> list[str]:
    """Greedy completions (prompt excluded, specials dropped), batched by prompt token length.

    With `guider` and `base`, decodes ThinkLogit: target + alpha * (guider - base).
    """
    outputs = sample_completions(model, tokenizer, prompts, 1, temperature=0.0, top_p=1.0,
                                 max_new_tokens=max_new_tokens, seed=0, guider=guider, base=base,
                                 schedule=schedule, batch_size=batch_size, on_batch=on_batch, cancel=cancel)
    return [texts[0] for texts in outputs]


def evaluate(target, guider, base, tokenizer, items: list[EvalItem], *, alphas=DEFAULT_ALPHAS,
             alpha: float = 1.0, schedules=("warmup:100",), extra_guiders: dict | None = None,
             max_new_tokens: int = 96, preset: str = "", batch_size: int = 128,
             progress: Progress | None = None, cancel=None) -> EvalResult:
    """Greedy pass@1 of every column over `items`. `progress(done, total)` counts decoded items;
    `cancel.set()` stops it within a token (core.cancel.Cancelled)."""
    if not items:
        raise ValueError("no evaluation items: give at least one prompt with its answer")
    alphas = list(dict.fromkeys(float(a) for a in alphas))
    extra_guiders = extra_guiders or {}
    runs: list[tuple[str, object, dict]] = [
        ("target", target, {}), ("base", base, {}), ("guider", guider, {}),
    ]
    for a in sorted(set(alphas) | {alpha}):
        runs.append((f"alpha={_sweep_key(a)}", target, {"guider": guider, "base": base, "schedule": AlphaSchedule(alpha=a)}))
    for spec in schedules:
        runs.append((f"schedule={spec}", target, {"guider": guider, "base": base, "schedule": AlphaSchedule.parse(spec, alpha)}))
    for name, extra in extra_guiders.items():
        if not name.startswith("thinklogit-"):
            raise ValueError(f"extra guider names must start with 'thinklogit-', got {name!r}")
        runs.append((name, target, {"guider": extra, "base": base, "schedule": AlphaSchedule(alpha=alpha)}))

    total, done = len(runs) * len(items), 0
    prompts = [item.prompt for item in items]

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, total)

    started = time.time()
    columns: dict[str, ColumnResult] = {}
    for name, model, kwargs in runs:
        t0 = time.time()
        outputs = generate_greedy(model, tokenizer, prompts, max_new_tokens, batch_size=batch_size, on_batch=advance,
                                  cancel=cancel, **kwargs)
        correct = [is_correct(text, item.answer) for text, item in zip(outputs, items)]
        columns[name] = ColumnResult(
            name=name, accuracy=sum(correct) / len(items),
            step_lines_share=sum(map(has_step_lines, outputs)) / len(items),
            outputs=outputs, correct=correct, seconds=time.time() - t0,
        )
    columns["thinklogit"] = columns[f"alpha={_sweep_key(alpha)}"]
    return EvalResult(
        preset=preset, n=len(items), alpha=alpha, columns=columns,
        alpha_sweep={_sweep_key(a): columns[f"alpha={_sweep_key(a)}"].accuracy for a in alphas},
        schedules={spec: columns[f"schedule={spec}"].accuracy for spec in schedules},
        seconds=time.time() - started,
    )


def held_out_items(task: str, n: int, examples: list[dict] | None = None, sums_config=None,
                   prompt_text: Callable[[str], str] | None = None) -> list[EvalItem]:
    """The evaluation set of a preset's task: generated held-out problems for the tiny
    `sums` task (of `sums_config`, default the shipped difficulty); the preset's example
    prompts (with reference answers) otherwise, each wrapped by `prompt_text` (the
    preset's template, see Preset.prompt_text)."""
    if task == "sums":
        from ..organism import task as sums

        problems = sums.held_out_problems(n, sums_config or sums.DEFAULT_CONFIG)
        return [EvalItem(sums.make_prompt(p), sums.reference_answer(p)) for p in problems]
    wrap = prompt_text or (lambda question: question)
    items = [EvalItem(wrap(e["prompt"]), str(e["answer"])) for e in (examples or []) if "answer" in e]
    if not items:
        raise ValueError(f"task {task!r} has no held-out generator and the preset lists no examples with answers")
    return items[:n]


def token_budget(trio, task: str, default: int = 256) -> int:
    """New tokens an evaluation allows: the preset's default, raised for the tiny sums task to
    what its longest step-by-step answer needs (the task config is saved in the target)."""
    if task != "sums":
        return default
    from ..organism.task import config_of
    from ..organism.train import max_new_tokens_for

    return max(default, max_new_tokens_for(config_of(trio.target)))


def evaluate_trio(trio, n: int, *, preset=None, task: str | None = None, examples: list[dict] | None = None,
                  alphas=DEFAULT_ALPHAS, alpha: float | None = None, schedules=(), extra_guiders: dict | None = None,
                  batch_size: int = 128, progress: Progress | None = None, name: str | None = None,
                  cancel=None) -> EvalResult:
    """Greedy pass@1 of a loaded trio on `n` held-out problems of its task: the one evaluation
    behind the `eval` command, the app's Evaluate tab, `dpo train --eval` and `organism train`.
    Task, examples, alpha and token budget default to the preset's (default: the trio's)."""
    preset = preset or trio.preset
    defaults = (preset.defaults or {}) if preset is not None else {}
    task = task or (preset.task if preset is not None else "sums")
    if examples is None and preset is not None:
        examples = preset.load_examples()
    sums_config = None
    if task == "sums":
        from ..organism.task import config_of

        sums_config = config_of(trio.target)
    items = held_out_items(task, n, examples, sums_config, preset.prompt_text if preset is not None else None)
    alpha = float(defaults.get("alpha", 1.0)) if alpha is None else float(alpha)
    budget = token_budget(trio, task, int(defaults.get("max_new_tokens", 256)))
    return evaluate(trio.target, trio.guider, trio.base, trio.tokenizer, items, alphas=alphas, alpha=alpha,
                    schedules=schedules, extra_guiders=extra_guiders, max_new_tokens=budget,
                    preset=name or (preset.name if preset is not None else ""), batch_size=batch_size,
                    progress=progress, cancel=cancel)
