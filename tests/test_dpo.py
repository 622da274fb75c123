"""ThinkLogit-DPO: pair building, DPO raising the preference margin, the DPO guider in presets."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from conftest import make_trio, save_trio
from thinklogit_app.core.arithmetic import AlphaSchedule
from thinklogit_app.dpo.pairs import (PAIR_TYPES, PAPER_PAIR_TYPES, Pair, Problem, Sample, build_pairs,
                                      cut_after_first_difference, parse_pair_types, read_pairs,
                                      sample_completions, training_problems, write_jsonl)
from thinklogit_app.dpo.train import DPOSettings, preference_margins, save_guider, train_dpo
from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.models.presets import get_preset
from thinklogit_app.models.loading import load_trio

PROBLEM = Problem("Q:12+34+20\n", "66")
RIGHT_SMALL = "12+34=46\nQ:46+20\nA:46+20=66"
WRONG_SMALL = "12+34=47\nQ:47+20\nA:47+20=67"
RIGHT_LARGE = "12+34=46\nQ:46+20\nA:66"
WRONG_LARGE = "A:65"


def test_pairs_are_labelled_and_typed_from_hand_made_traces():
    samples = [Sample("small", "guider", RIGHT_SMALL), Sample("small", "guider", RIGHT_SMALL),  # a duplicate
               Sample("small", "guider", WRONG_SMALL), Sample("small", "guider", "12+34=46\nQ:46+20"),  # no answer
               Sample("large", "target+tl", RIGHT_LARGE), Sample("large", "target+tl", WRONG_LARGE)]
    pairs = build_pairs(PROBLEM, samples, types=PAPER_PAIR_TYPES, max_per_type=10, rng=random.Random(0))
    got = {(p.pair_type, p.chosen, p.rejected) for p in pairs}
    assert got == {
        ("small-correct/small-incorrect", RIGHT_SMALL, WRONG_SMALL),
        ("small-correct/small-incorrect", RIGHT_SMALL, "12+34=46\nQ:46+20"),
        ("small-correct/large-incorrect", RIGHT_SMALL, WRONG_LARGE),
        ("large-correct/small-incorrect", RIGHT_LARGE, WRONG_SMALL),
        ("large-correct/small-incorrect", RIGHT_LARGE, "12+34=46\nQ:46+20"),
    }
    assert len(pairs) == len(got)  # duplicates counted once
    for pair in pairs:
        chosen_source, rejected_source = PAIR_TYPES[pair.pair_type]
        assert pair.chosen_model == ("guider" if chosen_source == "small" else "target+tl")
        assert pair.rejected_model == ("guider" if rejected_source == "small" else "target+tl")
        assert pair.prompt == PROBLEM.prompt and pair.answer == "66"


def test_pair_types_and_caps_are_respected_and_bad_types_refused():
    samples = [Sample("small", "g", RIGHT_SMALL), Sample("small", "g", WRONG_SMALL),
               Sample("small", "g", "A:1"), Sample("large", "t", WRONG_LARGE)]
    only = build_pairs(PROBLEM, samples, types=["small-correct/large-incorrect"], max_per_type=5)
    assert [(p.chosen, p.rejected) for p in only] == [(RIGHT_SMALL, WRONG_LARGE)]
    capped = build_pairs(PROBLEM, samples, types=["small-correct/small-incorrect"], max_per_type=1)
    assert len(capped) == 1 and capped[0].rejected in (WRONG_SMALL, "A:1")
    # every sample right (or every sample wrong): nothing to prefer
    assert build_pairs(PROBLEM, [Sample("small", "g", RIGHT_SMALL), Sample("large", "t", RIGHT_LARGE)]) == []
    with pytest.raises(ValueError, match="unknown pair type 'best/worst'"):
        build_pairs(PROBLEM, samples, types=["best/worst"])


def test_large_large_pairs_and_type_names():
    samples = [Sample("large", "t", RIGHT_LARGE), Sample("large", "t", WRONG_LARGE), Sample("small", "g", WRONG_SMALL)]
    pairs = build_pairs(PROBLEM, samples, types=parse_pair_types("ll"))
    assert [(p.pair_type, p.chosen, p.rejected) for p in pairs] == \
        [("large-correct/large-incorrect", RIGHT_LARGE, WRONG_LARGE)]
    assert parse_pair_types("paper") == PAPER_PAIR_TYPES and len(parse_pair_types("all")) == 4
    assert parse_pair_types("sl, ls") == ("small-correct/large-incorrect", "large-correct/small-incorrect")
    with pytest.raises(ValueError, match="unknown pair type 'xx'"):
        parse_pair_types("ss,xx")


def test_rejected_is_cut_after_its_first_wrong_line_or_character():
    # the wrong partial sum 47 is then copied correctly: only the line that made the mistake is kept
    assert cut_after_first_difference(RIGHT_SMALL, WRONG_SMALL) == "12+34=47"
    assert cut_after_first_difference(RIGHT_SMALL, "12+34=46\nQ:46+21\nA:46+21=67") == "12+34=46\nQ:46+21"
    assert cut_after_first_difference(RIGHT_SMALL, RIGHT_SMALL + "\nA:0") == RIGHT_SMALL + "\nA:0"
    assert cut_after_first_difference(RIGHT_SMALL, WRONG_LARGE) == WRONG_LARGE
    from thinklogit_app.dpo.train import _dataset

    pair = Pair(PROBLEM.prompt, RIGHT_SMALL, WRONG_SMALL, "small-correct/small-incorrect", "g", "g", "66")
    assert _dataset([pair], cut_rejected="line")["rejected"] == ["12+34=47"]
    assert _dataset([pair], cut_rejected="no")["rejected"] == [WRONG_SMALL]
    # char: the rejected side ends at the one token that went wrong (the 7 of 47)
    assert cut_after_first_difference(RIGHT_SMALL, WRONG_SMALL, "char") == "12+34=47"
    assert cut_after_first_difference(RIGHT_SMALL, "12+34=46\nQ:46+21\nA:46+21=67", "char") == "12+34=46\nQ:46+21"
    assert _dataset([pair], cut_rejected="char")["rejected"] == ["12+34=47"]
    with pytest.raises(ValueError, match="cut of the rejected traces must be one of no, line, char"):
        DPOSettings(cut_rejected="yes").validate()


def test_pairs_round_trip_through_jsonl(tmp_path):
    pairs = build_pairs(PROBLEM, [Sample("small", "g", RIGHT_SMALL), Sample("large", "t", WRONG_LARGE)])
    for name in ("pairs.jsonl", "pairs.jsonl.gz"):
        write_jsonl((p.to_dict() for p in pairs), tmp_path / name)
        assert read_pairs(tmp_path / name) == pairs
    (tmp_path / "bad.jsonl").write_text('{"prompt": "Q:1+2\\n", "chosen": "A:3"}\n')
    with pytest.raises(ValueError, match="lacks rejected"):
        read_pairs(tmp_path / "bad.jsonl")


def test_training_problems_never_come_from_the_held_out_split():
    from thinklogit_app.organism import task

    problems = training_problems(get_preset("tiny-sums"), 300, seed=0)
    held_out = {task.make_prompt(p) for p in task.held_out_problems(300)}
    assert len({p.prompt for p in problems}) == 300
    assert not held_out & {p.prompt for p in problems}
    assert not any(task.is_test_problem(task.parse_prompt(p.prompt)) for p in problems)


def test_sampling_at_temperature_zero_is_the_guided_greedy_decode_and_sampling_is_seeded():
    from thinklogit_app.evaluation.evaluate import generate_greedy

    trio = make_trio()
    prompts = ["Q:12+34\n", "Q:56+78\n", "Q:1+2\n"]
    schedule = AlphaSchedule(alpha=1.5)
    kwargs = dict(guider=trio.guider, base=trio.base, schedule=schedule, max_new_tokens=10)
    greedy = sample_completions(trio.target, trio.tokenizer, prompts, 2, temperature=0, top_p=1.0, seed=0, **kwargs)
    reference = generate_greedy(trio.target, trio.tokenizer, prompts, **kwargs)
    assert greedy == [[text, text] for text in reference]
    sampled = [sample_completions(trio.target, trio.tokenizer, prompts, 3, temperature=1.0, top_p=0.95, seed=seed,
                                  **kwargs) for seed in (7, 7, 8)]
    assert sampled[0] == sampled[1] != sampled[2]
    assert all(len(outs) == 3 for outs in sampled[0])


HAND_PAIRS = [Pair("Q:12+34\n", "12+34=46\nA:46", "A:47", "small-correct/large-incorrect", "g", "t", "46"),
              Pair("Q:20+31\n", "20+31=51\nA:51", "A:52", "small-correct/large-incorrect", "g", "t", "51"),
              Pair("Q:45+18\n", "45+18=63\nA:63", "45+18=53\nA:53", "small-correct/small-incorrect", "g", "g", "63"),
              Pair("Q:70+22\n", "70+22=92\nA:92", "A:29", "large-correct/small-incorrect", "t", "g", "92")]


@pytest.mark.parametrize("lora", [True, False], ids=["lora", "full"])
def test_a_few_dpo_steps_raise_the_margin_over_the_reference(lora):
    trio = make_trio()
    before = preference_margins(trio.guider, trio.tokenizer, HAND_PAIRS)
    settings = DPOSettings(steps=4, batch_size=4, lora=lora, learning_rate=1e-2 if lora else 3e-3,
                           warmup_steps=0, log_every=1)
    trained, summary = train_dpo(trio.guider, trio.tokenizer, HAND_PAIRS, settings, log=lambda line: None)
    after = preference_margins(trained, trio.tokenizer, HAND_PAIRS)
    assert (after > before).all(), (before, after)
    assert torch.equal(preference_margins(trio.guider, trio.tokenizer, HAND_PAIRS), before)  # reference untouched
    assert summary["pairs"] == 4 and summary["trainable_params"] > 0
    assert type(trained).__name__ == "LlamaForCausalLM"  # LoRA merged back: a plain model


@pytest.fixture(scope="module")
def dpo_presets(tmp_path_factory):
    """A saved tiny trio, a DPO guider trained from its guider, and a presets file naming it as a variant."""
    folder = tmp_path_factory.mktemp("dpo")
    trio = make_trio()
    save_trio(trio, folder)
    trained, summary = train_dpo(trio.guider, trio.tokenizer, HAND_PAIRS,
                                 DPOSettings(steps=3, batch_size=4, learning_rate=1e-2), log=lambda line: None)
    save_guider(trained, trio.tokenizer, folder / "guider-dpo", summary)
    presets = {"default": "tiny", "presets": [{
        "name": "tiny", "target": str(folder / "target"), "guider": str(folder / "guider"),
        "base": str(folder / "base"), "variants": {"thinklogit-dpo": str(folder / "guider-dpo")},
        "defaults": {"alpha": 1.0, "schedule": "constant", "temperature": 0.0, "max_new_tokens": 12}}]}
    path = folder / "presets.json"
    path.write_text(json.dumps(presets))
    return path, trio, trained


def test_saved_dpo_guider_loads_through_the_preset_variant_and_decodes(dpo_presets):
    path, trio, trained = dpo_presets
    preset = get_preset("tiny", path)
    loaded = load_trio(preset, guider="thinklogit-dpo")
    assert loaded.info["models"]["guider"].endswith("guider-dpo")
    assert loaded.guider.config.use_cache  # saved ready for KV-cached decoding
    assert json.loads((Path(loaded.info["models"]["guider"]) / "dpo.json").read_text())["settings"]["beta"] == 0.1
    settings = DecodeSettings(alpha=1.0, schedule="constant", temperature=0, max_new_tokens=12, repeat_limit=0)
    streams = run_to_end(loaded, "Q:12+34\n", settings)
    assert len(streams["guided"].ids) >= 1
    in_memory = run_to_end(type(trio)(trio.target, trained, trio.base, trio.tokenizer), "Q:12+34\n", settings)
    assert streams["guided"].ids == in_memory["guided"].ids  # the saved weights are the trained ones
    assert streams["baseline"].ids == in_memory["baseline"].ids


def test_cli_dpo_train_writes_a_guider_that_generate_can_use(dpo_presets, tmp_path, monkeypatch, capsys):
    from thinklogit_app.cli import main

    path, _, _ = dpo_presets
    monkeypatch.setenv("THINKLOGIT_PRESETS", str(path))
    pairs = write_jsonl((p.to_dict() for p in HAND_PAIRS), tmp_path / "pairs.jsonl")
    out = tmp_path / "guider-dpo"
    assert main(["dpo", "train", "--pairs", str(pairs), "--steps", "2", "--batch-size", "2", "--full",
                 "--out", str(out)]) == 0
    assert "DPO guider saved" in capsys.readouterr().out and (out / "model.safetensors").is_file()
    assert json.loads((out / "dpo.json").read_text())["settings"]["lora"] is False
    assert main(["generate", "--prompt", "Q:12+34\n", "--guider", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["guided"]["ids"]
    assert main(["dpo", "train", "--pairs", str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err
    assert main(["dpo", "pairs", "--types", "xx"]) == 2
    assert "unknown pair type 'xx'" in capsys.readouterr().err


def test_first_difference_finds_the_fork_inside_the_completion_only():
    from thinklogit_app.dpo.first_token import first_difference

    chosen = torch.tensor([[9, 5, 1, 2, 3], [9, 5, 1, 1, 0], [9, 5, 1, 1, 1]])
    rejected = torch.tensor([[8, 5, 1, 4, 0], [9, 5, 2, 0, 0], [9, 5, 1, 1, 1]])
    completion = torch.tensor([[0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 0, 1, 1, 1]])
    assert first_difference(chosen, rejected, completion).tolist() == [3, 2, -1]  # prompt tokens ignored


def test_first_token_dpo_moves_the_fork_and_keeps_the_rest_anchored():
    """The loss touches the one token where chosen and rejected part; the KL anchor keeps
    the guider's other predictions on the chosen trace close to where they were."""
    trio = make_trio()  # seeded: each make_trio() below is this same trio, fresh
    pairs = [Pair("Q:12+34\n", "12+34=46\nA:46", "12+34+1=47\nA:47", "large-correct/large-incorrect", "t", "t", "46"),
             Pair("Q:20+31\n", "20+31=51\nA:51", "20+31+1=52\nA:52", "large-correct/large-incorrect", "t", "t", "51")]
    fork = [Pair(p.prompt + p.chosen[:5], p.chosen[5], p.rejected[5], "", "", "", "") for p in pairs]

    def fork_margins(model):  # log p('=') - log p('+') after the shared prefix, per pair
        ids = [trio.tokenizer(p.prompt).input_ids for p in fork]
        with torch.no_grad():
            logp = [model(input_ids=torch.tensor([i])).logits[0, -1].log_softmax(-1) for i in ids]
        eq, plus = trio.tokenizer.convert_tokens_to_ids(["=", "+"])
        return torch.stack([lp[eq] - lp[plus] for lp in logp])

    before = fork_margins(trio.guider)
    reference_logps = preference_margins(trio.guider, trio.tokenizer, pairs)
    results = {}
    for kl_weight in (0.0, 100.0):
        settings = DPOSettings(steps=6, batch_size=2, lora=False, learning_rate=3e-3, beta=1.0, warmup_steps=0,
                               loss_type=("first-token",), kl_weight=kl_weight, cut_rejected="char", log_every=1)
        trained, summary = train_dpo(make_trio().guider, trio.tokenizer, pairs, settings, log=lambda line: None)
        assert (fork_margins(trained) > before).all(), kl_weight
        assert "kl" in summary["last_log"] and "dpo" in summary["last_log"]
        results[kl_weight] = summary["last_log"]["kl"]
    assert results[100.0] < results[0.0]  # the anchor holds the rest of the distribution
    assert torch.equal(preference_margins(trio.guider, trio.tokenizer, pairs), reference_logps)  # reference untouched
    with pytest.raises(ValueError, match="give it alone"):
        DPOSettings(loss_type=("first-token", "sft")).validate()


