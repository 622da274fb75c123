"""`python -m thinklogit_app generate`: decode a prompt as the target alone and as target + ThinkLogit."""
from __future__ import annotations

import argparse
import json
import sys

from .. import validation
from ..core.engine import DecodeSettings, run_to_end
from ..evaluation.cost import model_bytes
from ..evaluation.record import examples_of, reference_for, run_record
from ..core.trace import flip_headline
from ..models.loading import load_trio
from ..models.presets import get_preset
from . import UsageError


def add_decode_options(parser: argparse.ArgumentParser) -> None:
    """Options that override a preset's DecodeSettings defaults (unset = the preset's)."""
    parser.add_argument("--preset", help="preset name (default: the presets file's default)")
    parser.add_argument("--alpha", type=float, help="steering strength (paper: 1)")
    parser.add_argument("--schedule", help="constant | warmup:N | ramp:N | first:N (alpha for N tokens, then 0)")
    parser.add_argument("--max-new-tokens", type=int, dest="max_new_tokens")
    parser.add_argument("--temperature", type=float, help="0 = greedy")
    parser.add_argument("--top-p", type=float, dest="top_p")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--guider", help="a variant guider of the preset (e.g. thinklogit-dpo) or a model path")
    parser.add_argument("--force", metavar="STEP:ID[,STEP:ID]",
                        help="counterfactual: the guided stream writes token ID at STEP, then decodes on")
    parser.add_argument("--quantize", action="append", default=[], metavar="ROLE=MODE",
                        help="per-model quantization, e.g. target=4bit (modes: none, 8bit, 4bit)")


def settings_from(args, preset) -> DecodeSettings:
    """The preset's defaults, then any option given on the command line: the app's ranges
    and messages (validation.settings_from)."""
    return validation.settings_from(preset.defaults, {k: getattr(args, k, None) for k in validation.FORM_FIELDS}
                                    | {"force": getattr(args, "force", None)})


def quantization_from(args) -> dict:
    modes = {}
    for item in args.quantize:
        role, sep, mode = item.partition("=")
        if not sep or role not in ("target", "guider", "base"):
            raise UsageError(f"--quantize wants ROLE=MODE with ROLE target, guider or base; got {item!r}")
        modes[role] = mode
    return validation.quantization(modes)


def cmd_generate(args) -> int:
    if not args.prompt.strip():
        raise UsageError("the prompt is empty: pass --prompt with a question")
    validation.check_prompt(args.prompt)
    preset = get_preset(args.preset)
    settings = settings_from(args, preset)
    trio = load_trio(preset, quantization_from(args), guider=args.guider)
    text = preset.prompt_text(args.prompt)
    streams = run_to_end(trio, text, settings)
    fields = trio.record_fields(text, streams["guided"].ids)
    if args.json:
        reference = reference_for(args.prompt, examples_of(preset), preset.task)
        out = run_record(args.prompt, preset.name, settings, streams["baseline"].to_dict(), streams["guided"].to_dict(),
                         reference, args.guider or "", model_bytes(trio)) | fields
        json.dump(out, sys.stdout, ensure_ascii=False)
        print()
        return 0
    if text != args.prompt:
        print(f"=== text sent to the models (the preset's template) ===\n{text}")
    for title, stream in (("Target alone", streams["baseline"]), ("Target + ThinkLogit", streams["guided"])):
        print(f"=== {title} ({len(stream.ids)} tokens, {stream.tokens_per_second:.0f} tok/s, "
              f"stop: {stream.stop_reason}) ===")
        print(stream.text)
    print(f"=== the guider {flip_headline(streams['guided'].records)} ===")
    for note in fields.get("notes", []):
        print(f"note: {note}")
    return 0


def register(sub) -> None:
    gen = sub.add_parser("generate", help="decode a prompt: target alone and target + ThinkLogit")
    gen.add_argument("--prompt", required=True)
    add_decode_options(gen)
    gen.add_argument("--json", action="store_true")
    gen.set_defaults(func=cmd_generate)
