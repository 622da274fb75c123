"""`bench`: ms per generated token of the engine against its baselines, in ONE process
on the same models, and the ratios that say what the engine costs.

(a) target-only `model.generate` greedy; (b) the raw floor: one cached forward of the
target, the guider and the base, each timed alone, summed; (c) the guided stream;
(d) both streams side by side; (e) the guided stream with tracing off; (f) guided with
the guider pair overlapped on threads (the default on a GPU). `floor_interleaved` calls
the three forwards in turn in a bare loop: guided/floor_interleaved is the engine's own
cost, while floor_interleaved/floor is what interleaving three models costs on this
hardware (caches, bandwidth) whatever the engine does.
"""
from __future__ import annotations

import statistics
import time

import torch
from transformers import DynamicCache

from ..core.engine import DecodeSettings, encode_prompt, run_to_end
from ..core.forward import next_logits
from .batched import only_our_settings

DEFAULT_PROMPT = "Q:37+48+19+22\n"


def _sync(trio):
    if trio.target.device.type == "cuda":
        torch.cuda.synchronize()


@torch.inference_mode()
def forward_ms(model, prompt_ids: torch.Tensor, tokens: int) -> float:
    """ms of one cached single-token forward, after a prefill, averaged over `tokens` steps."""
    cache = DynamicCache()
    token = next_logits(model, prompt_ids, cache).argmax(-1, keepdim=True)
    start = time.perf_counter()
    for _ in range(tokens):
        token = next_logits(model, token, cache).argmax(-1, keepdim=True)
    if model.device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) * 1000 / tokens


@torch.inference_mode()
def interleaved_ms(trio, prompt_ids: torch.Tensor, tokens: int) -> float:
    """ms per step of the three cached forwards called in turn, nothing else: what the
    floor costs once the models share caches and memory bandwidth as in real decoding."""
    models = (trio.target, trio.guider, trio.base)
    caches = [DynamicCache() for _ in models]
    tokens_in = [next_logits(model, prompt_ids, cache).argmax(-1, keepdim=True) for model, cache in zip(models, caches)]
    start = time.perf_counter()
    for _ in range(tokens):
        for i, (model, cache) in enumerate(zip(models, caches)):
            tokens_in[i] = next_logits(model, tokens_in[i], cache).argmax(-1, keepdim=True)
    _sync(trio)
    return (time.perf_counter() - start) * 1000 / tokens


def _timed(trio, fn) -> tuple[float, int]:
    _sync(trio)
    start = time.perf_counter()
    tokens = fn()
    _sync(trio)
    return (time.perf_counter() - start) * 1000, tokens


