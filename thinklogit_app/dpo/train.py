"""ThinkLogit-DPO training: TRL's DPOTrainer on the guider only; the target stays frozen.

LoRA (peft) by default, with the adapter merged back into the guider before saving, so
the DPO guider is a plain Hugging Face folder the preset loader treats like any model.
The reference policy is the guider before DPO (with LoRA: the adapter switched off;
full fine-tune: a frozen copy).
"""
from __future__ import annotations

import copy
import json
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch
from transformers import PrinterCallback, TrainerCallback

from .pairs import Pair, cut_after_first_difference

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


FIRST_TOKEN = "first-token"  # our loss (dpo/first_token.py), not one of TRL's names
CUTS = ("no", "line", "char")
POLICIES = ("guider", "guided")  # what the loss scores: the guider alone, or the guided combination  # how rejected traces are cut (see pairs.cut_after_first_difference)


@dataclass
class DPOSettings:
    steps: int = 1600
    beta: float = 0.1
    learning_rate: float = 2e-3
    batch_size: int = 8
    lora: bool = True  # False: full fine-tune (fine for the tiny guider)
    lora_r: int = 16
    lora_alpha: int = 32
    loss_type: tuple[str, ...] = ("sigmoid", "sft")  # TRL's loss names: DPO + NLL on the chosen trace (RPO),
    # or ("first-token",): DPO on the first token where the traces differ plus a KL anchor (dpo/first_token.py)
    kl_weight: float = 100.0  # the anchor's weight, first-token loss only
    policy: str = "guider"  # "guided": the first-token loss scores target + alpha * (guider - base), not the guider alone
    cut_rejected: str = "no"  # "line" / "char": rejected = up to its first line / character that differs from the chosen
    warmup_steps: int = 10
    max_length: int = 2048  # prompt + completion tokens; longer pairs are cut at the end
    seed: int = 0
    threads: int | None = None
    log_every: int = 25

    def validate(self) -> None:
        for name in ("steps", "batch_size", "lora_r", "max_length", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be >= 1, got {getattr(self, name)}")
        if not self.beta > 0:
            raise ValueError(f"beta must be > 0, got {self.beta}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning rate must be > 0, got {self.learning_rate}")
        if FIRST_TOKEN in self.loss_type and len(self.loss_type) > 1:
            raise ValueError(f"loss {FIRST_TOKEN!r} replaces TRL's losses: give it alone, got {','.join(self.loss_type)}")
        if self.kl_weight < 0:
            raise ValueError(f"KL weight must be >= 0, got {self.kl_weight}")
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {self.policy!r}")
        if self.policy == "guided" and FIRST_TOKEN not in self.loss_type:
            raise ValueError(f"the guided policy is scored by the {FIRST_TOKEN!r} loss: give --loss {FIRST_TOKEN}")
        if self.cut_rejected not in CUTS:
            raise ValueError(f"cut of the rejected traces must be one of {', '.join(CUTS)}, got {self.cut_rejected!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def completion_logps(model, tokenizer, prompt: str, completions: list[str]) -> torch.Tensor:
    """Summed log-probability of each completion (+ EOS) after `prompt`, tokenized the way
    TRL's DPOTrainer does (prompt + completion as one text, EOS appended)."""
    prompt_len = len(tokenizer(prompt).input_ids)
    rows = [tokenizer(prompt + c + tokenizer.eos_token).input_ids for c in completions]
    out = []
    with torch.no_grad():
        for ids in rows:
            ids_t = torch.tensor([ids], device=model.device)
            logits = model(input_ids=ids_t).logits[0, :-1].float()
            logps = torch.log_softmax(logits, dim=-1).gather(1, ids_t[0, 1:, None])[:, 0]
            out.append(logps[prompt_len - 1:].sum())
    return torch.stack(out)


def preference_margins(model, tokenizer, pairs: list[Pair]) -> torch.Tensor:
    """logp(chosen) - logp(rejected) per pair under `model`."""
    return torch.stack([
        (lambda lp: lp[0] - lp[1])(completion_logps(model, tokenizer, p.prompt, [p.chosen, p.rejected]))
        for p in pairs
    ])


def _dataset(pairs: list[Pair], cut_rejected: str):
    from datasets import Dataset

    if not pairs:
        raise ValueError("no preference pairs to train on: mine more problems or samples (dpo pairs)")
    rejected = [p.rejected if cut_rejected == "no" else cut_after_first_difference(p.chosen, p.rejected, cut_rejected)
                for p in pairs]
    return Dataset.from_dict({"prompt": [p.prompt for p in pairs], "chosen": [p.chosen for p in pairs],
                              "rejected": rejected})


class LogLines(TrainerCallback):
    """The trainer's periodic logs (loss, reward margin, pair accuracy) as one line each."""

    def __init__(self, log: Callable[[str], None], steps: int):
        self.log, self.steps = log, steps

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs:
            return
        keys = ("loss", "dpo", "kl", "rewards/margins", "rewards/accuracies", "learning_rate")
        shown = "  ".join(f"{k.split('/')[-1]} {logs[k]:.4g}" for k in keys if k in logs)
        self.log(f"  dpo step {state.global_step}/{self.steps}  {shown}")


def train_dpo(guider, tokenizer, pairs: list[Pair], settings: DPOSettings,
              log: Callable[[str], None] = print, guided=None) -> tuple[object, dict]:
    """DPO on a copy of `guider`; returns (the trained guider, LoRA merged in, and a summary).
    `guided` (first_token.GuidedPolicy) is required by settings.policy "guided"."""
    from peft import LoraConfig
    from trl import DPOConfig, DPOTrainer

    settings.validate()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    dataset = _dataset(pairs, settings.cut_rejected)
    first_token = FIRST_TOKEN in settings.loss_type
    on_cpu = not torch.cuda.is_available()
    with tempfile.TemporaryDirectory(prefix="thinklogit-dpo-") as scratch, warnings.catch_warnings():
        # transformers 5 renames gradient_checkpointing, which TRL still sets: not the user's concern
        warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*", category=FutureWarning)
        config = DPOConfig(
            output_dir=scratch, max_steps=settings.steps, per_device_train_batch_size=settings.batch_size,
            learning_rate=settings.learning_rate, lr_scheduler_type="cosine", warmup_steps=settings.warmup_steps,
            beta=settings.beta, max_length=settings.max_length,
            loss_type=["sigmoid"] if first_token else list(settings.loss_type),
            seed=settings.seed, data_seed=settings.seed, use_cpu=on_cpu, bf16=not on_cpu and torch.cuda.is_bf16_supported(), fp16=False,
            gradient_checkpointing=False, logging_steps=settings.log_every, save_strategy="no",
            report_to="none", disable_tqdm=True, dataloader_num_workers=0,
        )
        peft_config = None
        if settings.lora:
            peft_config = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=0.0,
                                     target_modules=list(LORA_TARGETS), task_type="CAUSAL_LM")
        model = copy.deepcopy(guider)  # LoRA is injected in place: the caller's guider stays untouched
        # reference = the guider before DPO: LoRA switched off, or (full fine-tune) the caller's frozen guider
        reference = None if settings.lora else copy.deepcopy(guider).eval().requires_grad_(False)
        trainer_class, extra = DPOTrainer, {}
        if first_token:
            from .first_token import FirstTokenDPOTrainer

            trainer_class, extra = FirstTokenDPOTrainer, {"kl_weight": settings.kl_weight}
            if settings.policy == "guided":
                if guided is None:
                    raise ValueError("the guided policy needs the target and base (a GuidedPolicy)")
                extra["guided"] = guided
        trainer = trainer_class(model=model, ref_model=reference, args=config, train_dataset=dataset,
                                processing_class=tokenizer, peft_config=peft_config,
                                callbacks=[LogLines(log, settings.steps)], **extra)
        trainer.remove_callback(PrinterCallback)  # LogLines prints the same, one short line per log
        trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
        log(f"DPO on {len(pairs)} pairs: {settings.steps} steps, batch {settings.batch_size}, beta {settings.beta}, "
            f"{'LoRA r=' + str(settings.lora_r) if settings.lora else 'full fine-tune'}, {trainable:,} trainable params")
        started = time.time()
        result = trainer.train()
        seconds = time.time() - started
        history = [h for h in trainer.state.log_history if "loss" in h]
    trained = trainer.model
    if settings.lora:
        trained = trained.merge_and_unload()
    trained.config.use_cache = True  # the trainer turned it off for training; decoding wants the KV cache
    trained.eval()
    summary = {
        "settings": settings.to_dict(),
        "pairs": len(pairs),
        "trainable_params": trainable,
        "train_loss": round(result.training_loss, 4),
        "last_log": history[-1] if history else {},
        "seconds": round(seconds, 1),
    }
    return trained, summary


def save_guider(model, tokenizer, folder: str | Path, summary: dict | None = None) -> Path:
    """Save the DPO guider as a plain model folder (safetensors, tokenizer, generation config)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if summary is not None:
        (folder / "dpo.json").write_text(json.dumps(summary, indent=2) + "\n")
    return folder
