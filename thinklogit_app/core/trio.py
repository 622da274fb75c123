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

    @property
    def max_positions(self) -> int | None:
        return getattr(self.target.config, "max_position_embeddings", None)
