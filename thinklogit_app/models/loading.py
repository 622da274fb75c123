"""Preset -> a loaded, checked Trio.

Loading goes through `from_pretrained` for local folders and hub ids alike, with
bitsandbytes for 8-bit / 4-bit nf4, and accelerate's `device_map="auto"` on a GPU so a
target too large for one card is sharded for us.

Order matters: the three tokenizers and configs come first (kilobytes to megabytes each),
so a trio whose vocabularies disagree, whose context cannot hold the preset's default
budget, or whose weights cannot fit this device is refused in seconds — before any
weights are read or downloaded.
"""
from __future__ import annotations

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

from ..core.compat import CompatReport, check_compatible
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


def _first_line(err: BaseException) -> str:
    return (str(err).splitlines() or [""])[0][:160]


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
            f"({_first_line(err)}); use the embedded preset, or a host with hub access"
        ) from None
    return model.eval()


def load_tokenizer(ref: str, local_only: bool = False):
    try:
        return AutoTokenizer.from_pretrained(ref, trust_remote_code=False, local_files_only=local_only)
    except OSError as err:
        raise PresetError(f"cannot load the tokenizer of {ref!r}: {_first_line(err)}") from None


def load_config(ref: str, local_only: bool = False):
    try:
        return AutoConfig.from_pretrained(ref, trust_remote_code=False, local_files_only=local_only)
    except (OSError, ValueError) as err:
        raise PresetError(f"cannot read the config of {ref!r}: {_first_line(err)}") from None


# ---- before any weights: tokenizers, context, memory -----------------------------------

def _weight_bytes(config, mode: str, device: str) -> int:
    """Bytes of one model's weights at `mode`, counted on an empty (meta) model of `config`:
    linear layers at 4 / 8 bits when quantized (with bitsandbytes' per-block / per-row
    scales), embeddings and the output head at full width (bitsandbytes leaves them)."""
    from accelerate import init_empty_weights

    with init_empty_weights():
        model = AutoModelForCausalLM.from_config(config)
    width = 2 if device == "cuda" else 4  # bf16 on a GPU, fp32 on a CPU (see load_model)
    head = model.get_output_embeddings()
    tied = getattr(config.get_text_config(), "tie_word_embeddings", False)
    seen, total = {id(head.weight)} if tied else set(), 0  # a tied head shares the embedding's weights
    for module in model.modules():
        for param in module.parameters(recurse=False):
            if id(param) in seen:  # tied embeddings count once
                continue
            seen.add(id(param))
            n = param.numel()
            quantized = mode != "none" and isinstance(module, torch.nn.Linear) and module is not head
            if quantized and param.dim() == 2:
                rows = param.shape[0]
                total += n // 2 + 4 * -(-n // 64) if mode == "4bit" else n + 4 * rows
            else:
                total += n * width
    return total


def estimate_bytes(preset: Preset | str | None, modes: dict | None = None, device: str | None = None,
                   guider: str | None = None, configs: dict | None = None) -> dict[str, int]:
    """An ESTIMATE of the weights' memory per role (and "total") for `preset` at `modes`,
    from the models' configs alone (no weights read). KV cache and activations come on top."""
    preset = preset if isinstance(preset, Preset) else get_preset(preset)
    modes = {role: "none" for role in ROLES} | preset.quantization | (modes or {})
    device = device or device_kind()
    if configs is None:
        refs = {"target": preset.target, "guider": guider_ref(preset, guider), "base": preset.base}
        configs = {role: load_config(preset.path_of(ref)) for role, ref in refs.items()}
    out = {role: _weight_bytes(configs[role], modes[role], device) for role in ROLES}
    out["total"] = sum(out.values())
    return out


def available_bytes(device: str | None = None) -> int:
    """Free memory where the weights go: all GPUs' free memory summed, or the RAM available."""
    device = device or device_kind()
    if device == "cuda":
        return sum(torch.cuda.mem_get_info(i)[0] for i in range(torch.cuda.device_count()))
    import psutil

    return psutil.virtual_memory().available


def gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_memory(preset: Preset, estimate: dict, modes: dict, device: str) -> None:
    """Refuse a trio whose estimated weights do not fit the memory free on `device`."""
    free = available_bytes(device)
    if estimate["total"] > free:
        parts = ", ".join(f"{role} {modes.get(role, 'none')} {gib(estimate[role])}" for role in ROLES)
        where = "free on the GPU(s)" if device == "cuda" else "of RAM available"
        raise PresetError(
            f"preset {preset.name!r} needs about {gib(estimate['total'])} for its weights (an estimate from "
            f"the configs: {parts}) but this machine has {gib(free)} {where}: quantize the target "
            "(e.g. target=4bit), pick a smaller preset, or use a larger device"
        )


def check_context(preset: Preset, configs: dict, refs: dict) -> tuple[int | None, str]:
    """(the smallest context of the three, its role); refuse a preset whose default
    max_new_tokens alone does not fit it."""
    limits = [(getattr(configs[r], "max_position_embeddings", None), r) for r in ROLES]
    limits = [(n, r) for n, r in limits if n]
    if not limits:
        return None, ""
    limit, role = min(limits, key=lambda x: x[0])
    wanted = int((preset.defaults or {}).get("max_new_tokens", 0))
    if wanted >= limit:
        raise PresetError(f"preset {preset.name!r} asks for {wanted} new tokens by default but the {role} "
                          f"({refs[role]}) holds {limit} positions: lower its max_new_tokens")
    return limit, role


def check_tokenizers(preset: Preset, guider: str | None = None) -> CompatReport:
    """Load only the three tokenizers and apply the compatibility rule (core.compat)."""
    refs = {"target": preset.target, "guider": guider_ref(preset, guider), "base": preset.base}
    require_folders(refs.values())
    tokenizers = {role: load_tokenizer(preset.path_of(ref)) for role, ref in refs.items()}
    return check_compatible(*(tokenizers[role] for role in ROLES))


def memory_in_use(models) -> int:
    return sum(m.get_memory_footprint() for m in models)


def swap_guider(trio: Trio, preset: Preset, guider: str | None, mode: str = "none") -> Trio:
    """The same target and base with another guider (e.g. the ThinkLogit-DPO variant):
    its tokenizer is checked against the target's first, then only the guider loads."""
    ref = guider_ref(preset, guider)
    require_folders([ref], "rebuild it (`python -m thinklogit_app dpo train` for the DPO guider)")
    offline = check_refs([ref])
    path = preset.path_of(ref)
    device = (trio.info or {}).get("device") or device_kind()
    tokenizer = load_tokenizer(path, offline)
    base_tokenizer = load_tokenizer(preset.path_of(preset.base), offline)
    report = check_compatible(trio.tokenizer, tokenizer, base_tokenizer)
    model = load_model(path, mode, device, offline)
    swapped = Trio(trio.target, model, trio.base, trio.tokenizer, preset=trio.preset, compat=report)
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
    variant guider by name (e.g. "thinklogit-dpo") or a model reference. Tokenizers,
    configs, the context limit and the memory estimate are checked before any weights.
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
    report = check_compatible(*(tokenizers[role] for role in ROLES))
    configs = {role: load_config(paths[role], offline) for role in ROLES}
    check_context(preset, configs, refs)
    estimate = estimate_bytes(preset, modes, device, configs=configs)
    check_memory(preset, estimate, modes, device)
    models = {role: load_model(paths[role], modes[role], device, offline) for role in ROLES}
    trio = Trio(models["target"], models["guider"], models["base"], tokenizers["target"], preset=preset,
                compat=report)
    trio.info = {
        "preset": preset.name,
        "device": device,
        "dtype": str(next(models["target"].parameters()).dtype).replace("torch.", ""),
        "quantization": modes,
        "models": refs,
        "memory_bytes": memory_in_use(models.values()),
        "memory_estimate_bytes": estimate["total"],
    }
    return trio


def load_variant_guiders(trio: Trio) -> dict:
    """The trio's preset's evaluation variants (e.g. thinklogit-dpo), each loaded and checked
    against the trio's tokenizer like any guider: {variant name: guider model}."""
    mode = (trio.info or {}).get("quantization", {}).get("guider", "none")
    return {name: swap_guider(trio, trio.preset, name, mode).guider for name in evaluation_variants(trio.preset)}
