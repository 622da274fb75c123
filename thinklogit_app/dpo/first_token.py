"""First-divergence DPO with a KL anchor: TRL's DPOTrainer with its loss replaced.

Chosen and rejected traces of one problem share a prefix, then part at one token (with
the tiny trio's character tokenizer, a style choice or one wrong digit). Standard DPO
also moves the log-probabilities of every token after that point, which on a tiny guider
disturbs the digits of (guider - base) that ThinkLogit relies on. This loss keeps DPO's
sigmoid of the reward margin, but on that one token only:

    margin = [log pi(c_k) - log ref(c_k)] - [log pi(r_k) - log ref(r_k)]   (k: first token where they differ)
    loss   = -log sigmoid(beta * margin) + kl_weight * mean_t KL(ref(.|t) || pi(.|t))

where the KL runs over every other completion position t of the chosen trace, so the
guider changes its choice at the fork and (almost) nothing else. TRL does the rest:
tokenization (prompt + completion, EOS appended), batching, the reference model (a frozen
copy, or LoRA switched off), optimiser, schedule and logs.

With `guided` (a GuidedPolicy), pi and ref are not the guider alone but what decoding uses:

    pi  = softmax(target + alpha * (guider_theta - base))     ref = the same with the guider before DPO

Only the guider is trainable; target and base are frozen and run once per batch. The loss
then sees how much the target already prefers each token at the fork, and moves the guider
only as far as the guided distribution needs.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from trl import DPOTrainer

from ..core.arithmetic import combine_logits


def first_difference(chosen: torch.Tensor, rejected: torch.Tensor, completion: torch.Tensor) -> torch.Tensor:
    """Per row, the index of the first completion token where chosen and rejected differ (-1 if none).

    >>> first_difference(torch.tensor([[5, 1, 2, 3]]), torch.tensor([[5, 1, 4, 0]]), torch.tensor([[0, 1, 1, 1]]))
    tensor([2])
    """
    differ = (chosen != rejected) & completion.bool()
    index = differ.int().argmax(dim=1)
    return torch.where(differ.any(dim=1), index, torch.full_like(index, -1))


@dataclass
class GuidedPolicy:
    """The frozen half of the guided combination: target + alpha * (guider - base)."""

    target: torch.nn.Module
    base: torch.nn.Module
    alpha: float

    def __post_init__(self):
        for model in (self.target, self.base):
            model.eval().requires_grad_(False)

    def frozen_logits(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            return (self.target(input_ids=ids, attention_mask=mask, use_cache=False).logits,
                    self.base(input_ids=ids, attention_mask=mask, use_cache=False).logits)


class FirstTokenDPOTrainer(DPOTrainer):
    """DPOTrainer whose loss is the first-divergence DPO above (`beta` from DPOConfig); with
    `guided`, over the guided combination instead of the guider alone."""

    def __init__(self, *args, kl_weight: float = 100.0, guided: GuidedPolicy | None = None, **kwargs):
        if kl_weight < 0:
            raise ValueError(f"KL weight must be >= 0, got {kl_weight}")
        super().__init__(*args, **kwargs)
        self.kl_weight = kl_weight
        self.guided = guided

    def _reference_logits(self, model, ids, mask):
        with torch.no_grad():
            if self.ref_model is not None:
                return self.ref_model(input_ids=ids, attention_mask=mask, use_cache=False).logits
            with self.accelerator.unwrap_model(model).disable_adapter():  # LoRA: the guider before DPO
                return model(input_ids=ids, attention_mask=mask, use_cache=False).logits

    def _compute_loss(self, model, inputs, return_outputs=False):
        mode = "train" if self.model.training else "eval"
        ids, mask, completion = inputs["input_ids"], inputs["attention_mask"], inputs["completion_mask"]
        half = ids.shape[0] // 2  # TRL stacks [chosen rows; rejected rows], padded to one length
        split = first_difference(ids[:half], ids[half:], completion[:half] | completion[half:])
        keep = split >= 0  # identical traces carry no preference
        chosen, rejected, split = ids[:half][keep], ids[half:][keep], split[keep]
        chosen_mask = mask[:half][keep]
        rows = torch.arange(chosen.shape[0], device=ids.device)
        # both traces share everything before the split, so the chosen row's distribution there scores both tokens
        logits = model(input_ids=chosen, attention_mask=chosen_mask, use_cache=False).logits
        ref_logits = self._reference_logits(model, chosen, chosen_mask)
        if self.guided is not None:  # the policy is what decoding uses, not the guider alone
            target, base = self.guided.frozen_logits(chosen, chosen_mask)
            logits = combine_logits(target, logits, base, self.guided.alpha)
            ref_logits = combine_logits(target, ref_logits, base, self.guided.alpha)
        logp = logits[:, :-1].float().log_softmax(-1)
        ref_logp = ref_logits[:, :-1].float().log_softmax(-1)
        at = split - 1
        good, bad = chosen[rows, split], rejected[rows, split]
        chosen_ratio = logp[rows, at, good] - ref_logp[rows, at, good]
        rejected_ratio = logp[rows, at, bad] - ref_logp[rows, at, bad]
        margin = chosen_ratio - rejected_ratio
        dpo = -F.logsigmoid(self.beta * margin).mean()
        anchored = completion[:half][keep][:, 1:].bool().clone()  # positions that predict a chosen completion token
        anchored[rows, at] = False
        kl = (ref_logp.exp() * (ref_logp - logp)).sum(-1)
        kl = (kl * anchored).sum() / anchored.sum().clamp(min=1)
        loss = dpo + self.kl_weight * kl
        metrics = self._metrics[mode]
        metrics["dpo"].append(dpo.item())
        metrics["kl"].append(kl.item())
        metrics["rewards/margins"].append((self.beta * margin).mean().item())
        metrics["rewards/accuracies"].append((margin > 0).float().mean().item())
        return (loss, None) if return_outputs else loss