def run_bench(trio, prompt: str = DEFAULT_PROMPT, max_new_tokens: int = 64, repeats: int = 5) -> dict:
    """Median ms/token of each variant over `repeats` interleaved rounds, and the ratios."""
    settings = DecodeSettings(alpha=1.0, schedule="constant", temperature=0.0, top_p=1.0,
                              max_new_tokens=max_new_tokens, repeat_limit=0, ignore_eos=True)
    untraced = DecodeSettings(**{**settings.to_dict(), "trace": False})
    prompt_ids = encode_prompt(trio, prompt, max_new_tokens)
    overlap_default = trio.target.device.type == "cuda"

    def generate():
        out = trio.target.generate(prompt_ids.to(trio.target.device), **only_our_settings(
            trio.target, max_new_tokens=max_new_tokens, do_sample=False, min_new_tokens=max_new_tokens))
        return out.shape[1] - prompt_ids.shape[1]

    def stream(names, s, overlap=overlap_default):
        def run():
            states = run_to_end(trio, prompt, s, streams=names, overlap=overlap)
            return max(len(st.ids) for st in states.values())
        return run

    variants = {
        "generate": generate,
        "guided": stream(("guided",), settings),
        "side_by_side": stream(("baseline", "guided"), settings),
        "guided_untraced": stream(("guided",), untraced),
        "guided_overlap" if not overlap_default else "guided_serial": stream(("guided",), settings, not overlap_default),
    }
    for fn in variants.values():  # warm-up: allocator, kernels, tokenizer caches
        fn()
    samples = {name: [] for name in variants}
    floor_samples = {"target": [], "guider": [], "base": []}
    interleaved = []
    for _ in range(repeats):
        for name, fn in variants.items():
            ms, tokens = _timed(trio, fn)
            samples[name].append(ms / max(tokens, 1))
        for role in floor_samples:
            floor_samples[role].append(forward_ms(getattr(trio, role), prompt_ids, max_new_tokens))
        interleaved.append(interleaved_ms(trio, prompt_ids, max_new_tokens))
    ms = {name: statistics.median(v) for name, v in samples.items()}
    floor = {role: statistics.median(v) for role, v in floor_samples.items()}
    ms["floor"] = sum(floor.values())
    ms["floor_interleaved"] = statistics.median(interleaved)
    ratios = {
        "guided/floor": ms["guided"] / ms["floor"],
        "guided/floor_interleaved": ms["guided"] / ms["floor_interleaved"],
        "side_by_side/guided": ms["side_by_side"] / ms["guided"],
        "traced/untraced": ms["guided"] / ms["guided_untraced"],
        "guided/generate": ms["guided"] / ms["generate"],
    }
    other = "guided_overlap" if "guided_overlap" in ms else "guided_serial"
    ratios[f"{other}/guided"] = ms[other] / ms["guided"]
    return {
        "device": trio.info.get("device", trio.target.device.type),
        "torch_threads": torch.get_num_threads(),
        "max_new_tokens": max_new_tokens,
        "repeats": repeats,
        "ms_per_token": {k: round(v, 3) for k, v in ms.items()},
        "floor_parts_ms": {k: round(v, 3) for k, v in floor.items()},
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
    }


def format_table(result: dict) -> str:
    lines = [f"device {result['device']}, {result['torch_threads']} torch threads, "
             f"{result['max_new_tokens']} new tokens, median of {result['repeats']} rounds",
             f"{'variant':<22}{'ms/token':>10}"]
    for name, value in result["ms_per_token"].items():
        lines.append(f"{name:<22}{value:>10.3f}")
    lines.append("floor = " + " + ".join(f"{k} {v:.3f}" for k, v in result["floor_parts_ms"].items()))
    lines.append(f"{'ratio':<28}{'value':>8}")
    for name, value in result["ratios"].items():
        lines.append(f"{name:<28}{value:>8.3f}")
    if "peak_gpu_memory_gib" in result:
        lines.append(f"peak GPU memory {result['peak_gpu_memory_gib']:.2f} GiB")
    return "\n".join(lines)


def alpha_grid_bench(trio, prompt: str = DEFAULT_PROMPT, max_new_tokens: int = 64, repeats: int = 5,
                     alphas=None) -> dict:
    """Median wall time of the alpha grid (core.alphas: 13 alphas in ONE batched decode) against
    one guided run of the same length (tracing off in neither: the grid keeps what its views
    need, the guided run its full trace), and their ratio (the goal: at most 3)."""
    from ..core.alphas import DEFAULT_ALPHAS, decode_alphas

    alphas = list(alphas or DEFAULT_ALPHAS)
    settings = DecodeSettings(alpha=1.0, schedule="constant", temperature=0.0, top_p=1.0,
                              max_new_tokens=max_new_tokens, repeat_limit=0, ignore_eos=True)
    variants = {"guided": lambda: run_to_end(trio, prompt, settings, streams=("guided",)),
                "grid": lambda: decode_alphas(trio, prompt, alphas, settings)}
    for fn in variants.values():  # warm-up
        fn()
    samples = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            _sync(trio)
            start = time.perf_counter()
            fn()
            _sync(trio)
            samples[name].append((time.perf_counter() - start) * 1000)
    ms = {name: statistics.median(v) for name, v in samples.items()}
    return {"device": trio.info.get("device", trio.target.device.type), "torch_threads": torch.get_num_threads(),
            "alphas": len(alphas), "max_new_tokens": max_new_tokens, "repeats": repeats,
            "ms": {k: round(v, 1) for k, v in ms.items()}, "grid/guided": round(ms["grid"] / ms["guided"], 3)}
