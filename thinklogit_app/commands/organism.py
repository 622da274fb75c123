"""`python -m thinklogit_app organism ...`: rebuild the embedded trio, write its examples."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from ..models.presets import ROOT
from . import UsageError



def register(subparsers) -> None:
    parser = subparsers.add_parser("organism", help="train the embedded tiny trio (target, base, guider)")
    commands = parser.add_subparsers(dest="organism_command", metavar="{train,styles,examples}")
    commands.required = True

    train = commands.add_parser("train", help="rebuild target, base and guider from scratch (seeded, CPU)")
    train.add_argument("--seed", type=int, default=0, help="run seed: target/base/guider use 3s, 3s+1, 3s+2 (default 0, the shipped trio)")
    train.add_argument("--out", default="assets/models", help="folder for target/, base/, guider/ (default assets/models)")
    train.add_argument("--steps", type=int, help="pretraining steps of target and base")
    train.add_argument("--guider-steps", type=int, help="step-by-step fine-tune steps of the guider")
    train.add_argument("--operands", type=int, help="difficulty knob: numbers per problem")
    train.add_argument("--digits", type=int, help="difficulty knob: digits per number")
    train.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    train.add_argument("--eval", type=int, default=300, metavar="N",
                       help="held-out problems to evaluate after training, 0 to skip (default 300)")
    train.set_defaults(func=run_train)

    styles = commands.add_parser("styles", help="build the two-styles trio from the tiny-sums target and base (seeded, CPU)")
    styles.add_argument("--seed", type=int, default=0, help="run seed: target/base/guider use 100+3s, 101+3s, 102+3s "
                        "(default 0, the shipped trio)")
    styles.add_argument("--start", default="assets/models",
                        help="the tiny-sums trio whose target/ and base/ are continued (default assets/models)")
    styles.add_argument("--out", default="assets/models/two-styles",
                        help="folder for target/, base/, guider/ (default assets/models/two-styles)")
    styles.add_argument("--guider-only", action="store_true", dest="guider_only",
                        help="only the guider phase, from OUT/base of an earlier run of the same seed (minutes)")
    styles.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    styles.add_argument("--eval", type=int, default=300, metavar="N",
                        help="held-out problems to evaluate after training, 0 to skip (default 300)")
    styles.set_defaults(func=run_styles)

    examples = commands.add_parser("examples", help="write example prompts with reference answers")
    examples.add_argument("--out", default="assets/examples.json")
    examples.add_argument("--n", type=int, default=8)
    examples.set_defaults(func=run_examples)


def recipe_from(args):
    from ..organism import task
    from ..organism.train import DEFAULT_RECIPE, seeded

    recipe = seeded(DEFAULT_RECIPE, args.seed)
    if args.operands is not None or args.digits is not None:
        recipe = replace(recipe, task=task.SumsConfig(
            operands=args.operands if args.operands is not None else recipe.task.operands,
            digits=args.digits if args.digits is not None else recipe.task.digits))
    if args.steps is not None:
        recipe = replace(recipe, pretrain=replace(recipe.pretrain, steps=args.steps),
                         base_pretrain=recipe.base_pretrain and replace(recipe.base_pretrain, steps=args.steps))
    if args.guider_steps is not None:
        recipe = replace(recipe, guider=replace(recipe.guider, steps=args.guider_steps))
    return recipe


def run_train(args) -> int:
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    for name in ("steps", "guider_steps", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    try:
        recipe = recipe_from(args)
    except ValueError as err:
        raise UsageError(str(err))
    from ..organism.train import train_trio

    out = Path(args.out)
    out = out if out.is_absolute() else ROOT / out
    summary = train_trio(recipe, out, log=lambda line: print(line, flush=True), threads=args.threads)
    if args.eval > 0:
        result = evaluate_folder(out, args.eval)
        print(result.table(), flush=True)
        summary["eval"] = result.to_json()
        (out / "organism.json").write_text(json.dumps(summary, indent=2) + "\n")
        if result.columns["guider"].step_lines_share < 0.95:
            print("warning: the guider writes step lines in under 95% of its outputs: "
                  "this seed did not learn the format, try another --seed", file=sys.stderr)
    return 0


def run_styles(args) -> int:
    from ..organism.styles import StylesRecipe, train_styles_trio

    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if args.threads < 1:
        raise UsageError(f"--threads must be >= 1, got {args.threads}")
    if args.eval < 0:
        raise UsageError(f"--eval must be >= 0, got {args.eval}")
    start, out = (Path(p) if Path(p).is_absolute() else ROOT / p for p in (args.start, args.out))
    try:
        summary = train_styles_trio(StylesRecipe(seed=args.seed), start, out, log=lambda line: print(line, flush=True),
                                    threads=args.threads, guider_only=args.guider_only)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.eval > 0:
        result = evaluate_folder(out, args.eval)
        print(result.table(), flush=True)
        summary["eval"] = result.to_json()
        (out / "organism.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def evaluate_folder(folder: Path, n: int, progress=None):
    """Evaluate the trio saved under folder/{target,base,guider} on n held-out problems."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..core.trio import Trio
    from ..evaluation.evaluate import evaluate_trio

    tokenizer = AutoTokenizer.from_pretrained(folder / "target")
    models = {role: AutoModelForCausalLM.from_pretrained(folder / role).eval() for role in ("target", "base", "guider")}
    trio = Trio.checked(models["target"], models["guider"], models["base"], tokenizer)
    return evaluate_trio(trio, n, task="sums", schedules=("warmup:100",), progress=progress, name=str(folder))


def run_examples(args) -> int:
    from ..organism import task

    if args.n < 1:
        raise UsageError(f"--n must be >= 1, got {args.n}")
    out = Path(args.out)
    out = out if out.is_absolute() else ROOT / out
    problems = task.held_out_problems(args.n)
    rows = [{"prompt": task.make_prompt(p), "answer": task.reference_answer(p)} for p in problems]
    out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {len(rows)} examples to {out}")
    return 0
