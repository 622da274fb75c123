"""The `two-styles` preset: its files load, its formats grade, its training never sees a test problem."""
from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from thinklogit_app.evaluation.grading import is_correct
from thinklogit_app.models.presets import get_preset
from thinklogit_app.organism import styles, task

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "assets" / "models" / "two-styles"
ROLES = ("target", "base", "guider", "guider-dpo")



def test_preset_files_load_and_share_the_tiny_sums_vocabulary():
    preset = get_preset("two-styles")
    assert preset.task == "sums" and preset.variants["thinklogit-dpo"] == "assets/models/two-styles/guider-dpo"
    assert {preset.target, preset.guider, preset.base, preset.variants["thinklogit-dpo"]} == \
        {f"assets/models/two-styles/{role}" for role in ROLES}
    reference = AutoTokenizer.from_pretrained(ROOT / "assets" / "models" / "target").get_vocab()
    for role in ROLES:
        assert AutoTokenizer.from_pretrained(FOLDER / role).get_vocab() == reference, role
        model = AutoModelForCausalLM.from_pretrained(FOLDER / role)
        assert task.config_of(model) == task.DEFAULT_CONFIG, role  # same problems, same held-out split
    examples = preset.load_examples()
    assert examples and all(is_correct(f"A:{e['answer']}", e["answer"]) for e in examples)
    assert all(task.is_test_problem(task.parse_prompt(e["prompt"])) for e in examples)
    total = sum(p.stat().st_size for p in (ROOT / "assets").rglob("*") if p.is_file())
    assert total < 25 * 2**20


def test_training_documents_never_contain_a_held_out_problem():
    tokenizer = AutoTokenizer.from_pretrained(ROOT / "assets" / "models" / "target")
    held_out = {task.make_prompt(p) for p in task.held_out_problems(300)}
    recipe = styles.StylesRecipe()
    seen = set()
    for phase in (recipe.pretrain, recipe.guider):
        stream = styles.StyleStream(tokenizer, task.DEFAULT_CONFIG, phase.mix, random.randrange(1000), phase.easy_share)
        for _ in range(3000):
            text = stream.text()
            problem = task.parse_prompt(text.split("\n", 1)[0] + "\n")
            if problem is not None:
                seen.add(styles.chain_style(text.split("\n", 1)[1]))
                assert not task.is_test_problem(problem) and task.make_prompt(problem) not in held_out
    assert {"direct", "steps", "grouped"} <= seen


def test_the_two_styles_part_at_one_token_and_both_grade():
    problem = task.Problem((541, 755, 437, 677))
    prompt = task.make_prompt(problem)
    steps, grouped = task.steps_text(problem)[len(prompt):], styles.grouped_text(problem)[len(prompt):]
    assert grouped == "541+755+437=1733\nQ:1733+677\nA:1733+677=2410"
    fork = next(i for i, (a, b) in enumerate(zip(steps, grouped)) if a != b)
    assert (steps[:fork], steps[fork], grouped[fork]) == ("541+755", "=", "+")
    assert is_correct(steps, "2410") and is_correct(grouped, "2410")
    assert [styles.chain_style(t) for t in (steps, grouped, "A:2410", "")] == ["steps", "grouped", "direct", "other"]
    with pytest.raises(ValueError, match="6 weights"):
        styles.StyleStream(AutoTokenizer.from_pretrained(FOLDER / "target"), task.DEFAULT_CONFIG, (1, 1, 1), 0)


