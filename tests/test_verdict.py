"""How much better, and at what cost: Wilson intervals of every accuracy column, alpha 0 in
the sweep (= the target alone), the cost block of a run, and the verdict cards built from them."""
from __future__ import annotations

import pytest

from conftest import make_trio
from thinklogit_app.app import views
from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.evaluation.cost import model_bytes, run_cost
from thinklogit_app.evaluation.record import run_record
from thinklogit_app.evaluation.evaluate import DEFAULT_ALPHAS, EvalItem, evaluate, wilson_interval

ENDLESS = dict(alpha=1.0, schedule="constant", temperature=0.0, max_new_tokens=16, repeat_limit=0)



@pytest.fixture(scope="module")
def trio():
    return make_trio()


@pytest.mark.parametrize("correct, n, expected", [
    (0, 50, [0.0, 0.0714]),      # never empty at 0%
    (50, 50, [0.9286, 1.0]),     # nor at 100%
    (41, 50, [0.692, 0.9023]),   # 82% of 50
    (18, 20, [0.699, 0.9721]),   # the "90% at n=20"
])
def test_wilson_interval_known_values(correct, n, expected):
    assert wilson_interval(correct, n) == pytest.approx(expected, abs=1e-4)


def test_wilson_interval_refuses_impossible_counts():
    with pytest.raises(ValueError, match="0 <= correct <= n"):
        wilson_interval(3, 2)


def test_evaluation_carries_ci95_per_column_and_alpha_zero_is_the_target_alone(trio):
    items = [EvalItem(f"Q:{a}+{b}\n", str(a + b)) for a, b in ((12, 34), (5, 6), (70, 8), (9, 9))]
    result = evaluate(trio.target, trio.guider, trio.base, trio.tokenizer, items, max_new_tokens=8,
                      schedules=(), extra_guiders={"thinklogit-dpo": trio.guider})
    assert 0.0 in DEFAULT_ALPHAS and "0" in result.alpha_sweep
    assert result.columns["alpha=0"].outputs == result.columns["target"].outputs  # alpha 0 == target, token for token
    out = result.to_json()
    assert set(out["ci95"]) == set(out["accuracy"]) and set(out["alpha_sweep_ci95"]) == set(out["alpha_sweep"])
    for name, value in out["accuracy"].items():
        assert out["ci95"][name] == wilson_interval(round(value * result.n), result.n)
        assert out["ci95"][name][0] <= value <= out["ci95"][name][1]
    assert out["labels"]["target"] == "Target alone" and out["labels"]["thinklogit-dpo"] == "ThinkLogit-DPO"


def test_cost_block_counts_each_streams_own_forward_passes():
    trio = make_trio(eos_reachable=False)  # both streams write all 16 tokens
    settings = DecodeSettings(**ENDLESS)
    streams = run_to_end(trio, "Q:12+34\n", settings)
    baseline, guided = streams["baseline"].to_dict(), streams["guided"].to_dict()
    cost = run_cost(baseline, guided, model_bytes(trio))
    assert cost["tokens"] == {"baseline": len(baseline["ids"]), "guided": len(guided["ids"])}
    for stream in (baseline, guided):
        assert 0 < stream["prefill_seconds"] < stream["forward_seconds"]
    # the guided stream pays every target pass the baseline pays plus the guider pair's
    assert len(guided["ids"]) == len(baseline["ids"]) == 16
    assert guided["forward_seconds"] > baseline["forward_seconds"]
    assert guided["prefill_seconds"] > baseline["prefill_seconds"]
    assert cost["memory_bytes"] == {
        "target": trio.target.get_memory_footprint(), "guider": trio.guider.get_memory_footprint(),
        "base": trio.base.get_memory_footprint(),
        "guider_pair": trio.guider.get_memory_footprint() + trio.base.get_memory_footprint()}
    # guided tokens cost their target pass plus the guider pair's, on the same steps
    assert 0 < guided["guider_seconds"] < guided["forward_seconds"] and baseline["guider_seconds"] == 0
    target_part = guided["forward_seconds"] - guided["guider_seconds"]
    assert cost["latency_ratio"] == pytest.approx(guided["forward_seconds"] / target_part, rel=1e-3)
    assert cost["latency_ratio"] > 1


