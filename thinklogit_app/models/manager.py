"""The loaded models of the whole app, shared by every visitor: several trios side by side,
each run holding a lease on the one it uses, so no visitor's choice pulls models from under
another visitor's run.

A request names a preset, per-model quantization and a guider (the preset's own or one of
its variants, e.g. ThinkLogit-DPO). Trios are keyed by (preset, quantization); guiders of one
key share its target and base, so another guider loads only itself. A request for models
that are not loaded loads them *beside* what is loaded when the memory budget
(models/budget.py) allows; otherwise the least recently used trio that no run holds is
freed first; when every loaded trio is held by a run, the request waits for one to be
released (up to `wait_s`, then a message that says so; its own Stop ends the wait).
Loads happen one at a time; a request for what is already loaded never waits for a load.
"""
from __future__ import annotations

import gc
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import torch

from ..core.cancel import Cancelled, reason_of
from . import budget as budgets
from .hub import can_load
from .loading import load_trio, swap_guider
from .presets import (ROLES, Preset, PresetError, evaluation_variants, find_preset, guider_ref, local_path,
                      quantization_modes, read_presets)

WAIT_ENV = "THINKLOGIT_LOAD_WAIT"  # seconds a request waits for memory held by other runs
POLICY = ("other presets and quantizations load beside these within the memory budget; the least recently "
          "used trio that no run uses is freed first; nobody's run is ever stopped for another's choice")
# The status line's words (ModelManager.status_line); the app has them in Japanese too (app/i18n.py).
STATUS_WORDS = {
    "none": "No models loaded yet: pick a preset.",
    "loaded": ("Loaded **{preset}**{guider} on **{device}** · {dtype} · quantization: {quantization} · "
               "{memory} of weights in memory (budget {budget})"),
    "guider": " with guider **{guider}**",
    "quant_role": "{role} {mode}", "mode_none": "none",
    "role_target": "target", "role_guider": "guider", "role_base": "base",
    "guiders_loaded": "guiders loaded: {guiders}",
    "own_guider": "the preset's",
    "trios_loaded": "trios loaded: {trios}",
    "trio": "{preset} ({modes}, {runs} running)",
    "gpu_memory": "GPU memory allocated {memory}",
    "policy": POLICY + ".",
}


@dataclass
class _Loaded:
    """One (preset, quantization): its guiders by choice, all sharing one target and base."""

    key: tuple
    guided: dict = field(default_factory=dict)  # guider choice ("" = the preset's) -> Trio
    leases: int = 0
    bytes: int = 0

    def measure(self) -> int:
        models = {id(m): m for t in self.guided.values() for m in (t.target, t.guider, t.base)}
        self.bytes = sum(int(m.get_memory_footprint()) for m in models.values())
        return self.bytes


class Lease:
    """A run's hold on a loaded trio: while held, the trio is never freed. Release once."""

    def __init__(self, manager: "ModelManager", loaded: _Loaded, trio):
        self.trio, self._manager, self._loaded = trio, manager, loaded
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._manager._release(self._loaded)

    def __enter__(self):
        return self.trio

    def __exit__(self, *exc):
        self.release()


