"""`python -m thinklogit_app eval`: greedy held-out pass@1 of target, base, guider and ThinkLogit."""
from __future__ import annotations

import json
import sys

from .. import validation
from ..core.arithmetic import AlphaSchedule
from ..evaluation.evaluate import DEFAULT_ALPHAS
from . import UsageError

DEFAULT_SWEEP = ",".join(f"{a:g}" for a in DEFAULT_ALPHAS)


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="greedy held-out accuracy: target, base, guider, ThinkLogit")
    parser.add_argument("--preset", help="preset name (default: the default preset)")
    parser.add_argument("--n", type=int, default=300, help="held-out problems (default 300)")
    parser.add_argument("--alphas", default=DEFAULT_SWEEP,
                        help=f"alpha sweep, comma-separated (default {DEFAULT_SWEEP}; 0 = the target alone)")
    parser.add_argument("--alpha", type=float, help="alpha of the ThinkLogit column (default: the preset's)")
    parser.add_argument("--schedules", default="warmup:100",
                        help="extra alpha schedules at --alpha, comma-separated; '' for none (default warmup:100, the paper's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (see INTERFACES.md)")
    parser.add_argument("--batch-size", type=int, default=128, help="prompts decoded together (default 128)")
    parser.set_defaults(func=run_eval)


def run_eval(args) -> int:
    from ..evaluation.evaluate import evaluate, held_out_items, variant_guiders
    from ..models.loading import load_trio

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    args.n, alphas = validation.check_evaluation(args.n, args.alphas, 0, max_work=None)  # the app's ranges, no cap
    if args.alpha is not None:
        validation.check_alpha(args.alpha)
    schedules = [s.strip() for s in args.schedules.split(",") if s.strip()]
    for spec in schedules:
        AlphaSchedule.parse(spec)
    trio = load_trio(args.preset)
    preset = trio.preset
    defaults = preset.defaults or {}
    alpha = args.alpha if args.alpha is not None else float(defaults.get("alpha", 1.0))
    extra = variant_guiders(preset)
    sums_config = None
    max_new_tokens = int(defaults.get("max_new_tokens", 256))
    if preset.task == "sums":
        from ..organism.task import config_of
        from ..organism.train import max_new_tokens_for

        sums_config = config_of(trio.target)
        max_new_tokens = max(max_new_tokens, max_new_tokens_for(sums_config))
    items = held_out_items(preset.task, args.n, preset.load_examples(), sums_config)

    def progress(done: int, total: int) -> None:
        print(f"\r  decoded {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    result = evaluate(trio.target, trio.guider, trio.base, trio.tokenizer, items, alphas=alphas, alpha=alpha,
                      schedules=schedules, extra_guiders=extra, max_new_tokens=max_new_tokens,
                      preset=preset.name, batch_size=args.batch_size, progress=progress)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(result.table())
        print(f"\n{result.seconds:.0f} s; ThinkLogit is target + alpha * (guider - base) at alpha {alpha:g}")
    return 0
