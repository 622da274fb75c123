"""Helpers of the app's end-to-end and browser tests: a tiny preset on disk, the app
served by `python app.py` in a subprocess on a free port (always killed afterwards)."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import make_trio

ROOT = Path(__file__).resolve().parent.parent
VARIANT_SEEDS = (0, 7, 2)  # make_trio seeds of the "thinklogit-b" variant guider
EXAMPLES = [{"prompt": "Q:12+34\n", "answer": "46"}, {"prompt": "Q:5+5+5\n", "answer": "15"}]


def save_trio(folder: Path, positions: int | None = None, **kw) -> dict:
    """make_trio's models as three model folders; `positions` raises their position limit
    (rotary embeddings go on past the 256 they were built with) for long runs."""
    trio = make_trio(**kw)
    refs = {}
    for role in ("target", "guider", "base"):
        model = getattr(trio, role)
        if positions:
            model.config.max_position_embeddings = positions
        model.save_pretrained(folder / role)
        trio.tokenizer.save_pretrained(folder / role)
        refs[role] = str(folder / role)
    return refs


def tiny_presets(folder: Path, real_default: bool = False) -> Path:
    """A presets file over one random tiny trio that never emits EOS: "tiny-random" (40
    tokens, greedy; a variant guider "thinklogit-b"), "tiny-endless" (4000 tokens, for Stop), and a GPU-only preset that
    cannot load here; with `real_default`, the project's embedded presets come first
    (the shipped default first, and the default) when their model folders exist."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "examples.json").write_text(json.dumps(EXAMPLES))
    trio = save_trio(folder / "trio", positions=8192, eos_reachable=False)
    variant = make_trio(eos_reachable=False, seeds=VARIANT_SEEDS)  # same target and base, another guider
    variant.guider.config.max_position_embeddings = 8192
    variant.guider.save_pretrained(folder / "guider-b")
    variant.tokenizer.save_pretrained(folder / "guider-b")
    greedy = {"alpha": 1.0, "schedule": "constant", "temperature": 0.0, "top_p": 1.0, "max_new_tokens": 40}
    presets = [
        {"name": "tiny-random", "description": "random tiny trio (tests)", **trio, "task": "sums",
         "examples": str(folder / "examples.json"), "defaults": greedy,
         "variants": {"thinklogit-b": str(folder / "guider-b")}},
        {"name": "tiny-endless", "description": "random tiny trio, long runs (tests)", **trio,
         "task": "sums", "defaults": greedy | {"max_new_tokens": 4000, "repeat_limit": 0}},
        {"name": "gpu-only", "description": "needs a GPU", "target": "Qwen/Qwen2.5-7B-Instruct",
         "guider": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "base": "Qwen/Qwen2.5-Math-1.5B", "task": "boxed",
         "requires_gpu": True},
    ]
    default = "tiny-random"
    if real_default:
        shipped = json.loads((ROOT / "assets" / "presets.json").read_text())
        embedded = [p for p in shipped["presets"] if not p.get("requires_gpu")
                    and all((ROOT / p[role]).is_dir() for role in ("target", "guider", "base"))]
        embedded.sort(key=lambda p: p["name"] != shipped["default"])  # the shipped default first
        for real in reversed(embedded):
            real = real | {role: str(ROOT / real[role]) for role in ("target", "guider", "base")}
            if real.get("examples"):
                real["examples"] = str(ROOT / real["examples"])
            presets.insert(0, real)
        if embedded:
            default = embedded[0]["name"]
    path = folder / "presets.json"
    path.write_text(json.dumps({"default": default, "presets": presets}))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served(str):
    """The app's URL, with the server's process id (`pid`) for its thread count and memory."""

    pid: int


@contextlib.contextmanager
def serve(presets: Path, log: Path, timeout: float = 120.0, extra_env: dict | None = None):
    """`python app.py` on a free port with `presets`; yields its URL; killed on exit."""
    port = free_port()
    env = os.environ | {"GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
                        "THINKLOGIT_PRESETS": str(presets), "GRADIO_ANALYTICS_ENABLED": "False",
                        "PYTHONUNBUFFERED": "1"} | (extra_env or {})
    url = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with code {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/gradio_api/info", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"the app did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        served = Served(url)
        served.pid = proc.pid
        yield served
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
