"""Preference pairs for ThinkLogit-DPO, from reasoning traces of both sides.

"small" = the guider alone; "large" = the target guided by ThinkLogit. On TRAINING
problems we sample several completions from each, grade their final answers, and pair
a correct trace with an incorrect one, in the paper's three types:

    small-correct / small-incorrect   the guider's own right vs wrong
    small-correct / large-incorrect   the guider right where the guided target erred
    large-correct / small-incorrect   the guided target right where the guider erred

and a fourth, not in the paper: large-correct / large-incorrect, the guided target's own
right vs wrong. Its two traces share a prefix up to the guided stream's mistake, so the
pair pins down exactly the token where (guider - base) should have steered differently.

A pair is text: (prompt, chosen completion, rejected completion). The guider scores any
text over the shared vocabulary, so DPO on the guider can use the target's traces too.
"""
from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..core.arithmetic import AlphaSchedule
from ..evaluation.batched import sample_completions
from ..evaluation.grading import is_correct

SOURCES = ("small", "large")
PAIR_TYPES = {  # name -> (source of the correct trace, source of the incorrect one)
    "small-correct/small-incorrect": ("small", "small"),
    "small-correct/large-incorrect": ("small", "large"),
    "large-correct/small-incorrect": ("large", "small"),
    "large-correct/large-incorrect": ("large", "large"),
}
PAPER_PAIR_TYPES = tuple(PAIR_TYPES)[:3]
SHORT_NAMES = {"ss": "small-correct/small-incorrect", "sl": "small-correct/large-incorrect",
               "ls": "large-correct/small-incorrect", "ll": "large-correct/large-incorrect"}


def parse_pair_types(text: str) -> tuple[str, ...]:
    """'all', 'paper' (the paper's three) or comma-separated names / short names (ss, sl, ls, ll)."""
    text = text.strip()
    if text in ("all", "paper"):
        return tuple(PAIR_TYPES) if text == "all" else PAPER_PAIR_TYPES
    names = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name = SHORT_NAMES.get(part, part)
        if name not in PAIR_TYPES:
            raise ValueError(f"unknown pair type {part!r}: use all, paper, or some of ss, sl, ls, ll "
                             "(small/large correct / small/large incorrect)")
        names.append(name)
    if not names:
        raise ValueError("give at least one pair type")
    return tuple(dict.fromkeys(names))


def cut_after_first_difference(chosen: str, rejected: str, unit: str = "line") -> str:
    r"""The rejected trace up to and including its first line (`unit="line"`) or character
    (`unit="char"`, one token with a character tokenizer) that differs from the chosen one.

    In a step-by-step trace every later line follows from the first wrong one (a wrong
    partial sum is then copied, correctly); penalising those lines would teach the guider
    not to copy. Cutting right after the first wrong character aims the preference at the
    one token that went wrong. Meant for canonical traces such as the tiny task's, not
    free-form reasoning.

    >>> cut_after_first_difference("1+2=3\nA:3", "1+2=4\nA:4")
    '1+2=4'
    >>> cut_after_first_difference("12+9=21\nA:21", "12+9=31\nA:31", unit="char")
    '12+9=3'
    """
    if unit == "char":
        k = next((i for i, (r, c) in enumerate(zip(rejected, chosen)) if r != c), min(len(rejected), len(chosen)))
        return rejected[: k + 1]
    if unit != "line":
        raise ValueError(f"cut unit must be 'line' or 'char', got {unit!r}")
    chosen_lines, rejected_lines = chosen.split("\n"), rejected.split("\n")
    for i, line in enumerate(rejected_lines):
        if i >= len(chosen_lines) or line != chosen_lines[i]:
            return "\n".join(rejected_lines[: i + 1])
    return rejected


@dataclass(frozen=True)
class Problem:
    prompt: str
    answer: str


@dataclass(frozen=True)
class Sample:
    """One sampled completion (prompt excluded) and who wrote it."""

    source: str  # "small" (guider alone) or "large" (guided target)
    model: str  # a readable name of the model(s) that wrote it
    text: str

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"sample source must be one of {SOURCES}, got {self.source!r}")


@dataclass(frozen=True)
class Pair:
    prompt: str
    chosen: str
    rejected: str
    pair_type: str
    chosen_model: str
    rejected_model: str
    answer: str

    def to_dict(self) -> dict:
        return asdict(self)


def build_pairs(problem: Problem, samples: Iterable[Sample], types: Iterable[str] = tuple(PAIR_TYPES),
                max_per_type: int = 2, rng: random.Random | None = None) -> list[Pair]:
    """Grade `samples` against the problem's answer and pair correct with incorrect traces.

    Duplicate texts count once per source. Per type, at most `max_per_type` pairs are
    drawn (with `rng`) from all correct x incorrect combinations.
    """
    types = list(types)
    for name in types:
        if name not in PAIR_TYPES:
            raise ValueError(f"unknown pair type {name!r}: use one of {', '.join(PAIR_TYPES)}")
    if max_per_type < 1:
        raise ValueError(f"max pairs per type must be >= 1, got {max_per_type}")
    rng = rng or random.Random(0)
    graded: dict[tuple[str, bool], dict[str, Sample]] = defaultdict(dict)  # (source, correct) -> text -> sample
    for sample in samples:
        graded[(sample.source, is_correct(sample.text, problem.answer))].setdefault(sample.text, sample)
    pairs = []
    for name in types:
        chosen_source, rejected_source = PAIR_TYPES[name]
        combos = [(c, r) for c in graded[(chosen_source, True)].values()
                  for r in graded[(rejected_source, False)].values()]
        for chosen, rejected in rng.sample(combos, min(max_per_type, len(combos))):
            pairs.append(Pair(problem.prompt, chosen.text, rejected.text, name, chosen.model, rejected.model,
                              problem.answer))
    return pairs


