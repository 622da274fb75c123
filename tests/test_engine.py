"""Equivalence tests of the decoding engine against independent computations."""
from __future__ import annotations

import threading

import pytest
import torch

from conftest import char_tokenizer, make_trio, tiny_llama
from thinklogit_app.core.arithmetic import AlphaSchedule, combine_logits
from thinklogit_app.core.compat import IncompatibleModelsError, check_compatible
from thinklogit_app.core.engine import DecodeSettings, decode, run_to_end
from thinklogit_app.core.processor import ThinkLogitProcessor
from thinklogit_app.core.trio import Trio

PROMPT = "Q:12+34+56+78\n"


def greedy(alpha=1.0, schedule="constant", n=24, **kw) -> DecodeSettings:
    return DecodeSettings(alpha=alpha, schedule=schedule, temperature=0.0, top_p=1.0,
                          max_new_tokens=n, repeat_limit=0, **kw)


def prompt_ids(trio, prompt=PROMPT):
    return trio.tokenizer(prompt, return_tensors="pt").input_ids


@torch.no_grad()
def full_recompute_guided(trio, prompt, alpha, n):
    """Guided greedy decoding with no cache at all: every step re-runs the whole sequence."""
    ids = prompt_ids(trio, prompt)
    out = []
    for _ in range(n):
        logits = [m(input_ids=ids).logits[:, -1, :] for m in (trio.target, trio.guider, trio.base)]
        token = combine_logits(*logits, alpha).argmax(-1)
        out.append(int(token))
        if int(token) in trio.eos_ids:
            break
        ids = torch.cat([ids, token.view(1, 1)], dim=1)
    return out


def test_kv_cached_guided_equals_full_recompute(padded_trio):
    streams = run_to_end(padded_trio, PROMPT, greedy(alpha=1.5, n=20), streams=("guided",))
    assert streams["guided"].ids == full_recompute_guided(padded_trio, PROMPT, 1.5, 20)


def test_alpha_zero_guided_equals_baseline_equals_generate(trio):
    streams = run_to_end(trio, PROMPT, greedy(alpha=0.0, n=24))
    reference = trio.target.generate(prompt_ids(trio), max_new_tokens=24, do_sample=False)
    expected = reference[0, prompt_ids(trio).shape[1]:].tolist()
    assert streams["baseline"].ids == expected
    assert streams["guided"].ids == expected


def test_alpha_zero_sampling_streams_are_identical_and_seeded(trio):
    settings = DecodeSettings(alpha=0.0, schedule="constant", temperature=0.9, top_p=0.9,
                              max_new_tokens=20, seed=7, repeat_limit=0)
    first = run_to_end(trio, PROMPT, settings)
    again = run_to_end(trio, PROMPT, settings)
    assert first["baseline"].ids == first["guided"].ids
    assert again["guided"].ids == first["guided"].ids
    other_seed = run_to_end(trio, PROMPT, DecodeSettings(**{**settings.to_dict(), "seed": 8}))
    assert other_seed["guided"].ids != first["guided"].ids


@pytest.mark.parametrize("schedule", ["constant", "warmup:3", "ramp:4"])
def test_processor_inside_generate_equals_engine(padded_trio, schedule):
    settings = greedy(alpha=1.0, schedule=schedule, n=16)
    engine_ids = run_to_end(padded_trio, PROMPT, settings, streams=("guided",))["guided"].ids
    proc = ThinkLogitProcessor(padded_trio.guider, padded_trio.base, settings.alpha_schedule())
    out = padded_trio.target.generate(prompt_ids(padded_trio), max_new_tokens=16, do_sample=False,
                                      logits_processor=[proc])
    assert out[0, prompt_ids(padded_trio).shape[1]:].tolist() == engine_ids
    # a fresh processor per call gives the same tokens; reusing one is refused, not silently reset
    fresh = ThinkLogitProcessor(padded_trio.guider, padded_trio.base, settings.alpha_schedule())
    again = padded_trio.target.generate(prompt_ids(padded_trio), max_new_tokens=16, do_sample=False,
                                        logits_processor=[fresh])
    assert again.tolist() == out.tolist()
    with pytest.raises(ValueError, match="one processor per generate call"):
        padded_trio.target.generate(prompt_ids(padded_trio), max_new_tokens=4, do_sample=False,
                                    logits_processor=[proc])


