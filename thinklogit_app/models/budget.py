"""How many bytes of weights the app may keep loaded, and what a trio will take before it loads.

The budget is THINKLOGIT_MEMORY_BUDGET (GiB) when set; otherwise 90% of the GPU's memory on
a GPU, half of the machine's RAM on a CPU. A trio's size is known once it has loaded
(transformers' get_memory_footprint); before that it is estimated from the weight files
on disk (scaled for 8-bit / 4-bit), or 0 for a hub model not downloaded yet.
"""
from __future__ import annotations

import os

import torch

from .presets import Preset, local_path

BUDGET_ENV = "THINKLOGIT_MEMORY_BUDGET"
QUANTIZED_SHARE = {"none": 1.0, "8bit": 0.5, "4bit": 0.3}  # of the 16-bit weights
WEIGHT_SUFFIXES = (".safetensors", ".bin")


def memory_budget() -> int:
    """Bytes of weights the app may hold loaded at once."""
    value = os.environ.get(BUDGET_ENV, "").strip()
    if value:
        try:
            gib = float(value)
        except ValueError:
            raise ValueError(f"{BUDGET_ENV} must be a number of GiB, got {value!r}") from None
        if not gib > 0:
            raise ValueError(f"{BUDGET_ENV} must be above 0 GiB, got {value!r}")
        return int(gib * 2**30)
    if torch.cuda.is_available():
        return int(0.9 * torch.cuda.get_device_properties(0).total_memory)
    return int(0.5 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def files_bytes(ref: str) -> int:
    """Bytes of the weight files of a local model folder; 0 for a hub id."""
    folder = local_path(ref)
    if folder is None or not folder.is_dir():
        return 0
    return sum(f.stat().st_size for f in folder.iterdir() if f.name.endswith(WEIGHT_SUFFIXES))


def estimate(preset: Preset, modes: dict, guider_ref: str, roles=("target", "guider", "base")) -> int:
    """Bytes the given roles of a trio will take once loaded, estimated from disk."""
    refs = {"target": preset.target, "guider": guider_ref, "base": preset.base}
    return int(sum(files_bytes(refs[role]) * QUANTIZED_SHARE.get(modes.get(role, "none"), 1.0) for role in roles))


def gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"
