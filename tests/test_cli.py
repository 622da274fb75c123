"""The command line as a user runs it: JSON shapes, exit codes, one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "thinklogit_app", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def tiny_presets(tmp_path_factory):
    """A presets file pointing at a saved tiny random trio."""
    from conftest import make_trio, save_trio

    folder = tmp_path_factory.mktemp("cli")
    trio = make_trio()
    save_trio(trio, folder)
    presets = {"default": "tiny", "presets": [{
        "name": "tiny", "target": str(folder / "target"), "guider": str(folder / "guider"),
        "base": str(folder / "base"),
        "defaults": {"alpha": 1.0, "schedule": "constant", "temperature": 0.0, "max_new_tokens": 12}}]}
    path = folder / "presets.json"
    path.write_text(json.dumps(presets))
    import os

    return {**os.environ, "THINKLOGIT_PRESETS": str(path)}, trio


def test_generate_json_matches_the_engine(tiny_presets):
    from thinklogit_app.core.engine import DecodeSettings, run_to_end

    env, trio = tiny_presets
    result = cli("generate", "--prompt", "Q:12+34\n", "--alpha", "1.5", "--json", env=env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["preset"] == "tiny" and out["settings"]["alpha"] == 1.5
    assert out["settings"]["max_new_tokens"] == 12  # the preset's default
    expected = run_to_end(trio, "Q:12+34\n", DecodeSettings(alpha=1.5, schedule="constant", temperature=0.0,
                                                           max_new_tokens=12))
    assert out["baseline"]["ids"] == expected["baseline"].ids
    assert out["guided"]["ids"] == expected["guided"].ids
    assert [r["token_id"] for r in out["guided"]["trace"]] == expected["guided"].ids
    assert out["guided"]["stop_reason"] in ("eos", "max_new_tokens", "repetition")
    flipped = [r["step"] for r in out["guided"]["trace"] if r["token_id"] != r["target_pick_id"]]
    assert [f["step"] for f in out["flips"]["flips"]] == flipped and out["flips"]["count"] == len(flipped)
    assert out["flips"]["headline"].startswith(f"flipped {len(flipped)} of {len(out['guided']['ids'])} tokens")


def test_generate_plain_prints_both_streams(tiny_presets):
    env, _ = tiny_presets
    result = cli("generate", "--prompt", "Q:12+34\n", env=env)
    assert result.returncode == 0, result.stderr
    assert "=== Target alone" in result.stdout and "=== Target + ThinkLogit" in result.stdout
    assert "=== the guider flipped " in result.stdout


def test_presets_json_lists_loadability(tiny_presets):
    env, _ = tiny_presets
    rows = json.loads(cli("presets", "--json", env=env).stdout)
    assert rows[0]["name"] == "tiny" and rows[0]["default"] is True and rows[0]["loadable"] is True
    shipped = json.loads(cli("presets", "--json").stdout)
    assert {"name", "default", "target", "guider", "base", "loadable"} <= set(shipped[0])
    assert any(not row["loadable"] for row in shipped)  # hub presets need a GPU / the hub here


@pytest.mark.parametrize("args, message", [
    (["generate"], "required: --prompt"),
    (["generate", "--prompt", "x", "--alpha", "abc"], "invalid float value"),
    (["generate", "--prompt", "x", "--preset", "nope"], "unknown preset 'nope'"),
    (["generate", "--prompt", "x", "--top-p", "2"], "top-p must be in (0, 1]"),
    (["generate", "--prompt", "x", "--schedule", "cosine"], "unknown schedule"),
    (["generate", "--prompt", "  "], "the prompt is empty"),
    (["generate", "--prompt", "x", "--quantize", "target"], "--quantize wants ROLE=MODE"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(tiny_presets, args, message, capsys, monkeypatch):
    from thinklogit_app.cli import main

    env, _ = tiny_presets
    monkeypatch.setenv("THINKLOGIT_PRESETS", env["THINKLOGIT_PRESETS"])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1, err


def test_error_exit_code_from_a_real_process(tiny_presets):
    env, _ = tiny_presets
    result = cli("generate", "--prompt", "x", "--preset", "nope", env=env)
    assert result.returncode == 2 and result.stderr.strip() == (
        "error: unknown preset 'nope': choose one of tiny")