@dataclass
class MiningSettings:
    """How pairs are mined: samples per problem per side, sampling, which pair types."""

    samples: int = 8
    temperature: float = 0.7
    top_p: float = 1.0
    max_new_tokens: int = 96
    alpha: float = 1.0
    schedule: str = "constant"
    types: tuple[str, ...] = tuple(PAIR_TYPES)
    max_per_type: int = 9
    seed: int = 0
    batch_size: int = 128

    def to_dict(self) -> dict:
        return asdict(self)


def mine_pairs(trio, problems: list[Problem], settings: MiningSettings, names: dict[str, str] | None = None,
               progress: Callable[[int], None] | None = None) -> tuple[list[Pair], dict]:
    """Sample both sides on `problems`, build pairs; returns (pairs, statistics).

    `progress(k)` is called after each batch with the number of problems it covered
    (each problem is decoded twice: guider alone, then guided target).
    """
    names = names or {}
    small_name = names.get("guider", "guider")
    large_name = f"{names.get('target', 'target')} + ThinkLogit({small_name} - {names.get('base', 'base')})"
    common = dict(temperature=settings.temperature, top_p=settings.top_p, max_new_tokens=settings.max_new_tokens,
                  seed=settings.seed, batch_size=settings.batch_size, on_batch=progress)
    prompts = [p.prompt for p in problems]
    small = sample_completions(trio.guider, trio.tokenizer, prompts, settings.samples, **common)
    schedule = AlphaSchedule.parse(settings.schedule, settings.alpha)
    large = sample_completions(trio.target, trio.tokenizer, prompts, settings.samples, guider=trio.guider,
                               base=trio.base, schedule=schedule, **common)
    rng = random.Random(settings.seed)
    pairs: list[Pair] = []
    correct = {"small": 0, "large": 0}
    for problem, small_texts, large_texts in zip(problems, small, large):
        samples = [Sample("small", small_name, t) for t in small_texts] + \
                  [Sample("large", large_name, t) for t in large_texts]
        correct["small"] += sum(is_correct(t, problem.answer) for t in small_texts)
        correct["large"] += sum(is_correct(t, problem.answer) for t in large_texts)
        pairs += build_pairs(problem, samples, settings.types, settings.max_per_type, rng)
    total = len(problems) * settings.samples
    stats = {
        "problems": len(problems),
        "samples_per_side": total,
        "sample_accuracy": {side: round(count / total, 4) for side, count in correct.items()},
        "pairs": len(pairs),
        "pairs_by_type": {name: sum(p.pair_type == name for p in pairs) for name in settings.types},
    }
    return pairs, stats


def training_problems(preset, n: int, seed: int, target=None, problems_file: str | Path | None = None) -> list[Problem]:
    """`n` distinct problems to mine pairs on — never a held-out one.

    The tiny `sums` task draws from its training split; other tasks read a JSONL file of
    {"prompt", "answer"} rows (e.g. MATH train), refusing any prompt the preset evaluates on.
    """
    if n < 1:
        raise ValueError(f"the number of problems must be >= 1, got {n}")
    if problems_file is not None:
        rows = read_jsonl(problems_file)
        if not rows or any("prompt" not in r or "answer" not in r for r in rows):
            raise ValueError(f"{problems_file}: every line must be a JSON object with 'prompt' and 'answer'")
        held_out = {e.get("prompt") for e in preset.load_examples()}
        leaked = [r["prompt"] for r in rows if r["prompt"] in held_out]
        if leaked:
            raise ValueError(f"{problems_file}: {len(leaked)} prompt(s) are the preset's evaluation examples, "
                             f"e.g. {leaked[0]!r}: remove them, DPO must not train on test problems")
        return [Problem(r["prompt"], str(r["answer"])) for r in rows[:n]]
    if preset.task != "sums":
        raise ValueError(f"preset {preset.name!r} (task {preset.task!r}) has no built-in training problems: "
                         "give --problems FILE.jsonl with 'prompt' and 'answer' per line")
    from ..organism import task as sums

    config = sums.config_of(target) if target is not None else sums.DEFAULT_CONFIG
    rng = random.Random(seed)
    seen: set = set()
    problems: list[Problem] = []
    for _ in range(100 * n):
        problem = sums.training_problem(rng, config)
        if problem not in seen:
            seen.add(problem)
            problems.append(Problem(sums.make_prompt(problem), sums.reference_answer(problem)))
            if len(problems) == n:
                return problems
    raise ValueError(f"the task has fewer than {n} distinct training problems")


def _open_text(path: Path, mode: str):
    """A text file, gzip-compressed when its name ends in .gz (the shipped pairs are)."""
    return gzip.open(path, mode + "t") if path.suffix == ".gz" else path.open(mode)


def write_jsonl(rows: Iterable[dict], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open_text(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return path


def read_jsonl(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    with _open_text(path, "r") as f:
        lines = f.read().splitlines()
    rows = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                raise ValueError(f"{path}:{number}: not a JSON line") from None
    return rows


def read_pairs(path: str | Path) -> list[Pair]:
    rows = read_jsonl(path)
    fields = set(Pair.__dataclass_fields__)
    for number, row in enumerate(rows, 1):
        missing = {"prompt", "chosen", "rejected"} - set(row)
        if missing:
            raise ValueError(f"{path}: pair {number} lacks {', '.join(sorted(missing))}")
    return [Pair(**{"pair_type": "", "chosen_model": "", "rejected_model": "", "answer": ""} |
                 {k: v for k, v in row.items() if k in fields}) for row in rows]
