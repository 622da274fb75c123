"""Presets (assets/presets.json) -> a loaded, checked Trio.

A preset names three models — local folders (relative to the repo root) or hub ids —
and how to quantize each. Loading goes through `from_pretrained` for both kinds, with
bitsandbytes for 8-bit / 4-bit nf4, and accelerate's `device_map="auto"` on a GPU so a
target too large for one card is sharded for us.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

from .trio import Trio

ROOT = Path(__file__).resolve().parent.parent
PRESETS_FILE = ROOT / "assets" / "presets.json"
PRESETS_ENV = "THINKLOGIT_PRESETS"  # another presets file (tests, private deployments)
QUANTIZATIONS = ("none", "8bit", "4bit")
ROLES = ("target", "guider", "base")


class PresetError(ValueError):
    """A preset cannot be found or loaded; the message says what to do."""


@dataclass
class Preset:
    name: str
    target: str
    guider: str
    base: str
    description: str = ""
    task: str = "sums"
    examples: str | None = None
    quantization: dict = field(default_factory=dict)  # role -> none / 8bit / 4bit
    defaults: dict = field(default_factory=dict)  # DecodeSettings fields
    requires_gpu: bool = False
    variants: dict = field(default_factory=dict)  # extra guiders, e.g. {"thinklogit-dpo": path}
    default: bool = False

    def path_of(self, ref: str) -> str:
        """A local model folder as an absolute path; a hub id unchanged."""
        local = local_path(ref)
        return str(local) if local is not None else ref

    def load_examples(self) -> list[dict]:
        if not self.examples:
            return []
        return json.loads((ROOT / self.examples).read_text())


def local_path(ref: str) -> Path | None:
    """The folder a local model reference names (absolute, or relative to the repo root);
    None for a hub id such as 'Qwen/Qwen2.5-7B-Instruct'."""
    if ref.startswith("/"):
        return Path(ref)
    if ref.startswith(("assets/", "./")) or (ROOT / ref).is_dir():
        return ROOT / ref
    return None


def presets_file() -> Path:
    return Path(os.environ.get(PRESETS_ENV) or PRESETS_FILE)


def read_presets(path: Path | None = None) -> list[Preset]:
    path = Path(path or presets_file())
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise PresetError(f"cannot read the presets file {path}: {err}") from None
    default = data.get("default")
    presets = [Preset(**entry, default=entry["name"] == default) for entry in data["presets"]]
    if default is not None and not any(p.default for p in presets):
        raise PresetError(f"{path}: default preset {default!r} is not in the list")
    return presets


def get_preset(name: str | None = None, path: Path | None = None) -> Preset:
    presets = read_presets(path)
    if name is None:
        return next((p for p in presets if p.default), presets[0])
    for preset in presets:
        if preset.name == name:
            return preset
    names = ", ".join(p.name for p in presets)
    raise PresetError(f"unknown preset {name!r}: choose one of {names}")


def is_cached(ref: str) -> bool:
    """Is this hub model in the local Hugging Face cache (or a local folder that exists)?"""
    local = local_path(ref)
    if local is not None:
        return local.is_dir()
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(ref, "config.json")
    return isinstance(found, str)


REBUILD_TRIO = "rebuild them with `python -m thinklogit_app organism train`"


def missing_folders(refs) -> list[str]:
    """The local model folders among `refs` that do not exist (a hub id is never listed)."""
    return [ref for ref in refs if local_path(ref) is not None and not local_path(ref).is_dir()]


def require_folders(refs, hint: str = REBUILD_TRIO) -> None:
    missing = missing_folders(refs)
    if missing:
        raise PresetError(f"missing model folder(s) {', '.join(missing)}: {hint}")


def loadable(preset: Preset) -> tuple[bool, str]:
    """(can it load on this machine without a download, and if not, why)."""
    if preset.requires_gpu and not torch.cuda.is_available():
        return False, f"preset {preset.name!r} needs a CUDA GPU and this machine has none"
    refs = (preset.target, preset.guider, preset.base)
    missing_local = missing_folders(refs)
    if missing_local:
        return False, f"missing model folder(s) {', '.join(missing_local)}: {REBUILD_TRIO}"
    missing_hub = [ref for ref in refs if local_path(ref) is None and not is_cached(ref)]
    if missing_hub:
        return False, (f"{', '.join(missing_hub)} not in the local Hugging Face cache; "
                       "it downloads on a host with hub access")
    return True, "ready"


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


def guider_ref(preset: Preset, guider: str | None = None) -> str:
    """The model reference of a guider choice: None/"" = the preset's own guider, a
    variant name (e.g. "thinklogit-dpo") = that variant, anything else = a model reference."""
    if not guider or guider == "default":
        return preset.guider
    return preset.variants.get(guider, guider)


def swap_guider(trio: Trio, preset: Preset, guider: str | None, mode: str = "none") -> Trio:
    """The same target and base with another guider (e.g. the ThinkLogit-DPO variant):
    only the guider loads, and its tokenizer is checked against the target's."""
    ref = guider_ref(preset, guider)
    require_folders([ref], "rebuild it (`python -m thinklogit_app dpo train` for the DPO guider)")
    path = preset.path_of(ref)
    device = (trio.info or {}).get("device") or device_kind()
    model, tokenizer = load_model(path, mode, device), load_tokenizer(path)
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
    modes = {role: "none" for role in ROLES} | preset.quantization | (quantization or {})
    for mode in modes.values():
        quantization_config(mode, "cpu")  # validate before any download
    refs = {"target": preset.target, "guider": guider_ref(preset, guider), "base": preset.base}
    device = device or device_kind()
    if preset.requires_gpu and device != "cuda":
        raise PresetError(f"preset {preset.name!r} needs a CUDA GPU; this machine has none: use the embedded preset")
    paths = {role: preset.path_of(ref) for role, ref in refs.items()}
    require_folders(refs.values())
    tokenizers = {role: load_tokenizer(paths[role]) for role in ROLES}
    models = {role: load_model(paths[role], modes[role], device) for role in ROLES}
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