def test_continuing_the_tiny_sums_trio_writes_loadable_folders(tmp_path):
    recipe = styles.StylesRecipe()
    short = replace(recipe.pretrain, steps=2, warmup=1, batch=2)
    recipe = replace(recipe, pretrain=short, guider=replace(recipe.guider, steps=2, warmup=1, batch=2))
    lines = []
    summary = styles.train_styles_trio(recipe, ROOT / "assets" / "models", tmp_path, log=lines.append)
    assert any("step 2/2" in line for line in lines)
    for role in ("target", "base", "guider"):
        assert task.config_of(AutoModelForCausalLM.from_pretrained(tmp_path / role)) == task.DEFAULT_CONFIG
    assert summary["recipe"]["seeds"] == {"target": 100, "base": 101, "guider": 102}
    assert json.loads((tmp_path / "organism.json").read_text())["recipe"]["mix_order"] == list(styles.KINDS)
    with pytest.raises(ValueError, match="no model to continue from"):
        styles.train_styles_trio(recipe, tmp_path / "nowhere", tmp_path / "out")
    # --guider-only: the guider phase again from the saved base gives the very same guider
    import torch

    first = AutoModelForCausalLM.from_pretrained(tmp_path / "guider").state_dict()
    styles.train_styles_trio(recipe, ROOT / "nowhere", tmp_path, log=lines.append, guider_only=True)
    again = AutoModelForCausalLM.from_pretrained(tmp_path / "guider").state_dict()
    assert all(torch.equal(first[k], again[k]) for k in first)
    with pytest.raises(ValueError, match="run without --guider-only first"):
        styles.train_styles_trio(recipe, ROOT, tmp_path / "empty", guider_only=True)


def test_the_guiders_documents_follow_the_parity_of_the_second_number():
    """The guider phase writes `grouped` for an odd second number and `steps` for an even one,
    3 times in 4 (the other style otherwise): the style it pushes depends on the problem, not
    on a coin its training seed tosses, so ThinkLogit's share of each style is stable across seeds."""
    tokenizer = AutoTokenizer.from_pretrained(ROOT / "assets" / "models" / "target")
    guider = styles.StylesRecipe().guider
    stream = styles.StyleStream(tokenizer, task.DEFAULT_CONFIG, guider.mix, 5, guider.easy_share)
    counts = {(odd, style): 0 for odd in (True, False) for style in ("steps", "grouped")}
    for _ in range(4000):
        text = stream.text()
        problem = task.parse_prompt(text.split("\n", 1)[0] + "\n")
        counts[(problem.operands[1] % 2 == 1, styles.chain_style(text.split("\n", 1)[1]))] += 1
    odd_grouped = counts[(True, "grouped")] / (counts[(True, "grouped")] + counts[(True, "steps")])
    even_steps = counts[(False, "steps")] / (counts[(False, "steps")] + counts[(False, "grouped")])
    assert abs(odd_grouped - styles.PARITY_SHARE) < 0.03 and abs(even_steps - styles.PARITY_SHARE) < 0.03
    assert styles.parity_style(task.Problem((540, 7, 3, 4)), True) == "grouped"
    assert styles.parity_style(task.Problem((541, 8, 3, 4)), True) == "steps"


def test_the_inspector_compares_the_two_guiders_pushes_at_the_style_fork():
    """At the fork of `Q:800+101+258+540` (after `800+101`: `=` steps on, `+` groups) the
    shipped guider pushes `+` over `=` and ThinkLogit writes `+`; the ThinkLogit-DPO guider
    pushes `=`. The guider column is the run's own trace: α·(guider − base) on the written token."""
    from thinklogit_app.app.handlers import Studio
    from thinklogit_app.evaluation.record import read_run

    studio = Studio()
    *_, final = studio.generate_json("t", "two-styles", "Q:800+101+258+540\n", {})
    record, records = read_run(json.dumps({k: v for k, v in final.items() if k != "done"}))
    with pytest.raises(ValueError, match="run a prompt first"):
        studio.compare_pushes(None, [], 0)
    view = studio.compare_pushes(record, records, 7, session="t")
    assert record["guided"]["text"].startswith("800+101+") and records[7].token == "+"
    assert view["headers"][1:4] == ["α·(guider − base)", "α·(ThinkLogit-DPO guider − base)", "change"]
    rows = {row[0]: row for row in view["rows"]}
    assert rows["+"][-1] == "◀ written" and rows["="][-1] == "target's pick"
    assert rows["+"][1] == pytest.approx(records[7].delta, abs=1e-3)  # the same number the run traced
    assert rows["="][1] < rows["+"][1]  # the guider pushes the style the target gets wrong
    assert rows["="][2] > rows["+"][2]  # its DPO variant pushes the one it gets right
    assert rows["="][3] == pytest.approx(rows["="][2] - rows["="][1], abs=1e-3)
    assert "ThinkLogit-DPO" in view["summary"] and "`=`" in view["summary"]
    japanese = studio.compare_pushes(record, records, 7, session="t", lang="ja")
    assert japanese["headers"][0] == "トークン" and "ステップ 7" in japanese["summary"]