def test_cost_of_a_one_token_answer_has_no_latency_per_token():
    cost = run_cost({"ids": [4], "forward_seconds": 0.2, "prefill_seconds": 0.2},
                    {"ids": [4, 5, 6], "forward_seconds": 0.9, "prefill_seconds": 0.3})
    assert cost["seconds_per_token"] == {"baseline": None, "guided": 0.3}
    assert cost["latency_ratio"] is None  # a record without the guider pair's seconds
    assert "memory_bytes" not in cost


RESULT = {"preset": "tiny-sums", "n": 50, "alpha": 1.0,
          "accuracy": {"target": 0.0, "base": 0.0, "guider": 0.0, "thinklogit": 0.82, "thinklogit-dpo": 0.8},
          "ci95": {"target": [0.0, 0.0714], "base": [0.0, 0.0714], "guider": [0.0, 0.0714],
                   "thinklogit": [0.6921, 0.9023], "thinklogit-dpo": [0.6696, 0.8876]},
          "step_lines": {"target": 0.0, "base": 0.02, "guider": 1.0, "thinklogit": 1.0, "thinklogit-dpo": 1.0}}


def test_evaluation_verdict_names_the_gain_and_whether_the_intervals_part():
    line = views.evaluation_verdict(RESULT)
    assert line.startswith("**ThinkLogit** 82% [69%–90%] vs **Target alone** 0% [0%–7%] on 50 held-out problems")
    assert "**+82 points**" in line and "do not overlap" in line
    close = RESULT | {"accuracy": RESULT["accuracy"] | {"target": 0.78}, "ci95": RESULT["ci95"] | {"target": [0.6, 0.9]}}
    assert "+4 points" in views.evaluation_verdict(close) and "overlap, so evaluate more" in views.evaluation_verdict(close)


def test_evaluation_rows_say_why_each_column_scores_what_it_does():
    rows = {row[0]: row for row in views.evaluation_rows(RESULT)}
    assert list(rows) == ["Target alone", "Base alone", "Guider alone", "ThinkLogit", "ThinkLogit-DPO"]
    assert rows["ThinkLogit"][1:3] == ["82.0%", "69.2%–90.2%"]
    assert "knows the format" in rows["Guider alone"][3] and "100%" in rows["Guider alone"][3]
    assert "0% of its answers" in rows["Target alone"][3]
    markdown = views.evaluation_markdown(RESULT, "ja")
    assert "ガイダー単体" in markdown and "書式は知っている" in markdown and "ポイント" in markdown


def test_run_verdict_card_shows_answers_and_the_cost_from_the_record():
    trio = make_trio(eos_reachable=False)
    settings = DecodeSettings(**ENDLESS)
    streams = run_to_end(trio, "Q:12+34\n", settings)
    record = run_record("Q:12+34\n", "tiny", settings, streams["baseline"].to_dict(), streams["guided"].to_dict(), "46",
                              memory=model_bytes(trio))
    card = views.run_verdict(record)
    cost = record["cost"]
    assert f"**{cost['tokens']['guided']}** guided vs **{cost['tokens']['baseline']}** target alone" in card
    assert f"**{cost['latency_ratio']:.2f}×**" in card
    assert f"{cost['memory_bytes']['guider_pair']:,} vs {cost['memory_bytes']['target']:,} bytes" in card
    assert "Reference answer `46`" in card
    assert "判定" in views.run_verdict(record, "ja") and "コスト" in views.run_verdict(record, "ja")
    assert views.run_verdict(None).startswith("_Run a prompt")
