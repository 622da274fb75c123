"""The embedded trio's task: sums of several fixed-width numbers.

Formats (one document each; training appends EOS):

    prompt   Q:63+11+48+57+34\n
    direct   Q:63+11+48+57+34\nA:213
    steps    Q:63+11+48+57+34\n63+11=74\nQ:74+48+57+34\n74+48=122\nQ:122+57+34\n
             122+57=179\nQ:179+34\nA:179+34=213
    fact     122+57=179

The step-by-step trace adds the first two numbers, then restates the remaining question,
so each copy is from the line just above and each addition is one two-number sum. Its
final line restates the last sum (`A:179+34=213`) rather than copying a result: the
number after the last `=` is then computed, not recalled.

Difficulty knob: `SumsConfig(operands, digits)`. Every held-out operand has exactly
`digits` digits, so all test prompts of one config have the same token length (batched
generation needs no padding). More operands mean more steps (errors compound); more
digits mean harder single additions. Training may mix in operands one digit shorter
(`easy_share`): a curriculum that lets the small models find the addition and copying
circuits reliably (see docs/ORGANISM_RESULTS.md).

Held-out split: a problem is a test problem iff crc32 of its prompt falls in the
`test_share` bucket. Training generators reject those problems, so no test problem
ever appears in training data whatever the seed.
"""
from __future__ import annotations

import random
import zlib
from dataclasses import asdict, dataclass

ALPHABET = "0123456789+=:\nQA"  # every character the formats use
TEST_SEED = 20240917  # the fixed stream the held-out sample is drawn from


@dataclass(frozen=True)
class SumsConfig:
    operands: int = 4
    digits: int = 3
    test_share: int = 20  # one problem in `test_share` belongs to the held-out split

    def __post_init__(self):
        if self.operands < 2:
            raise ValueError(f"a sum needs at least 2 operands, got {self.operands}")
        if not 1 <= self.digits <= 4:
            raise ValueError(f"digits must be between 1 and 4, got {self.digits}")
        if self.test_share < 2:
            raise ValueError(f"test_share must be >= 2, got {self.test_share}")

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT_CONFIG = SumsConfig()


def config_of(model) -> SumsConfig:
    """The task config a tiny model was trained on (saved in its config.json), else the default."""
    saved = getattr(getattr(model, "config", None), "sums_task", None)
    return SumsConfig(**saved) if isinstance(saved, dict) else DEFAULT_CONFIG


@dataclass(frozen=True)
class Problem:
    operands: tuple[int, ...]

    @property
    def answer(self) -> int:
        return sum(self.operands)


def _expression(numbers) -> str:
    return "+".join(str(n) for n in numbers)


def make_prompt(problem: Problem) -> str:
    return f"Q:{_expression(problem.operands)}\n"


def reference_answer(problem: Problem) -> str:
    return str(problem.answer)


def direct_text(problem: Problem) -> str:
    return f"{make_prompt(problem)}A:{problem.answer}"


def steps_text(problem: Problem) -> str:
    """The step-by-step solution, prompt included."""
    lines = [f"Q:{_expression(problem.operands)}"]
    rest = list(problem.operands)
    while len(rest) > 2:
        partial = rest[0] + rest[1]
        lines.append(f"{rest[0]}+{rest[1]}={partial}")
        rest = [partial] + rest[2:]
        lines.append(f"Q:{_expression(rest)}")
    lines.append(f"A:{rest[0]}+{rest[1]}={rest[0] + rest[1]}")
    return "\n".join(lines)


def fact_text(a: int, b: int) -> str:
    return f"{a}+{b}={a + b}"


def is_test_problem(problem: Problem, config: SumsConfig = DEFAULT_CONFIG) -> bool:
    return zlib.crc32(make_prompt(problem).encode()) % config.test_share == 0


def _random_problem(rng: random.Random, config: SumsConfig, easy_share: float = 0.0) -> Problem:
    """Operands of `config.digits` digits; with `easy_share`, each operand has one digit
    fewer with that probability (training only: the held-out problems are all full width)."""
    operands = []
    for _ in range(config.operands):
        digits = config.digits - 1 if config.digits > 1 and rng.random() < easy_share else config.digits
        low = 1 if digits == 1 else 10 ** (digits - 1)
        operands.append(rng.randint(low, 10**digits - 1))
    return Problem(tuple(operands))


def training_problem(rng: random.Random, config: SumsConfig = DEFAULT_CONFIG, easy_share: float = 0.0) -> Problem:
    """A random problem outside the held-out split."""
    while True:
        problem = _random_problem(rng, config, easy_share)
        if not is_test_problem(problem, config):
            return problem


def random_fact(rng: random.Random, config: SumsConfig = DEFAULT_CONFIG, easy_share: float = 0.0) -> tuple[int, int]:
    """Two numbers shaped like one step of a trace: a partial sum of k operands plus one more."""
    problem = _random_problem(rng, config, easy_share)
    k = rng.randint(1, config.operands - 1)
    return sum(problem.operands[:k]), problem.operands[k]


def held_out_problems(n: int, config: SumsConfig = DEFAULT_CONFIG) -> list[Problem]:
    """The first n distinct test-split problems of a fixed stream: the same list every time."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    rng = random.Random(TEST_SEED)
    seen: set[Problem] = set()
    problems: list[Problem] = []
    while len(problems) < n:
        problem = _random_problem(rng, config)
        if is_test_problem(problem, config) and problem not in seen:
            seen.add(problem)
            problems.append(problem)
    return problems


def parse_prompt(prompt: str) -> Problem | None:
    """Problem from a prompt like 'Q:12+34\\n' (None if it is not one)."""
    text = prompt.strip()
    if not text.startswith("Q:"):
        return None
    parts = text[2:].split("+")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        return None
    return Problem(tuple(int(p) for p in parts))
