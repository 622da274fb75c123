"""The `two-styles` trio: a target reliable in one chain style, a guider that pushes the other.

Same problems and prompts as `tiny-sums` (4 three-digit numbers, same held-out split),
two ways to lay out the sub-steps:

    steps    Q:541+755+437+677\n541+755=1296\nQ:1296+437+677\n1296+437=1733\nQ:1733+677\nA:1733+677=2410
    grouped  Q:541+755+437+677\n541+755+437=1733\nQ:1733+677\nA:1733+677=2410

They part at one token: the character after `541+755` (`=` for steps, `+` for grouped).
The target writes both, but it adds three numbers in one line far worse than two (it
saw three-number sums only in this short continuation), so it is reliable in `steps`
only. The guider is the base fine-tuned on chains whose style follows a rule: `grouped` for
an odd second number, `steps` for an even one, 3 documents in 4 (the other style in the 4th).
So (guider - base) pushes `grouped` on the odd half, and ThinkLogit steers the target into
the style it fails at there. (A guider trained half and half on the two styles, with no rule,
left ThinkLogit's share of `grouped` to a near-zero margin that each training seed tipped its
own way: 25% at seed 0, ~78% at seed 1.) Pairs mined from the guided target contrast the two
styles (correct `steps` vs incorrect `grouped`), which a guider that cannot add can still learn
from: DPO aligns the guider with what the target executes well.

The trio is not trained from scratch: target and base continue from the shipped
`tiny-sums` target and base (which already write `steps` chains), on a mix that adds
`grouped` chains and three-number facts; the guider is that base fine-tuned on the
rule's chains. One seed drives all three phases (target 100+3s, base 101+3s,
guider 102+3s).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from transformers import AutoTokenizer, LlamaForCausalLM

from . import task
from .train import DocumentStream, Phase, _fmt_time, max_new_tokens_for, save_model, train_phase

STYLES = ("steps", "grouped")
KINDS = ("direct", "steps", "grouped", "fact", "fact3", "parity")  # the order of a Phase.mix of this trio
PARITY_SHARE = 0.75  # "parity" documents: grouped for an odd second number, steps for an even one, this often


def parity_style(problem: task.Problem, follows: bool) -> str:
    """The style of a "parity" document: an odd second number -> grouped, even -> steps when the
    document `follows` the rule (PARITY_SHARE of them), the other style otherwise. The rule
    reads the digit written just before the fork (`541+755` then `+` or `=`), which a tiny
    guider learns at once."""
    odd = problem.operands[1] % 2 == 1
    return "grouped" if odd == follows else "steps"


def grouped_text(problem: task.Problem) -> str:
    """The `grouped` chain: the first three numbers in one line, then the last sum."""
    first, rest = problem.operands[:3], problem.operands[3:]
    partial = sum(first)
    lines = [f"Q:{'+'.join(map(str, problem.operands))}", f"{'+'.join(map(str, first))}={partial}"]
    numbers = [partial, *rest]
    while len(numbers) > 2:
        lines.append(f"Q:{'+'.join(map(str, numbers))}")
        lines.append(f"{numbers[0]}+{numbers[1]}={numbers[0] + numbers[1]}")
        numbers = [numbers[0] + numbers[1], *numbers[2:]]
    lines.append(f"Q:{numbers[0]}+{numbers[1]}")
    lines.append(f"A:{numbers[0]}+{numbers[1]}={sum(numbers)}")
    return "\n".join(lines)


def triple_fact_text(rng, config: task.SumsConfig, easy_share: float) -> str:
    """A three-number sum shaped like a `grouped` line (a partial sum or an operand, plus two operands)."""
    problem = task._random_problem(rng, config, easy_share)
    k = rng.randint(0, 1)
    head = sum(problem.operands[:k + 1])
    a, b = problem.operands[k + 1], problem.operands[k + 2]
    return f"{head}+{a}+{b}={head + a + b}"


def chain_style(completion: str) -> str:
    """Which style a completion (prompt excluded) took: steps, grouped, direct, or other."""
    first = completion.split("\n", 1)[0]
    if first.startswith("A:"):
        return "direct"
    if "=" in first:
        pluses = first.split("=", 1)[0].count("+")
        return {1: "steps", 2: "grouped"}.get(pluses, "other")
    return "other"


class StyleStream(DocumentStream):
    """Training documents of this trio: direct, steps, grouped, two- and three-number facts."""

    def __init__(self, tokenizer, config, mix, seed, easy_share=0.0):
        if len(mix) != len(KINDS):
            raise ValueError(f"a two-styles mix has {len(KINDS)} weights ({', '.join(KINDS)}), got {len(mix)}")
        super().__init__(tokenizer, config, mix, seed, easy_share)
        self.kinds = KINDS

    def text(self) -> str:
        kind = self.rng.choices(self.kinds, weights=self.weights)[0]
        if kind == "fact":
            return task.fact_text(*task.random_fact(self.rng, self.config, self.easy_share))
        if kind == "fact3":
            return triple_fact_text(self.rng, self.config, self.easy_share)
        problem = task.training_problem(self.rng, self.config, self.easy_share)
        if kind == "parity":
            kind = parity_style(problem, self.rng.random() < PARITY_SHARE)
        return {"direct": task.direct_text, "steps": task.steps_text, "grouped": grouped_text}[kind](problem)


@dataclass(frozen=True)
class StylesRecipe:
    start_from: str = "assets/models"  # the tiny-sums trio whose target and base are continued
    pretrain: Phase = Phase(steps=600, lr=1e-3, mix=(3.0, 1.5, 0.5, 2.0, 0.6, 0.0), easy_share=0.3, warmup=50)
    guider: Phase = Phase(steps=300, lr=1e-3, mix=(0.0, 0.0, 0.0, 0.0, 0.0, 1.0), easy_share=0.3, warmup=50)
    seed: int = 0

    @property
    def seeds(self) -> dict:
        return {"target": 100 + 3 * self.seed, "base": 101 + 3 * self.seed, "guider": 102 + 3 * self.seed}

    def to_dict(self) -> dict:
        return asdict(self) | {"seeds": self.seeds, "mix_order": list(KINDS)}


def train_styles_trio(recipe: StylesRecipe, start: Path, out: Path, log=print, threads: int | None = None,
                      guider_only: bool = False) -> dict:
    """Continue `start`/{target,base} on the two-styles mix, fine-tune the guider; save under out/.
    `guider_only`: out/target and out/base exist (an earlier run of the same seed); only the
    guider phase runs, from out/base (the same weights the full run continues in memory)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    start, out = Path(start), Path(out)
    for role in ("target", "base"):
        if guider_only and not (out / role / "config.json").is_file():
            raise ValueError(f"{out / role}: no {role} of an earlier run; run without --guider-only first")
        if not guider_only and not (start / role / "config.json").is_file():
            raise ValueError(f"{start / role}: no model to continue from; build the tiny-sums trio first "
                             "(python -m thinklogit_app organism train)")
    tokenizer = AutoTokenizer.from_pretrained((out if guider_only else start) / "target")
    config = task.DEFAULT_CONFIG
    limit = max_new_tokens_for(config)
    seeds, started = recipe.seeds, time.time()
    summary: dict = {"recipe": recipe.to_dict(), "phases": {}}

    def phase(model, spec, role):
        summary["phases"][role] = train_phase(model, tokenizer, config, spec, seeds[role], role, log, stream=StyleStream)

    if guider_only:
        base = LlamaForCausalLM.from_pretrained(out / "base")
        previous = out / "organism.json"
        if previous.is_file():
            summary["phases"] = {k: v for k, v in json.loads(previous.read_text()).get("phases", {}).items()
                                 if k in ("target", "base")}
    else:
        log(f"[1/3] target: {start / 'target'} continued, seed {seeds['target']}")
        target = LlamaForCausalLM.from_pretrained(start / "target")
        phase(target, recipe.pretrain, "target")
        save_model(target, tokenizer, out / "target", limit)
        del target
        log(f"[2/3] base: {start / 'base'} continued, seed {seeds['base']}")
        base = LlamaForCausalLM.from_pretrained(start / "base")
        phase(base, recipe.pretrain, "base")
        save_model(base, tokenizer, out / "base", limit)
    log(f"[3/3] guider = base + fine-tune on both styles by the parity of the second number, seed {seeds['guider']}")
    phase(base, recipe.guider, "guider")
    save_model(base, tokenizer, out / "guider", limit)
    summary["seconds"] = round(time.time() - started, 1)
    (out / "organism.json").write_text(json.dumps(summary, indent=2) + "\n")
    log(f"done in {_fmt_time(summary['seconds'])}: {out}")
    return summary
