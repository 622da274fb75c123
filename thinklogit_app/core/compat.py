"""Can three tokenizers be combined? ThinkLogit adds logits row by row, so row i must
mean the same token string in the target, the guider and the base.

The rule: the ordinary vocabulary (ids that are not added tokens) must agree exactly
over the ids all three share. An id that is an added token in BOTH tokenizers may be
spelled differently — the paper's trio does exactly that: DeepSeek-R1-Distill-Qwen has
`<｜User｜>` at 151644 where Qwen2.5 has `<|im_start|>` — and such ids are listed, so a
run whose prompt or guided stream touches one can say so. An id added in one tokenizer
and ordinary in the other with different text is refused.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


class IncompatibleModelsError(ValueError):
    """The trio's tokenizers disagree; the message names an id and both strings."""


@dataclass(frozen=True)
class DifferingId:
    """An added-token row whose text differs between the target and another model."""

    id: int
    target: str
    other: str
    model: str  # "guider" or "base"

    def describe(self) -> str:
        return f"id {self.id} is {self.target!r} to the target but {self.other!r} to the {self.model}"


@dataclass
class CompatReport:
    common_ids: int
    differing: list[DifferingId] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def differing_ids(self) -> list[int]:
        return sorted({d.id for d in self.differing})

    def to_json(self) -> list[dict]:
        """The differing rows as plain dicts (the `differing_ids` field of JSON outputs)."""
        return [asdict(d) for d in self.differing]

    def summary(self) -> str:
        """One line for a status bar: how many rows differ, and which."""
        if not self.differing:
            return f"tokenizers agree on all {self.common_ids} shared ids"
        ids = self.differing_ids
        return (f"tokenizers agree on the ordinary vocabulary; {len(ids)} added-token id(s) differ "
                f"({', '.join(map(str, ids))}) and are kept as rows of different meaning")

    def touched(self, prompt_ids, guided_ids) -> list[str]:
        """Notes for a run: each differing id that its prompt contains or its guided stream picked."""
        by_id: dict[int, list[DifferingId]] = {}
        for d in self.differing:
            by_id.setdefault(d.id, []).append(d)
        notes = []
        for where, ids in (("the prompt contains", prompt_ids), ("the guided stream picked", guided_ids)):
            for i in sorted(set(int(x) for x in ids) & by_id.keys()):
                meanings = "; ".join(d.describe() for d in by_id[i])
                notes.append(f"{where} id {i}, a row whose meaning differs: {meanings}")
        return notes


def _id_to_token(tokenizer) -> dict[int, str]:
    return {i: t for t, i in tokenizer.get_vocab().items()}


def _added_ids(tokenizer) -> set[int]:
    return set(getattr(tokenizer, "added_tokens_decoder", {}) or {})


def check_compatible(target_tok, guider_tok, base_tok, names=("target", "guider", "base")) -> CompatReport:
    """Refuse a trio whose tokenizers give a shared ordinary id different text; list the
    added-token ids that differ (see the module's docstring for the rule)."""
    tokenizers = (target_tok, guider_tok, base_tok)
    maps = [_id_to_token(t) for t in tokenizers]
    added = [_added_ids(t) for t in tokenizers]
    common = min(len(m) for m in maps)
    report = CompatReport(common_ids=common)
    target_map, target_added = maps[0], added[0]
    for other, other_added, name, tok in zip(maps[1:], added[1:], names[1:], tokenizers[1:]):
        if tok is target_tok:
            continue
        for i in range(common):
            mine, theirs = target_map.get(i), other.get(i)
            if mine == theirs:
                continue
            if i in target_added and i in other_added:
                report.differing.append(DifferingId(i, mine, theirs, name))
                continue
            kind = "an added token" if (i in target_added or i in other_added) else "an ordinary token"
            raise IncompatibleModelsError(
                f"the {name}'s tokenizer maps id {i} to {theirs!r} but the {names[0]}'s maps it to {mine!r} "
                f"({kind} in one of them): these models cannot be combined "
                "(pick a guider pair from the target's model family)"
            )
    eos = target_tok.eos_token_id
    if eos is not None and eos >= common:
        report.notes.append(f"the target's EOS id {eos} is beyond the shared ids; it keeps the target's logit")
    return report
