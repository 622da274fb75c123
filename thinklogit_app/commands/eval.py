"""`python -m thinklogit_app eval`: greedy held-out pass@1 of target, base, guider and ThinkLogit."""
from __future__ import annotations

import json
import sys

from .. import validation
from ..core.arithmetic import AlphaSchedule
from ..evaluation.evaluate import DEFAULT_SWEEP
from . import UsageError


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="greedy held-out accuracy: target, base, guider, ThinkLogit")
    parser.add_argument("--preset", help="preset name (default: the default preset)")
    parser.add_argument("--n", type=int, default=300, help="held-out problems (default 300)")
    parser.add_argument("--alphas", default=DEFAULT_SWEEP,
                        help=f"alpha sweep, comma-separated (default {DEFAULT_SWEEP}; 0 = the target alone)")
    parser.add_argument("--alpha", type=float, help="alpha of the ThinkLogit column (default: the preset's)")
    parser.add_argument("--schedules", default="warmup:100",
                        help="extra alpha schedules at --alpha, comma-separated; '' for none (default warmup:100, the paper's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (shape: see the README)")
    parser.add_argument("--batch-size", type=int, default=128, help="prompts decoded together (default 128)")
    parser.set_defaults(func=run_eval)


def run_eval(args) -> int:
    from ..evaluation.evaluate import evaluate_trio
    from ..models.loading import load_trio, load_variant_guiders

    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    args.n, alphas = validation.check_evaluation(args.n, args.alphas, 0, max_work=None)  # the app's ranges, no cap
    if args.alpha is not None:
        validation.check_alpha(args.alpha)
    schedules = [s.strip() for s in args.schedules.split(",") if s.strip()]
    for spec in schedules:
        AlphaSchedule.parse(spec)
    trio = load_trio(args.preset)

    def progress(done: int, total: int) -> None:
        print(f"\r  decoded {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    result = evaluate_trio(trio, args.n, alphas=alphas, alpha=args.alpha, schedules=schedules,
                           extra_guiders=load_variant_guiders(trio), batch_size=args.batch_size, progress=progress)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(result.table())
        print(f"\n{result.seconds:.0f} s; ThinkLogit is target + alpha * (guider - base) at alpha {result.alpha:g}")
    return 0
