"""`python -m thinklogit_app dpo pairs|train`: mine preference pairs, then DPO the guider."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..models.presets import ROOT
from . import UsageError

from ..dpo.pairs import PAIR_TYPES, parse_pair_types
from ..dpo.train import DPOSettings

TRAIN = DPOSettings()  # the training defaults, shown and used by the options

DEFAULT_PAIRS = "assets/dpo/pairs.jsonl.gz"
DEFAULT_OUT = "assets/models/guider-dpo"


def _path(text: str) -> Path:
    path = Path(text)
    return path if path.is_absolute() else ROOT / path


def _positive(name: str, value, allow_zero: bool = False) -> None:
    if value is not None and (value < 0 or (value == 0 and not allow_zero)):
        raise ValueError(f"--{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")


def register(subparsers) -> None:
    parser = subparsers.add_parser("dpo", help="ThinkLogit-DPO: preference pairs, then DPO on the guider")
    commands = parser.add_subparsers(dest="dpo_command", metavar="{pairs,train}")
    commands.required = True

    pairs = commands.add_parser("pairs", help="sample guider alone and guided target on training problems, pair them")
    pairs.add_argument("--preset", help="preset name (default: the default preset)")
    pairs.add_argument("--guider", help="a variant guider of the preset or a model path (default: the preset's)")
    pairs.add_argument("--problems", type=int, default=8000, help="training problems to sample on (default 8000)")
    pairs.add_argument("--problems-file", help="JSONL of {prompt, answer} training problems (tasks other than sums)")
    pairs.add_argument("--samples", type=int, default=8, help="samples per problem from each side (default 8)")
    pairs.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (default 0.7)")
    pairs.add_argument("--top-p", type=float, default=1.0, dest="top_p", help="top-p (default 1)")
    pairs.add_argument("--alpha", type=float, help="ThinkLogit alpha of the guided side (default: the preset's)")
    pairs.add_argument("--schedule", help="alpha schedule of the guided side (default: the preset's)")
    pairs.add_argument("--max-new-tokens", type=int, dest="max_new_tokens", help="default: the preset's / the task's")
    pairs.add_argument("--types", default="all",
                       help="pair types to build: all (default), paper (ss,sl,ls), or some of ss,sl,ls,ll "
                            "(chosen small/large correct, rejected small/large incorrect)")
    pairs.add_argument("--max-per-type", type=int, default=9, dest="max_per_type",
                       help="pairs per problem per type (default 9)")
    pairs.add_argument("--batch-size", type=int, default=128, dest="batch_size", help="sequences per generate call")
    pairs.add_argument("--seed", type=int, default=0)
    pairs.add_argument("--threads", type=int, help="torch CPU threads")
    pairs.add_argument("--out", default=DEFAULT_PAIRS,
                       help=f"JSONL of pairs, gzipped if the name ends in .gz (default {DEFAULT_PAIRS}); "
                            "statistics go beside it in NAME.stats.json")
    pairs.set_defaults(func=run_pairs)

    train = commands.add_parser("train", help="DPO the preset's guider on a pairs file (TRL DPOTrainer, LoRA)")
    train.add_argument("--preset", help="preset name (default: the default preset)")
    train.add_argument("--guider", help="guider to start from: a variant name or model path (default: the preset's)")
    train.add_argument("--pairs", default=DEFAULT_PAIRS, help=f"pairs JSONL (default {DEFAULT_PAIRS})")
    train.add_argument("--types", default="ll,sl",
                       help="train on these pair types: all, paper (ss,sl,ls), or some of ss,sl,ls,ll (default ll,sl: "
                            "pairs whose rejected trace is the guided target's own mistake)")
    train.add_argument("--cut-rejected", choices=("auto", "char", "line", "no"), default="auto", dest="cut_rejected",
                       help="cut each rejected trace after its first character (char: one token with a character "
                            "tokenizer) or line that differs from the chosen one (auto: char for the tiny sums "
                            "task's canonical traces, no for free-form reasoning)")
    train.add_argument("--steps", type=int, default=TRAIN.steps, help=f"optimizer steps (default {TRAIN.steps})")
    train.add_argument("--beta", type=float, default=TRAIN.beta, help=f"DPO beta (default {TRAIN.beta:g})")
    train.add_argument("--lr", type=float, help="learning rate (default 2e-3 with LoRA, 2e-4 full)")
    train.add_argument("--batch-size", type=int, default=TRAIN.batch_size, dest="batch_size",
                       help=f"pairs per step (default {TRAIN.batch_size})")
    train.add_argument("--full", action="store_true", help="full fine-tune instead of LoRA (fine for tiny guiders)")
    train.add_argument("--lora-r", type=int, default=TRAIN.lora_r, dest="lora_r", help=f"LoRA rank (default {TRAIN.lora_r})")
    train.add_argument("--loss", default=",".join(TRAIN.loss_type),
                       help="TRL loss type(s), comma-separated (default sigmoid,sft: DPO plus an NLL term on the "
                            "chosen trace, as in RPO; plain 'sigmoid' drifts the tiny guider), or first-token: DPO on "
                            "the first token where chosen and rejected differ plus a KL anchor to the guider before "
                            "DPO on the chosen trace's other tokens (thinklogit_app/dpo/first_token.py)")
    train.add_argument("--kl-weight", type=float, default=TRAIN.kl_weight, dest="kl_weight",
                       help=f"weight of the KL anchor of --loss first-token (default {TRAIN.kl_weight:g})")
    train.add_argument("--policy", choices=("guider", "guided"), default="guider",
                       help="what --loss first-token scores: the guider alone (default), or the guided combination "
                            "target + alpha * (guider - base) with only the guider trainable, so the loss sees what "
                            "decoding uses")
    train.add_argument("--alpha", type=float, help="alpha of --policy guided (default: the preset's)")
    train.add_argument("--max-length", type=int, default=TRAIN.max_length, dest="max_length",
                       help=f"tokens per prompt + completion; longer pairs are cut at the end (default {TRAIN.max_length})")
    train.add_argument("--seed", type=int, default=TRAIN.seed)
    train.add_argument("--threads", type=int, help="torch CPU threads")
    train.add_argument("--out", default=DEFAULT_OUT, help=f"folder of the merged DPO guider (default {DEFAULT_OUT})")
    train.add_argument("--eval", type=int, default=0, metavar="N",
                       help="then evaluate target / ThinkLogit / ThinkLogit-DPO greedily on N held-out problems")
    train.set_defaults(func=run_train)


def _quiet_libraries() -> None:
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()


def run_pairs(args) -> int:
    from tqdm import tqdm

    from ..core.engine import DecodeSettings
    from ..models.presets import PresetError, get_preset
    from ..models.loading import load_trio
    from ..dpo.pairs import MiningSettings, mine_pairs, training_problems, write_jsonl

    try:
        for name in ("problems", "samples", "max_per_type", "batch_size", "max_new_tokens", "threads"):
            _positive(name.replace("_", "-"), getattr(args, name))
        _positive("temperature", args.temperature)
        preset = get_preset(args.preset)
        defaults = preset.defaults or {}
        settings = MiningSettings(
            samples=args.samples, temperature=args.temperature, top_p=args.top_p,
            alpha=args.alpha if args.alpha is not None else float(defaults.get("alpha", 1.0)),
            schedule=args.schedule or defaults.get("schedule", "constant"), types=parse_pair_types(args.types),
            max_per_type=args.max_per_type, seed=args.seed, batch_size=args.batch_size,
        )
        DecodeSettings(alpha=settings.alpha, schedule=settings.schedule, temperature=settings.temperature,
                       top_p=settings.top_p).validate()
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        trio = load_trio(preset, guider=args.guider)
        problems = training_problems(preset, args.problems, args.seed, trio.target, args.problems_file)
    except (ValueError, PresetError) as err:
        raise UsageError(str(err))
    from ..evaluation.evaluate import token_budget

    settings.max_new_tokens = args.max_new_tokens or token_budget(trio, preset.task,
                                                                  int(defaults.get("max_new_tokens", 256)))

    started = time.time()
    with tqdm(total=2 * len(problems), desc="sampling guider, then guided target", unit="problem",
              file=sys.stderr) as bar:
        pairs, stats = mine_pairs(trio, problems, settings, names=trio.info.get("models"), progress=bar.update)
    out = write_jsonl((p.to_dict() for p in pairs), _path(args.out))
    stats |= {"preset": preset.name, "models": trio.info.get("models"), "settings": settings.to_dict(),
              "seconds": round(time.time() - started, 1)}
    stats_file = out.with_name(out.name.removesuffix(".gz").removesuffix(".jsonl") + ".stats.json")
    stats_file.write_text(json.dumps(stats, indent=2) + "\n")
    accuracy = stats["sample_accuracy"]
    print(f"{len(pairs)} pairs from {len(problems)} training problems -> {out}")
    print(f"sampled accuracy: guider alone {accuracy['small']:.3f}, guided target {accuracy['large']:.3f}")
    for name, count in stats["pairs_by_type"].items():
        print(f"  {name}: {count}")
    if not pairs:
        print("warning: no pairs: both sides were always right (or always wrong); raise --temperature or "
              "--problems", file=sys.stderr)
    return 0


def run_train(args) -> int:
    from ..models.loading import load_model, load_tokenizer
    from ..models.presets import PresetError, get_preset, guider_ref
    from ..dpo.pairs import read_pairs
    from ..dpo.train import DPOSettings, save_guider, train_dpo

    try:
        for name in ("steps", "batch_size", "lora_r", "threads", "lr", "beta", "max_length"):
            _positive(name.replace("_", "-"), getattr(args, name))
        _positive("eval", args.eval, allow_zero=True)
        types = parse_pair_types(args.types)
        preset = get_preset(args.preset)
        pairs = read_pairs(_path(args.pairs))
        if types != tuple(PAIR_TYPES):
            pairs = [p for p in pairs if p.pair_type in types]
        if not pairs:
            raise ValueError(f"{args.pairs}: no pairs of the chosen types; run `python -m thinklogit_app dpo pairs`")
        settings = DPOSettings(
            steps=args.steps, beta=args.beta, learning_rate=args.lr or (2e-3 if not args.full else 2e-4),
            batch_size=args.batch_size, lora=not args.full, lora_r=args.lora_r, lora_alpha=2 * args.lora_r,
            loss_type=tuple(s.strip() for s in args.loss.split(",") if s.strip()), seed=args.seed,
            max_length=args.max_length, kl_weight=args.kl_weight, policy=args.policy,
            threads=args.threads,
            cut_rejected=(("char" if preset.task == "sums" else "no") if args.cut_rejected == "auto"
                          else args.cut_rejected),
        )
        settings.validate()
        start = guider_ref(preset, args.guider)
        source = preset.path_of(start)
        tokenizer = load_tokenizer(source)
        guider = load_model(source)
        guided = None
        if settings.policy == "guided":
            from ..dpo.first_token import GuidedPolicy
            from ..validation import check_alpha

            alpha = check_alpha(args.alpha if args.alpha is not None else (preset.defaults or {}).get("alpha", 1.0))
            guided = GuidedPolicy(load_model(preset.path_of(preset.target)), load_model(preset.path_of(preset.base)),
                                  alpha)
    except (ValueError, PresetError) as err:
        raise UsageError(str(err))
    _quiet_libraries()
    trained, summary = train_dpo(guider, tokenizer, pairs, settings, log=lambda line: print(line, flush=True),
                                 guided=guided)
    if guided is not None:
        summary["policy_alpha"] = guided.alpha
    summary |= {"preset": preset.name, "started_from": start, "pairs_file": str(args.pairs),
                "pair_types": {t: sum(p.pair_type == t for p in pairs) for t in PAIR_TYPES}}
    out = save_guider(trained, tokenizer, _path(args.out), summary)
    print(f"DPO guider saved to {out} ({summary['seconds']:.0f} s of training)")
    if args.eval:
        table = evaluate_dpo(preset, out, args.eval)
        print(table)
    return 0


def evaluate_dpo(preset, dpo_folder: Path, n: int) -> str:
    """Greedy held-out accuracy of the preset's trio with and without the DPO guider."""
    from ..evaluation.evaluate import evaluate_trio
    from ..models.loading import load_model, load_trio

    trio = load_trio(preset)
    alpha = float((preset.defaults or {}).get("alpha", 1.0))
    result = evaluate_trio(trio, n, alphas=(alpha,), extra_guiders={"thinklogit-dpo": load_model(str(dpo_folder))})
    return result.table()