def test_processor_refuses_beam_search_and_undeclared_batches(padded_trio):
    ids = prompt_ids(padded_trio)
    proc = ThinkLogitProcessor(padded_trio.guider, padded_trio.base, 1.0)
    with pytest.raises(ValueError, match="batch of 2 rows"):
        padded_trio.target.generate(ids.repeat(2, 1), max_new_tokens=4, do_sample=False, logits_processor=[proc])
    beams = ThinkLogitProcessor(padded_trio.guider, padded_trio.base, 1.0, unpadded_rows=True)
    with pytest.raises(ValueError, match="no beam search"):
        padded_trio.target.generate(ids, max_new_tokens=6, num_beams=3, do_sample=False, logits_processor=[beams])
    rows = ThinkLogitProcessor(padded_trio.guider, padded_trio.base, 1.0, unpadded_rows=True)
    out = padded_trio.target.generate(ids.repeat(2, 1), max_new_tokens=6, do_sample=False, logits_processor=[rows])
    assert out[0].tolist() == out[1].tolist()


def test_side_by_side_equals_two_separate_runs(trio):
    settings = DecodeSettings(alpha=1.0, schedule="constant", temperature=0.8, top_p=0.95,
                              max_new_tokens=30, seed=3, repeat_limit=0)
    both = run_to_end(trio, PROMPT, settings)
    alone_base = run_to_end(trio, PROMPT, settings, streams=("baseline",))
    alone_guided = run_to_end(trio, PROMPT, settings, streams=("guided",))
    assert both["baseline"].ids == alone_base["baseline"].ids
    assert both["guided"].ids == alone_guided["guided"].ids
    # batched and single-row matmuls differ in the last float bits only
    for joint, alone in zip(both["guided"].records, alone_guided["guided"].records):
        assert joint.target_logit == pytest.approx(alone.target_logit, abs=1e-4)
        assert joint.delta == pytest.approx(alone.delta, abs=1e-4)
        assert [e["id"] for e in joint.guided_top] == [e["id"] for e in alone.guided_top]


@pytest.mark.parametrize("first", ["baseline", "guided"])
def test_either_stream_may_finish_first_and_the_other_goes_on(first):
    trio = make_trio(eos_reachable=False)
    settings = greedy(alpha=2.0, n=16)
    free = run_to_end(trio, PROMPT, settings)
    other = "guided" if first == "baseline" else "baseline"
    # declare as EOS a token the first stream writes early and the other never writes
    stop_at, eos = next((j, t) for j, t in enumerate(free[first].ids) if t not in free[other].ids)
    trio.target.generation_config.eos_token_id = eos
    ended = run_to_end(trio, PROMPT, settings)
    assert ended[first].stop_reason == "eos" and ended[first].ids == free[first].ids[: stop_at + 1]
    assert ended[other].stop_reason == "max_new_tokens" and ended[other].ids == free[other].ids


def test_padded_vocab_combines_over_common_width():
    target = torch.tensor([[1.0, 2.0, 3.0, 9.0]])
    guider = torch.tensor([[0.0, 4.0, 0.0]])
    base = torch.tensor([[1.0, 0.0, 0.0]])
    guided = combine_logits(target, guider, base, 0.5)
    assert guided.tolist() == [[0.5, 4.0, 3.0, 9.0]]
    assert target.tolist() == [[1.0, 2.0, 3.0, 9.0]]  # inputs untouched


def test_padded_trio_trace_delta_is_alpha_times_guider_minus_base(padded_trio):
    streams = run_to_end(padded_trio, PROMPT, greedy(alpha=0.7, n=3), streams=("guided",))
    ids = prompt_ids(padded_trio)
    with torch.no_grad():
        g = padded_trio.guider(input_ids=ids).logits[0, -1]
        b = padded_trio.base(input_ids=ids).logits[0, -1]
        t = padded_trio.target(input_ids=ids).logits[0, -1]
    first = streams["guided"].records[0]
    assert t.shape[0] == g.shape[0] + 8
    assert first.delta == pytest.approx(0.7 * float(g[first.token_id] - b[first.token_id]), abs=1e-4)
    assert first.target_logit == pytest.approx(float(t[first.token_id]), abs=1e-4)
    assert first.target_pick_id == int(t.argmax())
    pick = first.target_pick_id
    assert first.target_pick_delta == pytest.approx(0.7 * float(g[pick] - b[pick]), abs=1e-4)


def test_incompatible_tokenizers_are_refused_naming_the_id():
    target_tok = char_tokenizer()
    swapped = list("0123456789+=:\nQA")
    swapped[0], swapped[1] = "1", "0"
    guider_tok = char_tokenizer(swapped)
    with pytest.raises(IncompatibleModelsError, match=r"id 4 to '1'.*maps it to '0'"):
        check_compatible(target_tok, guider_tok, target_tok)
    v = len(target_tok)
    with pytest.raises(IncompatibleModelsError):
        Trio.checked(tiny_llama(v, 0), tiny_llama(v, 1), tiny_llama(v, 2), target_tok, guider_tok, target_tok)


def test_smaller_tokenizer_is_compatible_over_common_ids():
    full = char_tokenizer()
    shorter = char_tokenizer(list("0123456789+=:\nQ"))
    assert check_compatible(full, shorter, full).common_ids == len(shorter)


