"""The embedded tiny models: shipped files load like hub models, and ThinkLogit shows its effect.

The sample of held-out problems is fixed (task.held_out_problems), so these numbers are
deterministic for the shipped weights.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig, LlamaForCausalLM

from thinklogit_app.evaluation.evaluate import EvalItem, evaluate, generate_greedy, has_step_lines
from thinklogit_app.evaluation.grading import extract_answer, is_correct
from thinklogit_app.organism import task
from thinklogit_app.organism.tokenizer import build_tokenizer
from thinklogit_app.organism.train import DocumentStream, max_new_tokens_for

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "assets" / "models"
ROLES = ("target", "base", "guider")
SAMPLE = 120  # held-out problems decoded in the effect test



@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(MODELS / "target")


@pytest.fixture(scope="module")
def models():
    return {role: AutoModelForCausalLM.from_pretrained(MODELS / role).eval() for role in ROLES}


@pytest.fixture(scope="module")
def config(models):
    return task.config_of(models["target"])


def test_shipped_folders_are_complete_and_small():
    for role in ROLES:
        names = {p.name for p in (MODELS / role).iterdir()}
        assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"} <= names, role
    total = sum(p.stat().st_size for p in (ROOT / "assets").rglob("*") if p.is_file())
    assert total < 25 * 2**20


def test_tokenizer_loads_and_holds_only_the_task_alphabet(tokenizer):
    assert len(tokenizer) == 4 + len(task.ALPHABET)
    problem = task.Problem((123, 456, 789, 12))
    text = task.steps_text(problem)
    ids = tokenizer(text).input_ids
    assert ids[0] == tokenizer.bos_token_id and len(ids) == len(text) + 1  # one token per character
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    for role in ROLES:  # the three folders share one vocabulary
        assert AutoTokenizer.from_pretrained(MODELS / role).get_vocab() == tokenizer.get_vocab()
    assert build_tokenizer().get_vocab() == tokenizer.get_vocab()


def test_models_are_llama_with_eos_in_generation_config(models, tokenizer):
    for role, model in models.items():
        assert isinstance(model, LlamaForCausalLM)
        assert model.generation_config.eos_token_id == tokenizer.eos_token_id
        assert model.config.vocab_size == len(tokenizer)
    params = {role: sum(p.numel() for p in m.parameters()) for role, m in models.items()}
    assert 0.8e6 < params["target"] < 1.5e6
    assert params["base"] == params["guider"] < params["target"] / 4


def test_target_loads_in_4bit_nf4_on_cpu_and_still_answers(tokenizer, config):
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float32)
    target = AutoModelForCausalLM.from_pretrained(MODELS / "target", quantization_config=quant, device_map="cpu")
    assert any(type(m).__name__ == "Linear4bit" for m in target.modules())
    problems = task.held_out_problems(4, config)
    outputs = generate_greedy(target, tokenizer, [task.make_prompt(p) for p in problems], 12)
    assert all(extract_answer(text) is not None for text in outputs), outputs


def test_thinklogit_beats_the_target_by_a_wide_margin_and_writes_steps(models, tokenizer, config):
    items = [EvalItem(task.make_prompt(p), task.reference_answer(p)) for p in task.held_out_problems(SAMPLE, config)]
    dpo = AutoModelForCausalLM.from_pretrained(MODELS / "guider-dpo").eval()  # the shipped ThinkLogit-DPO variant
    result = evaluate(models["target"], models["guider"], models["base"], tokenizer, items, alphas=(1.0,), schedules=(),
                      extra_guiders={"thinklogit-dpo": dpo}, max_new_tokens=max_new_tokens_for(config))
    acc = result.accuracy
    # a DPO guider trained from another guider / base than the shipped ones loses the effect (0.00)
    assert acc["thinklogit-dpo"] >= acc["target"] + 0.3, acc
    assert result.columns["target"].step_lines_share < 0.1  # alone, the target answers directly
    assert result.step_lines_share > 0.95  # guided, it reasons step by step
    assert acc["thinklogit"] >= acc["target"] + 0.3, acc
    assert acc["thinklogit"] > acc["guider"], acc


def test_training_data_never_contains_a_held_out_problem(tokenizer, config):
    held_out = {task.make_prompt(p) for p in task.held_out_problems(300, config)}
    assert all(task.is_test_problem(task.parse_prompt(p), config) for p in held_out)
    for mix, easy_share in (((3, 1, 2), 0.0), ((3, 1, 2), 0.3), ((0, 1, 0), 0.3)):
        stream = DocumentStream(tokenizer, config, mix, seed=random.randrange(1000), easy_share=easy_share)
        for _ in range(3000):
            text = stream.text()
            first = text.split("\n", 1)[0] + "\n"
            problem = task.parse_prompt(first)
            if problem is not None:
                assert first not in held_out
                assert not task.is_test_problem(problem, config)


def test_formats_and_grading_agree():
    problem = task.Problem((63, 11, 48, 57))
    steps = task.steps_text(problem)
    assert steps.startswith(task.make_prompt(problem))
    assert steps.endswith("A:122+57=179") and has_step_lines(steps)
    assert not has_step_lines(task.direct_text(problem))
    for text in (steps, task.direct_text(problem)):
        assert is_correct(text[len(task.make_prompt(problem)):], task.reference_answer(problem))
    assert not is_correct("A:180", "179") and not is_correct("63+11=74", "74")
    assert is_correct("so \\boxed{\\frac{1}{2}}.", "0.5") and extract_answer("\\boxed{x^{2}}") == "x^{2}"


def test_training_writes_loadable_folders(tmp_path):
    from dataclasses import replace

    from thinklogit_app.organism.train import DEFAULT_RECIPE, train_trio

    recipe = replace(DEFAULT_RECIPE, pretrain=replace(DEFAULT_RECIPE.pretrain, steps=2, warmup=1, batch=4),
                     guider=replace(DEFAULT_RECIPE.guider, steps=2, warmup=1, batch=4))
    lines = []
    summary = train_trio(recipe, tmp_path, log=lines.append)
    assert any("step 2/2" in line for line in lines)  # progress output
    for role in ROLES:
        model = AutoModelForCausalLM.from_pretrained(tmp_path / role)
        assert task.config_of(model) == recipe.task
        assert AutoTokenizer.from_pretrained(tmp_path / role).eos_token_id == model.generation_config.eos_token_id
    assert summary["params"]["target"] > 4 * summary["params"]["guider"]
    assert (tmp_path / "organism.json").exists()