def test_full_fine_tune_leaves_the_callers_guider_as_it_was():
    trio = make_trio()
    flags = [p.requires_grad for p in trio.guider.parameters()]
    settings = DPOSettings(steps=1, batch_size=2, lora=False, learning_rate=1e-3, warmup_steps=0, log_every=1)
    train_dpo(trio.guider, trio.tokenizer, HAND_PAIRS[:2], settings, log=lambda line: None)
    assert [p.requires_grad for p in trio.guider.parameters()] == flags and all(flags)


def test_guided_policy_dpo_scores_the_combination_and_trains_only_the_guider():
    """--policy guided: the first-token loss over target + alpha * (guider - base). At alpha 0
    the combination is the target alone, so the guider gets no gradient and stays as it was;
    at alpha 1 the guided combination's preference at the fork rises, target and base untouched."""
    from thinklogit_app.core.arithmetic import combine_logits
    from thinklogit_app.dpo.first_token import GuidedPolicy

    trio = make_trio()
    pairs = [Pair("Q:12+34\n", "12+34=46\nA:46", "12+34+1=47\nA:47", "large-correct/large-incorrect", "t", "t", "46"),
             Pair("Q:20+31\n", "20+31=51\nA:51", "20+31+1=52\nA:52", "large-correct/large-incorrect", "t", "t", "51")]
    eq, plus = trio.tokenizer.convert_tokens_to_ids(["=", "+"])

    def guided_fork_margins(guider):  # log p('=') - log p('+') of the guided combination at the fork
        out = []
        for p in pairs:
            ids = torch.tensor([trio.tokenizer(p.prompt + p.chosen[:5]).input_ids])
            with torch.no_grad():
                logits = combine_logits(trio.target(input_ids=ids).logits, guider(input_ids=ids).logits,
                                        trio.base(input_ids=ids).logits, 1.0)[0, -1].log_softmax(-1)
            out.append(logits[eq] - logits[plus])
        return torch.stack(out)

    settings = DPOSettings(steps=6, batch_size=2, lora=False, learning_rate=3e-3, beta=1.0, warmup_steps=0,
                           loss_type=("first-token",), policy="guided", cut_rejected="char", log_every=1)
    frozen = [p.clone() for p in trio.target.parameters()] + [p.clone() for p in trio.base.parameters()]
    before = guided_fork_margins(trio.guider)
    still, _ = train_dpo(trio.guider, trio.tokenizer, pairs, settings, log=lambda line: None,
                         guided=GuidedPolicy(trio.target, trio.base, 0.0))
    assert all(torch.equal(a, b) for a, b in zip(still.parameters(), trio.guider.parameters()))
    trained, summary = train_dpo(trio.guider, trio.tokenizer, pairs, settings, log=lambda line: None,
                                 guided=GuidedPolicy(trio.target, trio.base, 1.0))
    assert (guided_fork_margins(trained) > before).all()
    assert summary["settings"]["policy"] == "guided"
    after = list(trio.target.parameters()) + list(trio.base.parameters())
    assert all(torch.equal(a, b) for a, b in zip(frozen, after))
    with pytest.raises(ValueError, match="needs the target and base"):
        train_dpo(trio.guider, trio.tokenizer, pairs, settings, log=lambda line: None)
    with pytest.raises(ValueError, match="first-token"):
        DPOSettings(policy="guided").validate()
