"""`python -m thinklogit_app bench`: ms/token of the engine against its baselines (see evaluation/speed.py)."""
from __future__ import annotations

import json

import torch

from ..evaluation.speed import DEFAULT_PROMPT, alpha_grid_bench, format_table, run_bench


def cmd_bench(args) -> int:
    from ..models.loading import load_trio

    if args.threads:
        torch.set_num_threads(args.threads)
    prompt = args.prompt
    if args.synthetic:
        from ..models.synthetic import synthetic_trio

        target, _, guider = args.synthetic.partition(":")
        trio = synthetic_trio(target, guider or target, target_quantization=args.target_quantization or "none")
        prompt = " ".join(f"t{i}" for i in range(1, 33))  # a 32-token prompt
    else:
        trio = load_trio(args.preset, {"target": args.target_quantization} if args.target_quantization else None)
    if args.alpha_grid:
        result = alpha_grid_bench(trio, prompt, args.max_new_tokens, args.repeats)
        table = (f"{result['alphas']} alphas as one batched decode: {result['ms']['grid']:.1f} ms; one guided run: "
                 f"{result['ms']['guided']:.1f} ms; grid/guided = {result['grid/guided']:.2f} "
                 f"({result['max_new_tokens']} tokens, median of {result['repeats']}, {result['device']}, "
                 f"{result['torch_threads']} threads)")
    else:
        result = run_bench(trio, prompt, args.max_new_tokens, args.repeats)
        if torch.cuda.is_available():  # weights + caches + activations, over all variants
            result["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        table = format_table(result)
    result["preset"] = trio.info["preset"]
    print(json.dumps(result) if args.json else table)
    return 0


def register(sub) -> None:
    bench = sub.add_parser("bench", help="ms/token of the engine vs model.generate and the raw forward floor")
    bench.add_argument("--preset")
    bench.add_argument("--prompt", default=DEFAULT_PROMPT)
    bench.add_argument("--max-new-tokens", type=int, default=64, dest="max_new_tokens")
    bench.add_argument("--repeats", type=int, default=5)
    bench.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    bench.add_argument("--target-quantization", choices=["none", "8bit", "4bit"], dest="target_quantization")
    bench.add_argument("--synthetic", metavar="TARGET[:GUIDER]",
                       help="time random-weight models of real shapes instead of a preset (with "
                            "--target-quantization 4bit: an nf4 target), "
                            "e.g. qwen2.5-7b:qwen2.5-1.5b (shapes: see thinklogit_app/synthetic.py)")
    bench.add_argument("--alpha-grid", action="store_true", dest="alpha_grid",
                       help="time the 13-alpha grid (one batched decode) against one guided run instead")
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(func=cmd_bench)
