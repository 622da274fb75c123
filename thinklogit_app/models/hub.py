"""Can this host reach the Hugging Face Hub, and so can a preset whose models are not
cached load here? Checked once in seconds and remembered: an offline download attempt
takes ~50 s to fail."""
from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlparse

import torch

from .presets import Preset, PresetError, is_cached, loadable, local_path, missing_folders

_HUB_CHECK: dict = {}


def hub_reachable(timeout: float = 3.0, ttl: float = 60.0) -> bool:
    """Can this host reach the Hugging Face Hub (HF_ENDPOINT's host)? Checked in a few
    seconds and remembered for a minute: an offline download attempt takes ~50 s to fail."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co").hostname or "huggingface.co"
    now = time.monotonic()
    if host in _HUB_CHECK and now - _HUB_CHECK[host][1] < ttl:
        return _HUB_CHECK[host][0]
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            reachable = True
    except OSError:
        reachable = False
    _HUB_CHECK[host] = (reachable, now)
    return reachable


def can_load(preset: Preset) -> tuple[bool, str]:
    """presets.loadable, except that hub models missing from the cache count as loadable
    when the hub answers (a GPU Space downloads them on first use)."""
    ok, why = loadable(preset)
    if ok or (preset.requires_gpu and not torch.cuda.is_available()):
        return ok, why
    if missing_folders((preset.target, preset.guider, preset.base)):
        return ok, why
    if hub_reachable():
        return True, "downloads from the Hugging Face Hub on first load"
    return ok, why


def check_refs(refs) -> bool:
    """Refuse, in a second and in one line, model references that cannot load: a folder
    without a model, or a hub id that is neither cached nor downloadable because the hub
    cannot be reached. True when loading must stay offline (cache only)."""
    offline = None
    for ref in refs:
        local = local_path(ref)
        if local is not None:
            if local.is_dir() and not (local / "config.json").is_file():
                raise PresetError(f"{ref!r} is a folder without a model in it (no config.json): "
                                  "give a model folder, a hub id or a variant name of the preset")
            continue
        if offline is None:
            offline = not hub_reachable()
        if offline and not is_cached(ref):
            raise PresetError(f"{ref!r} is not a folder here nor in the Hugging Face cache, and the hub cannot be "
                              "reached from this machine: use a local model folder or a variant name of the preset")
    return bool(offline)
