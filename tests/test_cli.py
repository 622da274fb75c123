"""The command line as a user runs it: JSON shapes, exit codes, one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

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


def test_alphas_json_rows_equal_separate_runs_and_force_is_written(tiny_presets):
    from thinklogit_app.core.engine import DecodeSettings, run_to_end

    env, trio = tiny_presets
    result = cli("alphas", "--prompt", "Q:12+34\n", "--alphas", "0,2", "--json", env=env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for entry in out["alphas"]:
        expected = run_to_end(trio, "Q:12+34\n", DecodeSettings(alpha=entry["alpha"], schedule="constant",
                                                                 temperature=0.0, max_new_tokens=12),
                              streams=("guided",))["guided"]
        assert entry["ids"] == expected.ids
    forced = cli("generate", "--prompt", "Q:12+34\n", "--force", "0:7", "--schedule", "first:1", "--json", env=env)
    trace = json.loads(forced.stdout)["guided"]["trace"]
    assert trace[0]["token_id"] == 7 and trace[0]["forced"] and len(trace) > 1
    assert [r["alpha"] for r in trace] == [1.0] + [0.0] * (len(trace) - 1)


def test_presets_json_lists_loadability(tiny_presets):
    env, _ = tiny_presets
    rows = json.loads(cli("presets", "--json", env=env).stdout)
    assert rows[0]["name"] == "tiny" and rows[0]["default"] is True and rows[0]["loadable"] is True
    shipped = json.loads(cli("presets", "--json").stdout)
    assert {"name", "default", "target", "guider", "base", "loadable"} <= set(shipped[0])
    if not torch.cuda.is_available():
        assert any(not row["loadable"] for row in shipped)  # hub presets need a GPU


@pytest.mark.parametrize("args, message", [
    (["generate"], "required: --prompt"),
    (["generate", "--prompt", "x", "--alpha", "abc"], "invalid float value"),
    (["generate", "--prompt", "x", "--preset", "nope"], "unknown preset 'nope'"),
    (["generate", "--prompt", "x", "--top-p", "2"], "top-p must be above 0 and at most 1, got 2"),
    (["generate", "--prompt", "x", "--schedule", "cosine"], "schedule must be one of constant, warmup, ramp, first"),
    (["generate", "--prompt", "x", "--alpha", "-1"], "alpha must be between 0 and 3, got -1"),
    (["generate", "--prompt", "x", "--seed", "-1"], "seed must be between 0 and 4294967295, got -1"),
    (["generate", "--prompt", "x", "--seed", str(10**30)], "seed must be between 0 and 4294967295, got a 31-digit"),
    (["generate", "--prompt", "x", "--max-new-tokens", "9000"], "max new tokens must be between 1 and 8192"),
    (["generate", "--prompt", "x", "--guider", "/etc"], "'/etc' is a folder without a model in it"),
    (["generate", "--prompt", "x", "--quantize", "target=2bit"], "quantization of the target must be one of"),
    (["eval", "--alphas", "0.5,-1"], "each alpha of the sweep must be between 0 and 3, got -1"),
    (["eval", "--n", "0"], "number of problems must be between 1 and 1000000, got 0"),
    (["generate", "--prompt", "  "], "the prompt is empty"),
    (["generate", "--prompt", "x", "--quantize", "target"], "--quantize wants ROLE=MODE"),
    (["frobnicate"], "invalid choice"),
    (["alphas", "--prompt", "x", "--alphas", "0,5"], "each alpha of the sweep must be between 0 and 3"),
    (["generate", "--prompt", "x", "--force", "1:x"], "forced token id must be a number"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(tiny_presets, args, message, capsys, monkeypatch):
    from thinklogit_app.cli import main

    env, _ = tiny_presets
    monkeypatch.setenv("THINKLOGIT_PRESETS", env["THINKLOGIT_PRESETS"])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("args, settings", [
    (["--alpha", "-1"], {"alpha": -1}), (["--seed", "-1"], {"seed": -1}), (["--top-p", "0"], {"top_p": 0}),
    (["--temperature", "nan"], {"temperature": float("nan")}), (["--schedule", "warmup:0"], {"schedule": "warmup:0"}),
])
def test_the_cli_and_the_app_refuse_alike(tiny_presets, args, settings, capsys, monkeypatch):
    from thinklogit_app import validation
    from thinklogit_app.cli import main

    monkeypatch.setenv("THINKLOGIT_PRESETS", tiny_presets[0]["THINKLOGIT_PRESETS"])
    with pytest.raises(ValueError) as refused:
        validation.settings_from({}, settings)  # what /generate answers
    assert main(["generate", "--prompt", "x", *args]) == 2
    assert capsys.readouterr().err == f"error: {refused.value}\n"


def test_an_unreachable_hub_guider_fails_in_one_line_at_once(tiny_presets):
    env, _ = tiny_presets
    started = time.perf_counter()
    result = cli("generate", "--prompt", "x", "--guider", "some-org/x", env=env | {"HF_HUB_OFFLINE": "1"})
    seconds = time.perf_counter() - started
    assert result.returncode == 2 and result.stderr.strip() == (
        "error: 'some-org/x' is not a folder here nor in the Hugging Face cache, and the hub cannot be reached "
        "from this machine: use a local model folder or a variant name of the preset"), result.stderr
    print(f"\n[cli] unreachable hub guider refused in {seconds:.1f} s")


def test_error_exit_code_from_a_real_process(tiny_presets):
    env, _ = tiny_presets
    result = cli("generate", "--prompt", "x", "--preset", "nope", env=env)
    assert result.returncode == 2 and result.stderr.strip() == (
        "error: unknown preset 'nope': choose one of tiny")