def test_cancel_stops_within_one_step(endless_trio):
    trio = endless_trio
    cancel = threading.Event()
    steps = []
    for step in decode(trio, PROMPT, greedy(n=200), cancel=cancel):
        steps.append(step)
        if step.step == 4:
            cancel.set()
    assert len(steps) == 5
    assert steps[-1].baseline.stop_reason == "cancelled"
    assert steps[-1].guided.stop_reason == "cancelled"
    assert len(steps[-1].guided.ids) == 5


def test_stop_reasons_max_tokens_repetition_eos(endless_trio):
    capped = run_to_end(endless_trio, PROMPT, greedy(n=5))
    assert {s.stop_reason for s in capped.values()} == {"max_new_tokens"}
    assert all(len(s.ids) == 5 for s in capped.values())
    # a target that always says the same character stops after 10 identical tokens
    looping = make_trio()
    with torch.no_grad():
        looping.target.lm_head.weight.zero_()  # all logits 0 -> argmax picks id 0 every time
    rep = run_to_end(looping, PROMPT, DecodeSettings(alpha=0.0, schedule="constant", temperature=0,
                                                     max_new_tokens=50, repeat_limit=10), streams=("baseline",))
    assert rep["baseline"].stop_reason == "repetition" and len(rep["baseline"].ids) == 10
    eos_trio = make_trio()
    with torch.no_grad():
        eos_trio.target.lm_head.weight.zero_()
        eos_trio.target.model.norm.weight.zero_()
    eos = eos_trio.tokenizer.eos_token_id
    eos_trio.target.generation_config.eos_token_id = [eos, 0]  # id 0 wins every argmax tie
    ended = run_to_end(eos_trio, PROMPT, greedy(alpha=0.0, n=50), streams=("baseline",))
    assert ended["baseline"].stop_reason == "eos" and ended["baseline"].ids == [0]


def test_trace_is_json_serialisable_and_consistent(trio):
    import json

    streams = run_to_end(trio, PROMPT, greedy(alpha=1.0, n=6))
    data = json.loads(json.dumps({k: v.to_dict() for k, v in streams.items()}))
    trace = data["guided"]["trace"]
    assert [r["token_id"] for r in trace] == streams["guided"].ids
    for record in trace:
        assert record["guided_top"][0]["id"] == record["token_id"]  # greedy picks the guided top-1
        assert record["steered"] == (record["target_pick_id"] != record["token_id"])
        assert record["kl"] >= 0
        assert len(record["target_top"]) == 5
    assert [t["token_id"] for t in data["baseline"]["tokens"]] == streams["baseline"].ids


def test_bad_settings_and_prompts_raise_clear_errors(trio):
    with pytest.raises(ValueError, match="empty"):
        run_to_end(trio, "   ", greedy())
    with pytest.raises(ValueError, match="the target holds 256 positions"):
        run_to_end(trio, "1" * 250, greedy(n=10))
    with pytest.raises(ValueError, match="top-p"):
        run_to_end(trio, PROMPT, DecodeSettings(top_p=0))
    with pytest.raises(ValueError, match="schedule"):
        AlphaSchedule.parse("warmup")
    with pytest.raises(ValueError, match="unknown schedule"):
        AlphaSchedule.parse("cosine:3")


def test_schedules():
    assert [AlphaSchedule.parse("warmup:2", 1.5).at(i) for i in range(4)] == [0, 0, 1.5, 1.5]
    assert [AlphaSchedule.parse("ramp:4", 2.0).at(i) for i in range(5)] == [0.5, 1.0, 1.5, 2.0, 2.0]
    assert AlphaSchedule.parse("constant", 0.5).at(100) == 0.5


def test_keep_rows_indexes_each_cache_layer_on_its_own_device():
    """A target split by device_map="auto" has cache layers on several devices; the kept-rows
    index must live on each layer's device (here one layer on "meta" stands for a second GPU)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    from thinklogit_app.core.forward import keep_rows

    class StrictLayer(DynamicLayer):  # what a CUDA tensor does with an index on another device
        def batch_select_indices(self, indices):
            assert indices.device == self.keys.device, f"index on {indices.device}, layer on {self.keys.device}"
            super().batch_select_indices(indices)

    cache = DynamicCache()
    for layer_idx, device in enumerate(("cpu", "meta")):
        keys = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5).to(device)
        cache.update(keys, keys.clone(), layer_idx)
    for layer in cache.layers:
        layer.__class__ = StrictLayer
    keep_rows(cache, [1])
    assert [tuple(layer.keys.shape) for layer in cache.layers] == [(1, 3, 4, 5)] * 2
    assert [layer.keys.device.type for layer in cache.layers] == ["cpu", "meta"]
    assert torch.equal(cache.layers[0].keys[0], torch.arange(60, 120, dtype=torch.float32).reshape(3, 4, 5))
