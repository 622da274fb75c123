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


# ---- first:k and forced tokens: what one nudge sets off ----

def greedy(alpha=1.5, schedule="constant", n=16, **kw) -> DecodeSettings:
    return DecodeSettings(alpha=alpha, schedule=schedule, temperature=0.0, max_new_tokens=n, repeat_limit=0, **kw)


def test_first_k_guides_k_tokens_then_the_target_goes_on_alone(endless_trio):
    k = 3
    full = run_to_end(endless_trio, PROMPT, greedy(), streams=("guided",))["guided"]
    fork = run_to_end(endless_trio, PROMPT, greedy(schedule="first:3"), streams=("guided",))["guided"]
    assert [r.alpha for r in fork.records] == [1.5] * k + [0.0] * (len(fork.ids) - k)
    assert fork.ids[:k] == full.ids[:k]
    # after step k: exactly the target alone continuing the guided prefix
    prefix = endless_trio.tokenizer.decode(fork.ids[:k])
    alone = run_to_end(endless_trio, PROMPT + prefix, greedy(alpha=0.0, n=16 - k), streams=("baseline",))["baseline"]
    assert fork.ids[k:] == alone.ids


def test_a_forced_token_is_written_and_decoding_goes_on_from_it(endless_trio):
    full = run_to_end(endless_trio, PROMPT, greedy(), streams=("guided",))["guided"]
    step, other = 2, full.records[2].target_top[1]["id"]
    forced = run_to_end(endless_trio, PROMPT, greedy(force={step: other}), streams=("guided",))["guided"]
    assert forced.ids[:step] == full.ids[:step] and forced.ids[step] == other
    assert forced.records[step].forced and not any(r.forced for i, r in enumerate(forced.records) if i != step)
    assert step not in [f["step"] for f in flips(forced.records)]  # the visitor's doing, not the guider's
    prefix = endless_trio.tokenizer.decode(forced.ids[:step + 1])
    rest = run_to_end(endless_trio, PROMPT + prefix, greedy(n=16 - step - 1), streams=("guided",))["guided"]
    assert forced.ids[step + 1:] == rest.ids


def test_bad_forced_token_is_refused_clearly(endless_trio):
    with pytest.raises(ValueError, match="forced token id 999"):
        run_to_end(endless_trio, PROMPT, greedy(force={0: 999}), streams=("guided",))


def test_form_and_api_spell_first_k_and_forced_tokens():
    from thinklogit_app import validation

    assert validation.schedule_spec("first", 4) == "first:4"
    assert validation.parse_force("3:17, 5:2") == {3: 17, 5: 2} and validation.parse_force({"1": 4}) == {1: 4}
    with pytest.raises(ValueError, match="STEP:ID with both >= 0"):
        validation.parse_force("-1:3")
    settings = validation.settings_from_form(1.0, "first", 2, 0.0, 1.0, 8, 0, force="0:5")
    assert settings.schedule == "first:2" and settings.force == {0: 5}


def test_heatmap_html_has_one_clickable_span_per_token_coloured_on_the_fixed_scale(endless_trio):
    import re

    from thinklogit_app.app import steering

    settings = DecodeSettings(alpha=2.0, schedule="constant", temperature=0.0, max_new_tokens=12, repeat_limit=0)
    records = run_to_end(endless_trio, PROMPT, settings, streams=("guided",))["guided"].records
    page = steering.heatmap_html(records)
    assert [int(s) for s in re.findall(r'data-step="(\d+)"', page)] == [r.step for r in records]
    changes = [float(c) for c in re.findall(r'data-change="([-0-9.]+)"', page)]
    assert changes == pytest.approx([r.guided_prob - r.target_prob for r in records], abs=1e-4)
    assert page.count('class="tok flip') == len(flips(records))
    assert steering.colour(1.0) == "rgba(214,39,40,1.000)" and steering.colour(-0.5) == "rgba(31,119,180,0.500)"
