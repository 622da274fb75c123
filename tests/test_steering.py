"""What the trace says about steering, checked against independent computations:
`steered` is exactly "chosen token != the target's own top pick" (under sampling too),
each record's target / guider / base logits are the models' own, the pushed up / down
tables leave out special tokens, and the run's flip headline counts the flips."""
from __future__ import annotations

import pytest
import torch

from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.core.trace import flip_headline, flips

PROMPT = "Q:12+34+56+78\n"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_steered_is_chosen_token_against_target_pick_under_sampling(endless_trio):
    differs = 0
    for seed in range(4):
        settings = DecodeSettings(alpha=1.5, schedule="constant", temperature=1.0, top_p=1.0, max_new_tokens=30,
                                  seed=seed, repeat_limit=0)
        for r in run_to_end(endless_trio, PROMPT, settings, streams=("guided",))["guided"].records:
            assert r.steered == (r.token_id != r.target_pick_id)
            differs += r.steered != (r.guided_top[0]["id"] != r.target_pick_id)
    # sampling picked a token other than the guided top-1 somewhere: the old rule would have erred there
    assert differs > 0


@torch.no_grad()
def test_trace_logits_are_the_models_own(padded_trio):
    alpha = 1.5
    settings = DecodeSettings(alpha=alpha, schedule="constant", temperature=0.0, max_new_tokens=8, repeat_limit=0)
    records = run_to_end(padded_trio, PROMPT, settings, streams=("guided",))["guided"].records
    ids = padded_trio.tokenizer(PROMPT, return_tensors="pt").input_ids
    for r in records:  # full recompute, no cache
        t, g, b = (m(input_ids=ids).logits[0, -1] for m in (padded_trio.target, padded_trio.guider, padded_trio.base))
        pick = int(t.argmax())
        assert r.target_pick_id == pick
        for tok, (tl, gl, bl, d, gd) in ((r.token_id, (r.target_logit, r.guider_logit, r.base_logit, r.delta,
                                                      r.guided_logit)),
                                         (pick, (r.target_pick_logit, r.target_pick_guider_logit,
                                                 r.target_pick_base_logit, r.target_pick_delta,
                                                 r.target_pick_guided_logit))):
            assert (tl, gl, bl) == pytest.approx((float(t[tok]), float(g[tok]), float(b[tok])), abs=1e-4)
            assert d == pytest.approx(alpha * (gl - bl), abs=1e-4)
            assert gd == pytest.approx(tl + d, abs=1e-4)
        ids = torch.cat([ids, torch.tensor([[r.token_id]])], dim=1)


def test_pushed_tables_leave_out_special_tokens(endless_trio):
    settings = DecodeSettings(alpha=3.0, schedule="constant", temperature=0.0, max_new_tokens=12, repeat_limit=0)
    records = run_to_end(endless_trio, PROMPT, settings, streams=("guided",))["guided"].records
    tok = endless_trio.tokenizer
    never = {tok.pad_token_id, tok.bos_token_id, tok.unk_token_id}
    for r in records:
        assert not never & {e["id"] for e in r.delta_up + r.delta_down}
        assert [e["delta"] for e in r.delta_up] == sorted((e["delta"] for e in r.delta_up), reverse=True)


def test_flip_headline_counts_and_names_the_flips(endless_trio):
    settings = DecodeSettings(alpha=2.0, schedule="constant", temperature=0.0, max_new_tokens=20, repeat_limit=0)
    records = run_to_end(endless_trio, PROMPT, settings, streams=("guided",))["guided"].records
    found = flips(records)
    assert [f["step"] for f in found] == [r.step for r in records if r.token_id != r.target_pick_id]
    assert found, "alpha 2 on random models flips some tokens"
    line = flip_headline(records)
    assert line.startswith(f"flipped {len(found)} of {len(records)} tokens: step {found[0]['step']}, ")
    assert flip_headline([]) .startswith("flipped 0 of 0 tokens")
