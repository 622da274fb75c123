"""A target model and its guider pair, sharing one tokenizer's ids."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .compat import CompatReport, check_compatible


@dataclass
class Trio:
    target: Any
    guider: Any
    base: Any
    tokenizer: Any  # the target's tokenizer: it encodes the prompt and decodes both streams
    preset: Any = None
    compat: CompatReport | None = None
    info: dict = field(default_factory=dict)  # what was loaded how (device, dtype, quantization, memory)

    @classmethod
    def checked(cls, target, guider, base, tokenizer, guider_tokenizer=None, base_tokenizer=None, **kw) -> "Trio":
        """Build a trio after refusing incompatible tokenizers (see compat.check_compatible)."""
        report = check_compatible(tokenizer, guider_tokenizer or tokenizer, base_tokenizer or tokenizer)
        return cls(target, guider, base, tokenizer, compat=report, **kw)

    @property
    def eos_ids(self) -> set[int]:
        """EOS ids from the tokenizer and the target's generation config (int or list)."""
        ids: set[int] = set()
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        config = getattr(self.target, "generation_config", None)
        eos = getattr(config, "eos_token_id", None)
        if isinstance(eos, int):
            ids.add(eos)
        elif eos is not None:
            ids.update(int(i) for i in eos)
        return ids

    def record_fields(self, text_sent: str, guided_ids) -> dict:
        """What a run record says about the trio's tokenizers: the exact text sent, the
        added-token rows whose meaning differs between the models, and a note for each such
        id the prompt contains or the guided stream picked."""
        out = {"text_sent": text_sent, "differing_ids": self.compat.to_json() if self.compat else []}
        if self.compat and self.compat.differing:
            notes = self.compat.touched(self.tokenizer(text_sent).input_ids, guided_ids)
            if notes:
                out["notes"] = notes
        return out

    @property
    def position_limit(self) -> tuple[int | None, str]:
        """(the fewest positions any of the three models holds, the role of that model);
        (None, "") when no model declares a limit. All three see the whole sequence."""
        limits = [(getattr(getattr(self, role).config, "max_position_embeddings", None), role)
                  for role in ("target", "guider", "base")]
        limits = [(n, role) for n, role in limits if n]
        return min(limits, key=lambda x: x[0]) if limits else (None, "")

    @property
    def max_positions(self) -> int | None:
        return self.position_limit[0]

    def describe(self, role: str) -> str:
        """'the base (Qwen/Qwen2.5-Math-1.5B)': a role with the model it was loaded from, when known."""
        ref = ((self.info or {}).get("models") or {}).get(role)
        return f"the {role} ({ref})" if ref else f"the {role}"
