"""Train the embedded trio from scratch: target, base, and guider = base + step-by-step fine-tune.

Target and base are pretrained on the same mix (mostly direct answers, some step-by-step
solutions, some single-step facts), so both *can* reason step by step but greedily answer
directly. The guider is the base fine-tuned on step-by-step solutions only: (guider - base)
then carries the habit of reasoning, and the larger target does the arithmetic.

Documents are packed into rows of `seq_len` tokens, each row starting at a document's BOS.
Plain torch loop, AdamW, linear warm-up then cosine decay, fp32 (this CPU has no fast bf16).
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

from . import task
from .task import SumsConfig
from .tokenizer import build_tokenizer


@dataclass(frozen=True)
class ModelSize:
    layers: int
    hidden: int
    heads: int
    mlp: int

    def llama_config(self, tokenizer, max_positions: int = 512) -> LlamaConfig:
        return LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=self.hidden,
            intermediate_size=self.mlp,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            num_key_value_heads=self.heads,
            max_position_embeddings=max_positions,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            tie_word_embeddings=False,
        )


@dataclass(frozen=True)
class Phase:
    """One training run: optimiser settings and data mix (weights of direct / steps / facts)."""

    steps: int
    lr: float
    mix: tuple[float, float, float]
    easy_share: float = 0.0  # share of operands one digit shorter (a curriculum)
    batch: int = 32
    seq_len: int | None = None  # None: room for the longest step-by-step document, in multiples of 32
    warmup: int = 100


@dataclass(frozen=True)
class Recipe:
    task: SumsConfig = task.DEFAULT_CONFIG
    target_size: ModelSize = ModelSize(layers=4, hidden=128, heads=4, mlp=512)
    base_size: ModelSize = ModelSize(layers=2, hidden=64, heads=2, mlp=256)
    pretrain: Phase = Phase(steps=2000, lr=2.5e-3, mix=(3.0, 1.5, 2.0), easy_share=0.3)
    base_pretrain: Phase | None = None  # None: same as `pretrain`
    guider: Phase = Phase(steps=400, lr=1e-3, mix=(0.0, 1.0, 0.0), easy_share=0.3)
    target_seed: int = 0
    base_seed: int = 1
    guider_seed: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT_RECIPE = Recipe()


def seeded(recipe: Recipe, seed: int) -> Recipe:
    """The recipe with all three seeds derived from one run seed (seed 0 -> 0, 1, 2)."""
    return replace(recipe, target_seed=3 * seed, base_seed=3 * seed + 1, guider_seed=3 * seed + 2)


class DocumentStream:
    """Token ids of random training documents (BOS text EOS), never a held-out problem."""

    def __init__(self, tokenizer, config: SumsConfig, mix, seed: int, easy_share: float = 0.0):
        self.config = config
        self.easy_share = easy_share
        self.rng = random.Random(seed)
        self.kinds = ("direct", "steps", "fact")
        self.weights = list(mix)
        self.vocab = tokenizer.get_vocab()
        self.bos, self.eos = tokenizer.bos_token_id, tokenizer.eos_token_id

    def text(self) -> str:
        kind = self.rng.choices(self.kinds, weights=self.weights)[0]
        if kind == "fact":
            return task.fact_text(*task.random_fact(self.rng, self.config, self.easy_share))
        problem = task.training_problem(self.rng, self.config, self.easy_share)
        return task.direct_text(problem) if kind == "direct" else task.steps_text(problem)

    def document(self) -> list[int]:
        return [self.bos] + [self.vocab[ch] for ch in self.text()] + [self.eos]

    def batch(self, rows: int, seq_len: int) -> torch.Tensor:
        out = []
        for _ in range(rows):
            ids: list[int] = []
            while len(ids) < seq_len:
                ids += self.document()
            out.append(ids[:seq_len])
        return torch.tensor(out, dtype=torch.long)


def _lr_at(step: int, phase: Phase) -> float:
    if step < phase.warmup:
        return phase.lr * (step + 1) / phase.warmup
    progress = (step - phase.warmup) / max(1, phase.steps - phase.warmup)
    return phase.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _fmt_time(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s"


def train_phase(model, tokenizer, config: SumsConfig, phase: Phase, seed: int, name: str, log=print,
                stream=DocumentStream) -> dict:
    """Train `model` in place for one phase; logs steps, loss and ETA. Returns a summary.
    `stream`: the document stream class that reads `phase.mix` (another trio's formats)."""
    torch.manual_seed(seed)
    stream = stream(tokenizer, config, phase.mix, seed, phase.easy_share)
    seq_len = phase.seq_len or row_length_for(config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=phase.lr, betas=(0.9, 0.98), weight_decay=0.01)
    model.train()
    start, ema = time.time(), None
    every = max(1, phase.steps // 20)
    for step in range(phase.steps):
        for group in optimiser.param_groups:
            group["lr"] = _lr_at(step, phase)
        ids = stream.batch(phase.batch, seq_len)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if (step + 1) % every == 0 or step + 1 == phase.steps:
            elapsed = time.time() - start
            eta = elapsed / (step + 1) * (phase.steps - step - 1)
            log(f"  {name}: step {step + 1}/{phase.steps}  loss {ema:.4f}  {_fmt_time(elapsed)} elapsed, ETA {_fmt_time(eta)}")
    model.eval()
    return {"steps": phase.steps, "final_loss": round(ema, 4), "seconds": round(time.time() - start, 1)}


def new_model(size: ModelSize, tokenizer, seed: int, config: SumsConfig) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    llama = size.llama_config(tokenizer)
    llama.sums_task = config.to_dict()  # saved in config.json: the folder says which task it solves
    return LlamaForCausalLM(llama)


def save_model(model, tokenizer, folder: Path, max_new_tokens: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
        max_new_tokens=max_new_tokens,
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def row_length_for(config: SumsConfig) -> int:
    """Training row length: the longest step-by-step document (BOS and EOS included), rounded up to 32."""
    longest = len(task.steps_text(task.Problem(tuple([10**config.digits - 1] * config.operands)))) + 2
    return max(128, -(-longest // 32) * 32)


def max_new_tokens_for(config: SumsConfig) -> int:
    """Room for the longest step-by-step solution of this config, plus a margin."""
    biggest = task.Problem(tuple([10**config.digits - 1] * config.operands))
    return len(task.steps_text(biggest)) - len(task.make_prompt(biggest)) + 16


def train_trio(recipe: Recipe, out: Path, log=print, threads: int | None = None) -> dict:
    """Train target, base and guider; save them under out/{target,base,guider}. Returns a summary."""
    if threads:
        torch.set_num_threads(threads)
    out = Path(out)
    tokenizer = build_tokenizer()
    config = recipe.task
    started = time.time()
    summary: dict = {"recipe": recipe.to_dict(), "phases": {}}
    limit = max_new_tokens_for(config)

    log(f"[1/3] target {recipe.target_size} seed {recipe.target_seed}")
    target = new_model(recipe.target_size, tokenizer, recipe.target_seed, config)
    summary["phases"]["target"] = train_phase(target, tokenizer, config, recipe.pretrain, recipe.target_seed, "target", log)
    save_model(target, tokenizer, out / "target", limit)
    del target

    log(f"[2/3] base {recipe.base_size} seed {recipe.base_seed}")
    base = new_model(recipe.base_size, tokenizer, recipe.base_seed, config)
    base_phase = recipe.base_pretrain or recipe.pretrain
    summary["phases"]["base"] = train_phase(base, tokenizer, config, base_phase, recipe.base_seed, "base", log)
    save_model(base, tokenizer, out / "base", limit)

    log(f"[3/3] guider = base + step-by-step fine-tune, seed {recipe.guider_seed}")
    summary["phases"]["guider"] = train_phase(base, tokenizer, config, recipe.guider, recipe.guider_seed, "guider", log)
    save_model(base, tokenizer, out / "guider", limit)

    summary["seconds"] = round(time.time() - started, 1)
    summary["params"] = {
        name: sum(p.numel() for p in LlamaForCausalLM.from_pretrained(out / name).parameters())
        for name in ("target", "base", "guider")
    }
    (out / "organism.json").write_text(json.dumps(summary, indent=2) + "\n")
    log(f"done in {_fmt_time(summary['seconds'])}: {out}")
    return summary
