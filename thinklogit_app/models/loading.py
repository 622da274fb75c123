"""Preset -> a loaded, checked Trio.

Loading goes through `from_pretrained` for local folders and hub ids alike, with
bitsandbytes for 8-bit / 4-bit nf4, and accelerate's `device_map="auto"` on a GPU so a
target too large for one card is sharded for us.
"""
from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

from ..core.trio import Trio
from .hub import check_refs
from .presets import (QUANTIZATIONS, ROLES, Preset, PresetError, evaluation_variants, get_preset, guider_ref,
                      quantization_modes, require_folders)


def device_kind() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def quantization_config(mode: str, device: str) -> BitsAndBytesConfig | None:
    if mode not in QUANTIZATIONS:
        raise PresetError(f"unknown quantization {mode!r}: use one of {', '.join(QUANTIZATIONS)}")
    if mode == "none":
        return None
    if mode == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    compute = torch.bfloat16 if device == "cuda" else torch.float32
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute)


def load_model(ref: str, quantization: str = "none", device: str | None = None, local_only: bool = False):
    """One causal LM through `from_pretrained` (local folder or hub id), quantized as asked."""
    device = device or device_kind()
    kwargs = {
        "dtype": torch.bfloat16 if device == "cuda" else torch.float32,
        "device_map": "auto" if device == "cuda" else "cpu",
        "trust_remote_code": False,
        "local_files_only": local_only,
    }
    config = quantization_config(quantization, device)
    if config is not None:
        kwargs["quantization_config"] = config
    try:
        model = AutoModelForCausalLM.from_pretrained(ref, **kwargs)
    except OSError as err:
        raise PresetError(
            f"cannot load {ref!r}: it is not on this machine and could not be downloaded "
            f"({str(err).splitlines()[0][:160]}); use the embedded preset, or a host with hub access"
        ) from None
    return model.eval()


def load_tokenizer(ref: str, local_only: bool = False):
    try:
        return AutoTokenizer.from_pretrained(ref, trust_remote_code=False, local_files_only=local_only)
    except OSError as err:
        raise PresetError(f"cannot load the tokenizer of {ref!r}: {str(err).splitlines()[0][:160]}") from None


def memory_in_use(models) -> int:
    return sum(m.get_memory_footprint() for m in models)


def swap_guider(trio: Trio, preset: Preset, guider: str | None, mode: str = "none") -> Trio:
    """The same target and base with another guider (e.g. the ThinkLogit-DPO variant):
    only the guider loads, and its tokenizer is checked against the target's."""
    ref = guider_ref(preset, guider)
    require_folders([ref], "rebuild it (`python -m thinklogit_app dpo train` for the DPO guider)")
    offline = check_refs([ref])
    path = preset.path_of(ref)
    device = (trio.info or {}).get("device") or device_kind()
    model, tokenizer = load_model(path, mode, device, offline), load_tokenizer(path, offline)
    swapped = Trio.checked(trio.target, model, trio.base, trio.tokenizer, tokenizer, preset=trio.preset)
    info = dict(trio.info or {})
    info["models"] = dict(info.get("models") or {}) | {"guider": ref}
    info["quantization"] = dict(info.get("quantization") or {}) | {"guider": mode}
    info["memory_bytes"] = memory_in_use((trio.target, model, trio.base))
    swapped.info = info
    return swapped


def load_trio(name: str | None = None, quantization: dict | None = None, guider: str | None = None,
              device: str | None = None) -> Trio:
    """Load a preset's target, guider and base, check their tokenizers agree, return a Trio.

    `quantization` overrides the preset per role ({"target": "4bit"}); `guider` picks a
    variant guider by name (e.g. "thinklogit-dpo") or a model reference.
    """
    preset = get_preset(name) if not isinstance(name, Preset) else name
    modes = quantization_modes(preset, quantization)  # checked before any download
    refs = {"target": preset.target, "guider": guider_ref(preset, guider), "base": preset.base}
    device = device or device_kind()
    if preset.requires_gpu and device != "cuda":
        raise PresetError(f"preset {preset.name!r} needs a CUDA GPU; this machine has none: use the embedded preset")
    paths = {role: preset.path_of(ref) for role, ref in refs.items()}
    require_folders(refs.values())
    offline = check_refs(refs.values())
    tokenizers = {role: load_tokenizer(paths[role], offline) for role in ROLES}
    models = {role: load_model(paths[role], modes[role], device, offline) for role in ROLES}
    trio = Trio.checked(models["target"], models["guider"], models["base"], tokenizers["target"],
                        tokenizers["guider"], tokenizers["base"], preset=preset)
    trio.info = {
        "preset": preset.name,
        "device": device,
        "dtype": str(next(models["target"].parameters()).dtype).replace("torch.", ""),
        "quantization": modes,
        "models": refs,
        "memory_bytes": memory_in_use(models.values()),
    }
    return trio


def load_variant_guiders(trio: Trio) -> dict:
    """The trio's preset's evaluation variants (e.g. thinklogit-dpo), each loaded and checked
    against the trio's tokenizer like any guider: {variant name: guider model}."""
    mode = (trio.info or {}).get("quantization", {}).get("guider", "none")
    return {name: swap_guider(trio, trio.preset, name, mode).guider for name in evaluation_variants(trio.preset)}