class ModelManager:
    def __init__(self, presets: list[Preset] | None = None, load=load_trio, swap=swap_guider,
                 memory_budget: int | None = None, wait_s: float | None = None):
        self.presets = presets if presets is not None else read_presets()  # THINKLOGIT_PRESETS overrides the file
        if not self.presets:
            raise PresetError("the presets file lists no preset")
        self._load, self._swap = load, swap
        self.budget = memory_budget if memory_budget is not None else budgets.memory_budget()
        self.wait_s = wait_s if wait_s is not None else float(os.environ.get(WAIT_ENV, "120"))
        self._state = threading.Condition()  # guards _trios; notified when a lease is released
        self._loading = threading.Lock()  # one load at a time
        self._trios: OrderedDict[tuple, _Loaded] = OrderedDict()  # least recently used first
        self._last: tuple | None = None  # (key, guider choice) of the latest request: the status line's
        self._sizes: dict[tuple, int] = {}  # measured bytes of each key loaded before: the best estimate
        self.loads = 0

    # ---- presets ----
    @property
    def default(self) -> Preset:
        return next((p for p in self.presets if p.default), self.presets[0])

    def preset(self, name: str | None) -> Preset:
        return find_preset(self.presets, name)

    def choices(self) -> list[tuple[str, str]]:
        """(label, name) per preset; the label says when a preset cannot load here."""
        out = []
        for preset in self.presets:
            ok, _ = can_load(preset)
            out.append((preset.name if ok else f"{preset.name} (cannot load here)", preset.name))
        return out

    def quantization(self, preset: Preset, overrides: dict | None = None) -> dict:
        return quantization_modes(preset, overrides)

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

    # ---- loaded trios and leases ----
    def acquire(self, name: str | None, quantization: dict | None = None, guider: str | None = None,
                cancel: threading.Event | None = None) -> Lease:
        """A lease on the trio of `name` with `quantization` and `guider` ("" = the preset's own),
        loading it beside the others if needed (see the module's docstring for the policy)."""
        preset = self.preset(name)
        modes = self.quantization(preset, quantization)
        key, choice = (preset.name, tuple(sorted(modes.items()))), self.guider(preset, guider)
        deadline = time.monotonic() + self.wait_s
        while True:
            lease = self._lease(key, choice)
            if lease is not None:
                return lease
            if self._loading.acquire(timeout=0.25):
                try:
                    return self._load_and_lease(preset, modes, key, choice, cancel, deadline)
                finally:
                    self._loading.release()
            self._check(cancel, deadline, key)

    def get(self, name: str | None, quantization: dict | None = None, guider: str | None = None):
        """The trio (loaded if needed) without holding it: for a preview, a preload, a test."""
        with self.acquire(name, quantization, guider) as trio:
            return trio

    def _lease(self, key: tuple, choice: str) -> Lease | None:
        with self._state:
            loaded = self._trios.get(key)
            if loaded is None or choice not in loaded.guided:
                return None
            loaded.leases += 1
            self._trios.move_to_end(key)
            self._last = (key, choice)
            return Lease(self, loaded, loaded.guided[choice])

    def _release(self, loaded: _Loaded) -> None:
        with self._state:
            loaded.leases -= 1
            self._state.notify_all()

    def _load_and_lease(self, preset: Preset, modes: dict, key: tuple, choice: str, cancel, deadline) -> Lease:
        lease = self._lease(key, choice)  # loaded by another request while this one waited
        if lease is not None:
            return lease
        ok, why = can_load(preset)
        if not ok:
            raise PresetError(f"{why}.{self._still_loaded()}")
        with self._state:
            beside = self._trios.get(key)
            base_trio = next(iter(beside.guided.values())) if beside is not None else None
        if base_trio is not None:  # only a guider loads
            need = budgets.estimate(preset, modes, guider_ref(preset, choice), ("guider",))
        else:
            need = self._sizes.get(key) or budgets.estimate(preset, modes, guider_ref(preset, choice))
        self._make_room(need, key, cancel, deadline)
        try:
            if base_trio is not None:  # another guider for a loaded target and base: load only it
                trio = self._swap(base_trio, preset, choice, modes["guider"])
            else:
                trio = self._load(preset, quantization=modes, guider=choice or None)
        except PresetError:
            raise
        except Exception as err:  # bitsandbytes without a GPU, out of memory, a broken folder
            raise PresetError(f"loading preset {preset.name!r} failed: {type(err).__name__}: "
                              f"{str(err).splitlines()[0][:200] if str(err) else ''}") from err
        trio.info = dict(trio.info or {}) | {"preset": preset.name, "quantization": modes, "guider": choice}
        with self._state:
            loaded = self._trios.setdefault(key, _Loaded(key))
            loaded.guided[choice] = trio
            self._sizes[key] = loaded.measure()
            self.loads += 1
            self._free_idle(self.budget, keep=key)  # an estimate can be short: correct with the measured bytes
        return self._lease(key, choice)

    def _make_room(self, need: int, keep: tuple, cancel, deadline) -> None:
        """Free least recently used idle trios until `need` more bytes fit the budget; wait
        for runs to release theirs when that is not enough."""
        with self._state:
            while True:
                self._free_idle(self.budget - need, keep)
                if self._used() + need <= self.budget or set(self._trios) <= {keep}:  # fits, or nothing else is loaded
                    return
                self._check(cancel, deadline, keep)
                self._state.wait(0.25)

    def _free_idle(self, limit: int, keep: tuple) -> None:
        """Drop idle trios (no lease), least recently used first, while more than `limit` is loaded."""
        freed = False
        for key in [k for k, t in self._trios.items() if t.leases == 0 and k != keep]:
            if self._used() <= limit:
                break
            del self._trios[key]
            freed = True
        if freed:
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    def _used(self) -> int:
        return sum(t.bytes for t in self._trios.values())

    def _check(self, cancel, deadline: float, key: tuple) -> None:
        """End a wait: the visitor's own Stop, or the time limit with a message that says why."""
        if cancel is not None and cancel.is_set():
            raise Cancelled(reason_of(cancel), "the wait for memory")
        if time.monotonic() >= deadline:
            with self._state:
                busy = [f"{k[0]} ({_modes(k)}): {t.leases} run(s)" for k, t in self._trios.items() if t.leases]
            raise PresetError(
                f"waited {self.wait_s:g} s for memory to load {key[0]} ({_modes(key)}): the budget of "
                f"{budgets.gib(self.budget)} is held by running visitors ({'; '.join(busy) or 'a load'}); "
                "try again when they finish, or pick what is loaded (see the status line)")

    def variant_guiders(self, name: str | None, quantization: dict | None = None) -> dict:
        """The preset's thinklogit-* variant guiders (for evaluation columns), loaded beside the
        preset's target and base like any guider choice, so each loads once."""
        preset = self.preset(name)
        guiders, last = {}, self._last
        for variant in evaluation_variants(preset):
            with self.acquire(name, quantization, variant) as trio:
                guiders[variant] = trio.guider
        self._last = last  # the status line's guider stays the one visitors chose
        return guiders

    def _still_loaded(self) -> str:
        return f" Still loaded: {', '.join(k[0] for k in self._trios)}." if self._trios else ""

    def free(self) -> None:
        """Drop every trio no run holds."""
        with self._state:
            self._free_idle(-1, keep=())

    @property
    def loaded(self) -> str | None:
        """The preset of the latest request."""
        return self._last[0][0] if self._last and self._last[0] in self._trios else None

    def status(self) -> dict:
        with self._state:
            if not self._last or self._last[0] not in self._trios:
                return {"loaded": None, "trios": [], "budget_bytes": self.budget, "memory_bytes": self._used()}
            key, choice = self._last
            loaded = self._trios[key]
            trio = loaded.guided.get(choice) or next(iter(loaded.guided.values()))
            info = trio.info or {}
            trios = [{"preset": k[0], "quantization": dict(k[1]), "guiders": list(t.guided), "runs": t.leases,
                      "memory_bytes": t.bytes} for k, t in self._trios.items()]
            return {"loaded": key[0], "device": info.get("device", str(trio.target.device)),
                    "dtype": info.get("dtype", str(next(trio.target.parameters()).dtype).replace("torch.", "")),
                    "quantization": dict(key[1]), "guider": info.get("guider", ""),
                    "guiders_loaded": list(loaded.guided), "memory_bytes": self._used(),
                    "budget_bytes": self.budget, "trios": trios,
                    "differing_ids": trio.compat.to_json() if trio.compat else [],
                    "tokenizers": trio.compat.summary() if trio.compat and trio.compat.differing else ""}

    def status_line(self, words: dict[str, str] | None = None) -> str:
        """The status as one Markdown line, worded by `words` (STATUS_WORDS's keys; the app
        passes them in the visitor's language)."""
        words = STATUS_WORDS | (words or {})
        status = self.status()
        if status["loaded"] is None:
            return words["none"]
        quant = " / ".join(words["quant_role"].format(role=words[f"role_{role}"],
                                                      mode=_mode(status["quantization"].get(role), words["mode_none"]))
                           for role in ROLES)
        guider = words["guider"].format(guider=status["guider"]) if status.get("guider") else ""
        line = words["loaded"].format(preset=status["loaded"], guider=guider, device=status["device"],
                                      dtype=status["dtype"], quantization=quant,
                                      memory=budgets.gib(status["memory_bytes"]),
                                      budget=budgets.gib(status["budget_bytes"]))
        if len(status["guiders_loaded"]) > 1:
            line += " · " + words["guiders_loaded"].format(
                guiders=", ".join(g or words["own_guider"] for g in status["guiders_loaded"]))
        if len(status["trios"]) > 1:
            line += " · " + words["trios_loaded"].format(trios="; ".join(
                words["trio"].format(preset=t["preset"], modes=_modes_of(t["quantization"], words["mode_none"]), runs=t["runs"])
                for t in status["trios"]))
        if status.get("tokenizers"):
            line += " · " + status["tokenizers"]
        if torch.cuda.is_available():
            line += " · " + words["gpu_memory"].format(memory=budgets.gib(torch.cuda.memory_allocated()))
        return line + f" · {words['policy']}"


def _mode(mode: str | None, none: str = "none") -> str:
    return none if mode in (None, "", "none") else mode


def _modes_of(modes: dict, none: str = "none") -> str:
    return "/".join(_mode(modes.get(role), none) for role in ROLES)


def _modes(key: tuple) -> str:
    return _modes_of(dict(key[1]))
