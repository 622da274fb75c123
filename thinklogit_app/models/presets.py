"""The presets file (assets/presets.json): which three models make a trio, how each is
quantized, the decoding defaults and examples. A model is a local folder (relative to the
repo root) or a hub id; loading them is models/loading.py's job.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]  # the repository root
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
    prompt_template: str | None = None  # "...{question}": the exact text sent for a question
    default: bool = False

    def path_of(self, ref: str) -> str:
        """A local model folder as an absolute path; a hub id unchanged."""
        local = local_path(ref)
        return str(local) if local is not None else ref

    def prompt_text(self, question: str) -> str:
        """The exact text the three models are fed for `question`: the preset's template
        with `{question}` filled in (no chat template), or the question itself."""
        if not self.prompt_template:
            return question
        return self.prompt_template.replace("{question}", question)

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
    return find_preset(read_presets(path), name)


def find_preset(presets: list[Preset], name: str | None) -> Preset:
    """The preset called `name` in the list (no name: the default one); a clear error otherwise."""
    if not name:
        return next((p for p in presets if p.default), presets[0])
    for preset in presets:
        if preset.name == name:
            return preset
    raise PresetError(f"unknown preset {name!r}: choose one of {', '.join(p.name for p in presets)}")


def quantization_modes(preset: Preset, overrides: dict | None = None) -> dict:
    """Role -> none / 8bit / 4bit: the preset's, with the non-empty overrides; checked."""
    modes = {role: "none" for role in ROLES} | preset.quantization | {k: v for k, v in (overrides or {}).items() if v}
    for role, mode in modes.items():
        if mode not in QUANTIZATIONS:
            raise PresetError(f"quantization of the {role} must be one of {', '.join(QUANTIZATIONS)}, got {mode!r}")
    return modes


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


def guider_ref(preset: Preset, guider: str | None = None) -> str:
    """The model reference of a guider choice: None/"" = the preset's own guider, a
    variant name (e.g. "thinklogit-dpo") = that variant, anything else = a model reference."""
    if not guider or guider == "default":
        return preset.guider
    return preset.variants.get(guider, guider)


def evaluation_variants(preset: Preset) -> list[str]:
    """The variant guiders that get a column of their own in an evaluation (thinklogit-*)."""
    return [name for name in preset.variants if name.startswith("thinklogit-")]
