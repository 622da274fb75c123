"""One loaded set of models for the whole app: loaded once, shared by every visitor, freed on switch.

A request names a preset, per-model quantization and a guider (the preset's own or one of
its variants, e.g. ThinkLogit-DPO). When the preset or quantization differs from what is
loaded, the runs on the old models are told to stop, the old models are dropped (and the
CUDA cache emptied) and the new ones load. Guiders of the loaded preset and quantization
share its target and base: another guider loads only itself, beside the ones already
loaded, and stops nobody's run. All of it under one lock, so two visitors asking for two
presets at once load them one after the other, never both at a time.
"""
from __future__ import annotations

import gc
import threading

import torch

from .hub import can_load
from .loading import load_trio, swap_guider
from .presets import QUANTIZATIONS, ROLES, Preset, PresetError, evaluation_variants, local_path, read_presets


def _megabytes(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


class ModelManager:
    def __init__(self, presets: list[Preset] | None = None, load=load_trio, swap=swap_guider):
        self.presets = presets if presets is not None else read_presets()  # THINKLOGIT_PRESETS overrides the file
        if not self.presets:
            raise PresetError("the presets file lists no preset")
        self._load, self._swap = load, swap
        self._lock = threading.RLock()
        self._key: tuple | None = None  # (preset, quantization, guider) of the trio used last
        self._trio = None
        self._guided: dict = {}  # guider choice -> trio, all sharing the loaded target and base
        self._runs: set = set()  # cancel Events of runs on the loaded models
        self.loads = 0

    # ---- presets ----
    @property
    def default(self) -> Preset:
        return next((p for p in self.presets if p.default), self.presets[0])

    def preset(self, name: str | None) -> Preset:
        if not name:
            return self.default
        for preset in self.presets:
            if preset.name == name:
                return preset
        raise PresetError(f"unknown preset {name!r}: choose one of {', '.join(p.name for p in self.presets)}")

    def choices(self) -> list[tuple[str, str]]:
        """(label, name) per preset; the label says when a preset cannot load here."""
        out = []
        for preset in self.presets:
            ok, _ = can_load(preset)
            out.append((preset.name if ok else f"{preset.name} (cannot load here)", preset.name))
        return out

    def quantization(self, preset: Preset, overrides: dict | None = None) -> dict:
        modes = {role: "none" for role in ROLES} | preset.quantization | {k: v for k, v in (overrides or {}).items() if v}
        for role, mode in modes.items():
            if mode not in QUANTIZATIONS:
                raise PresetError(f"quantization of the {role} must be one of {', '.join(QUANTIZATIONS)}, got {mode!r}")
        return modes

    def guiders(self, preset: Preset) -> list[tuple[str, str]]:
        """(label, value) per guider choice of a preset: its own guider ("") and each variant."""
        local = local_path(preset.guider)
        own = local.name if local is not None else preset.guider  # a folder by its name, a hub id in full
        return [(f"{own} (the preset's)", "")] + [(name, name) for name in preset.variants]

    def guider(self, preset: Preset, guider: str | None) -> str:
        """A visitor's guider choice checked against the preset's variants ("" = its own)."""
        if not guider or guider == "default":
            return ""
        if guider not in preset.variants:
            names = ", ".join(["default", *preset.variants])
            raise PresetError(f"preset {preset.name!r} has no guider {guider!r}: choose one of {names}")
        return guider

    # ---- the loaded trio ----
    def get(self, name: str | None, quantization: dict | None = None, guider: str | None = None):
        """The trio of `name` with `quantization` and `guider` (a variant name, "" = the
        preset's own), loading it (and freeing the old one) if needed."""
        preset = self.preset(name)
        modes = self.quantization(preset, quantization)
        key = (preset.name, tuple(sorted(modes.items())), self.guider(preset, guider))
        with self._lock:
            if self._key is not None and key[:2] == self._key[:2] and key[2] in self._guided:
                self._key, self._trio = key, self._guided[key[2]]
                return self._trio
            ok, why = can_load(preset)
            if not ok:
                raise PresetError(f"{why}.{self._still_loaded()}")
            loaded = self._trio if self._key is not None and key[:2] == self._key[:2] else None
            if loaded is None:
                self.free()
            try:
                if loaded is not None:  # another guider for the loaded target and base: load only it
                    trio = self._swap(loaded, preset, key[2], modes["guider"])
                else:
                    trio = self._load(preset, quantization=modes, guider=key[2] or None)
            except PresetError:
                raise
            except Exception as err:  # bitsandbytes without a GPU, out of memory, a broken folder
                raise PresetError(f"loading preset {preset.name!r} failed: {type(err).__name__}: "
                                  f"{str(err).splitlines()[0][:200] if str(err) else ''}") from err
            trio.info = dict(trio.info or {}) | {"preset": preset.name, "quantization": modes, "guider": key[2]}
            self._guided[key[2]] = trio
            self._key, self._trio = key, trio
            self.loads += 1
            return trio

    def variant_guiders(self, name: str | None, quantization: dict | None = None) -> dict:
        """The preset's thinklogit-* variant guiders (for evaluation columns), loaded beside the
        loaded target and base like any guider choice, so each loads once; the guider in use
        stays what it was."""
        preset = self.preset(name)
        with self._lock:
            current = self._key
            guiders = {variant: self.get(name, quantization, variant).guider for variant in evaluation_variants(preset)}
            if current is not None and current[2] in self._guided and current[:2] == self._key[:2]:
                self._key, self._trio = current, self._guided[current[2]]
        return guiders

    def _still_loaded(self) -> str:
        return f" Still loaded: {self._key[0]}." if self._key else ""

    def free(self) -> None:
        """Stop the runs on the loaded trio and drop it."""
        with self._lock:
            for cancel in list(self._runs):
                cancel.set()
            self._runs.clear()
            self._trio, self._key = None, None
            self._guided.clear()
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    def track(self, cancel: threading.Event) -> None:
        with self._lock:
            self._runs.add(cancel)

    def untrack(self, cancel: threading.Event) -> None:
        with self._lock:
            self._runs.discard(cancel)

    @property
    def loaded(self) -> str | None:
        return self._key[0] if self._key else None

    def status(self) -> dict:
        trio = self._trio
        if trio is None:
            return {"loaded": None}
        info = trio.info or {}
        return {"loaded": info.get("preset"), "device": info.get("device", str(trio.target.device)),
                "dtype": info.get("dtype", str(next(trio.target.parameters()).dtype).replace("torch.", "")),
                "quantization": info.get("quantization", {}), "guider": info.get("guider", ""),
                "guiders_loaded": list(self._guided), "memory_bytes": self._memory(trio)}

    def _memory(self, trio) -> int:
        """Bytes of weights in memory: the trio's, plus any other guider loaded beside it."""
        if len(self._guided) <= 1 and (trio.info or {}).get("memory_bytes"):
            return trio.info["memory_bytes"]
        models = {id(m): m for t in (self._guided.values() or [trio]) for m in (t.target, t.guider, t.base)}
        return sum(m.get_memory_footprint() for m in models.values())

    def status_line(self) -> str:
        status = self.status()
        if status["loaded"] is None:
            return "No models loaded yet: pick a preset."
        quant = " / ".join(f"{role} {status['quantization'].get(role, 'none')}" for role in ROLES)
        guider = f" with guider **{status['guider']}**" if status.get("guider") else ""
        line = (f"Loaded **{status['loaded']}**{guider} on **{status['device']}** · {status['dtype']} · "
                f"quantization: {quant} · {_megabytes(status['memory_bytes'])} of weights in memory")
        if len(status["guiders_loaded"]) > 1:
            line += " · guiders loaded: " + ", ".join(g or "the preset's" for g in status["guiders_loaded"])
        if torch.cuda.is_available():
            line += f" · GPU memory allocated {_megabytes(torch.cuda.memory_allocated())}"
        return line
