"""Can three tokenizers be combined? ThinkLogit adds logits row by row, so row i must
mean the same token string in the target, the guider and the base."""
from __future__ import annotations

from dataclasses import dataclass, field


class IncompatibleModelsError(ValueError):
    """The trio's tokenizers disagree; the message names an id and both strings."""


@dataclass
class CompatReport:
    common_ids: int
    notes: list[str] = field(default_factory=list)


def _id_to_token(tokenizer) -> dict[int, str]:
    return {i: t for t, i in tokenizer.get_vocab().items()}


def _special_ids(tokenizer) -> set[int]:
    return {i for i, tok in getattr(tokenizer, "added_tokens_decoder", {}).items() if tok.special}


def check_compatible(target_tok, guider_tok, base_tok, names=("target", "guider", "base")) -> CompatReport:
    """Refuse a trio whose tokenizers map a shared id to different text.

    Ordinary vocabulary must agree exactly over the ids all three tokenizers have.
    Control tokens (special in BOTH tokenizers, e.g. R1-Distill's `<｜User｜>` where Qwen
    has `<|im_start|>`) may be spelled differently: they are noted, not refused, because
    the paper combines exactly such a pair. The EOS id of the target must be a control
    or identical token in the others, or the guided stream would never stop cleanly.
    """
    maps = [_id_to_token(t) for t in (target_tok, guider_tok, base_tok)]
    specials = [_special_ids(t) for t in (target_tok, guider_tok, base_tok)]
    common = min(len(m) for m in maps)
    report = CompatReport(common_ids=common)
    target_map, target_special = maps[0], specials[0]
    for other, other_special, name in zip(maps[1:], specials[1:], names[1:]):
        for i in range(common):
            mine, theirs = target_map.get(i), other.get(i)
            if mine == theirs:
                continue
            if i in target_special and i in other_special:
                report.notes.append(f"control token {i}: {names[0]} {mine!r}, {name} {theirs!r}")
                continue
            raise IncompatibleModelsError(
                f"the {name}'s tokenizer maps id {i} to {theirs!r} but the {names[0]}'s maps it to {mine!r}: "
                "these models cannot be combined (pick a guider pair from the target's model family)"
            )
    eos = target_tok.eos_token_id
    if eos is not None and eos >= common:
        report.notes.append(f"the target's EOS id {eos} is beyond the shared ids; it keeps the target's logit")
    return report
