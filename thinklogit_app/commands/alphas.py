"""`python -m thinklogit_app alphas`: one prompt decoded at a grid of alpha values (one
batched decode), each graded: what alpha does to this prompt's answer."""
from __future__ import annotations

import json
import sys

from ..core.alphas import DEFAULT_ALPHAS
from ..evaluation.alpha_grid import alpha_grid, grid_strip
from ..evaluation.record import examples_of, reference_for
from ..models.loading import load_trio
from ..models.presets import get_preset
from ..validation import parse_alphas
from . import UsageError
from .generate import add_decode_options, quantization_from, settings_from


def cmd_alphas(args) -> int:
    if not args.prompt.strip():
        raise UsageError("the prompt is empty: pass --prompt with a question")
    alphas = parse_alphas(args.alphas)
    preset = get_preset(args.preset)
    settings = settings_from(args, preset)
    trio = load_trio(preset, quantization_from(args), guider=args.guider)
    result = alpha_grid(trio, preset.prompt_text(args.prompt), alphas, settings,
                        reference_for(args.prompt, examples_of(preset), preset.task))
    result["preset"] = preset.name
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False)
        print()
        return 0
    print(f"{len(alphas)} alphas in one batched decode, {result['seconds']:.2f} s")
    for entry in result["alphas"]:
        verdict = "" if entry["correct"] is None else (" ✔" if entry["correct"] else " ✘")
        first = entry["flips"][0] if entry["flips"] else None
        where = f", first at step {first['step']} {first['target_pick']!r}→{first['token']!r}" if first else ""
        print(f"α {entry['alpha']:<5g} answer {entry['answer']!s:<8}{verdict}  "
              f"{len(entry['flips'])} of {len(entry['ids'])} tokens flipped{where}")
    print(grid_strip(result))
    return 0


def register(sub) -> None:
    cmd = sub.add_parser("alphas", help="one prompt at a grid of alpha values, one batched decode, each graded")
    cmd.add_argument("--prompt", required=True)
    cmd.add_argument("--alphas", default=",".join(f"{a:g}" for a in DEFAULT_ALPHAS),
                     help="comma-separated alpha values (default 0 to 3 by 0.25)")
    add_decode_options(cmd)
    cmd.add_argument("--json", action="store_true")
    cmd.set_defaults(func=cmd_alphas)
