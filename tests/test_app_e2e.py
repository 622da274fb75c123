"""End to end: `python app.py` in a subprocess on a free port (a tiny random preset via
THINKLOGIT_PRESETS), driven by gradio_client through the named API endpoints."""
from __future__ import annotations

import json
import time

import pytest
from gradio_client import Client

from app_server import serve, tiny_presets
from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.evaluation.record import GALLERY
from thinklogit_app.models.presets import get_preset
from thinklogit_app.models.loading import load_trio

PROMPT = "Q:12+34\n"


@pytest.fixture(scope="module")
def presets(tmp_path_factory):
    return tiny_presets(tmp_path_factory.mktemp("app-presets"))


@pytest.fixture(scope="module")
def client(presets, tmp_path_factory):
    log = tmp_path_factory.mktemp("app-log") / "app.log"
    with serve(presets, log, extra_env={"OMP_NUM_THREADS": "1"}) as url:
        yield Client(url, verbose=False)


@pytest.fixture(scope="module")
def engine_trio(presets):
    return load_trio(get_preset("tiny-random", presets))  # one torch thread, as the served app (conftest)


def assert_same_run(served: dict, engine: dict) -> None:
    for name in ("baseline", "guided"):
        assert served[name]["ids"] == engine[name].ids
        assert served[name]["text"] == engine[name].text
        assert served[name]["stop_reason"] == engine[name].stop_reason
    trace = served["guided"]["trace"]
    assert len(trace) == len(engine["guided"].records)
    for got, want in zip(trace, (r.to_dict() for r in engine["guided"].records)):
        assert {k: got[k] for k in ("step", "token_id", "token", "target_pick_id", "steered", "alpha")} == \
               {k: want[k] for k in ("step", "token_id", "token", "target_pick_id", "steered", "alpha")}
        for key in ("target_logit", "target_prob", "delta", "guided_logit", "guided_prob", "kl"):
            assert got[key] == pytest.approx(want[key], rel=1e-4, abs=1e-5)


def test_named_endpoints_are_served(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/generate", "/evaluate", "/stop", "/presets"} <= set(endpoints)
    listed = {p["name"]: p for p in client.predict(api_name="/presets")}
    assert listed["tiny-random"]["default"] and listed["tiny-random"]["loadable"]
    assert not listed["gpu-only"]["loadable"] and "needs a CUDA GPU" in listed["gpu-only"]["status"]


@pytest.mark.parametrize("settings", [
    {},  # the preset's defaults: greedy
    {"alpha": 1.5, "schedule": "warmup:5", "temperature": 0.8, "top_p": 0.9, "seed": 7, "max_new_tokens": 30},
], ids=["preset-defaults", "sampled-warmup"])
def test_streamed_result_equals_the_engines(client, engine_trio, settings):
    job = client.submit(prompt=PROMPT, api_name="/generate", **settings)
    final = job.result()
    assert final["done"] and final["preset"] == "tiny-random"
    expected = DecodeSettings(**final["settings"])
    if settings:
        assert {k: getattr(expected, k) for k in settings} == settings
    assert_same_run(final, run_to_end(engine_trio, PROMPT, expected))


def test_a_variant_guider_streams_what_the_engine_decodes_with_it(client, presets, engine_trio):
    final = client.predict(prompt=PROMPT, guider="thinklogit-b", api_name="/generate")
    assert final["guider"] == "thinklogit-b"
    variant = load_trio(get_preset("tiny-random", presets), guider="thinklogit-b")
    settings = DecodeSettings(**final["settings"])
    assert_same_run(final, run_to_end(variant, PROMPT, settings))
    own = run_to_end(engine_trio, PROMPT, settings)
    assert final["guided"]["ids"] != own["guided"].ids and final["baseline"]["ids"] == own["baseline"].ids
    with pytest.raises(Exception, match="has no guider 'nope': choose one of default, thinklogit-b"):
        client.predict(prompt=PROMPT, guider="nope", api_name="/generate")
    assert "guider" not in client.predict(prompt=PROMPT, max_new_tokens=2, api_name="/generate")


def test_alphas_endpoint_rows_equal_separate_engine_runs(client, engine_trio):
    result = client.predict(prompt=PROMPT, alphas="0, 1.5", max_new_tokens=12, api_name="/alphas")
    assert [e["alpha"] for e in result["alphas"]] == [0.0, 1.5] and result["reference"] == "46"
    for entry in result["alphas"]:
        engine = run_to_end(engine_trio, PROMPT, DecodeSettings(alpha=entry["alpha"], schedule="constant",
                                                               temperature=0.0, max_new_tokens=12),
                            streams=("guided",))["guided"]
        assert entry["ids"] == engine.ids and entry["text"] == engine.text
        assert entry["correct"] is False and len(entry["flips"]) == sum(r.steered for r in engine.records)
    first = client.predict(prompt=PROMPT, schedule="first:2", max_new_tokens=6, api_name="/generate")
    assert [r["alpha"] for r in first["guided"]["trace"]] == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    with pytest.raises(Exception, match="at most 25 alphas"):
        client.predict(prompt=PROMPT, alphas=",".join(str(i / 10) for i in range(26)), api_name="/alphas")


def test_updates_stream_while_the_run_goes_then_stop_stops_it(client):
    started = time.perf_counter()
    job = client.submit(prompt=PROMPT, preset="tiny-endless", api_name="/generate")
    seen = []
    while len(seen) < 3:
        if job.done():
            break
        updates = job.outputs()
        if updates and len(updates[-1]["guided"]["ids"]) > len(seen[-1]["guided"]["ids"] if seen else []):
            seen.append(updates[-1])
        time.sleep(0.05)
    assert len(seen) >= 3, "the run should stream several growing updates before it ends"
    assert client.predict(api_name="/stop") is True  # this client's run
    final = job.result(timeout=30)
    elapsed = time.perf_counter() - started
    assert final["guided"]["stop_reason"] == "cancelled" and final["baseline"]["stop_reason"] == "cancelled"
    count = len(final["guided"]["ids"])
    assert count < 4000
    for update in seen:  # every streamed update is a prefix of the final streams
        assert final["guided"]["ids"][: len(update["guided"]["ids"])] == update["guided"]["ids"]
        assert final["baseline"]["ids"][: len(update["baseline"]["ids"])] == update["baseline"]["ids"]
    print(f"\n[stream] {count} guided tokens before Stop; engine {final['guided']['tokens_per_second']:.0f} tok/s, "
          f"client saw {count / elapsed:.0f} tok/s over {elapsed:.1f} s, {len(job.outputs())} updates")
    again = client.predict(prompt=PROMPT, preset="tiny-endless", max_new_tokens=6, api_name="/generate")
    assert again["guided"]["stop_reason"] == "max_new_tokens" and len(again["guided"]["ids"]) == 6


@pytest.mark.parametrize("kwargs, message", [
    ({"prompt": "  "}, "The prompt is empty"),
    ({"prompt": PROMPT, "alpha": 5.0}, "alpha must be between 0 and 3, got 5"),
    ({"prompt": PROMPT, "top_p": 1.5}, "top-p must be above 0 and at most 1"),
    ({"prompt": PROMPT, "preset": "gpu-only"}, "needs a CUDA GPU"),
    ({"prompt": PROMPT, "preset": "nope"}, "unknown preset 'nope'"),
    ({"prompt": PROMPT, "schedule": "cosine"}, "schedule must be one of"),
], ids=["empty-prompt", "alpha", "top-p", "no-gpu", "unknown-preset", "schedule"])
def test_bad_input_says_what_to_fix_and_the_app_keeps_serving(client, kwargs, message):
    with pytest.raises(Exception, match=message):
        client.predict(api_name="/generate", **kwargs)
    assert client.predict(prompt=PROMPT, max_new_tokens=2, api_name="/generate")["done"]


def test_evaluate_endpoint_returns_pass_at_1_json(client):
    result = client.predict(n=2, alphas="0.5, 1", api_name="/evaluate")
    assert result["n"] == 2 and result["preset"] == "tiny-random"
    assert {"target", "guider", "thinklogit"} <= set(result["accuracy"])
    assert set(result["alpha_sweep"]) == {"0.5", "1"}
    assert all(0 <= v <= 1 for v in result["accuracy"].values())
    assert set(result["ci95"]) == set(result["accuracy"])
    assert all(low <= result["accuracy"][name] <= high for name, (low, high) in result["ci95"].items())


def test_generate_ends_with_a_cost_block(client):
    run = client.predict(prompt=PROMPT, max_new_tokens=6, api_name="/generate")
    cost = run["cost"]
    assert cost["tokens"] == {"baseline": len(run["baseline"]["ids"]), "guided": len(run["guided"]["ids"])}
    assert cost["memory_bytes"]["guider_pair"] == cost["memory_bytes"]["guider"] + cost["memory_bytes"]["base"] > 0
    assert cost["latency_ratio"] > 0 and run["prompt"] == PROMPT


def test_replay_endpoint_opens_a_recorded_run_without_a_model(client):
    shipped = client.predict(api_name="/replays")
    assert shipped and all(s["label"].startswith("Q:") for s in shipped)
    recorded = (GALLERY / shipped[0]["name"]).read_text()
    for given in (shipped[0]["name"], recorded):  # a gallery name or the JSON text itself
        view = client.predict(run=given, api_name="/replay")
        assert view["record"] == json.loads(recorded) and view["steps"] == len(view["record"]["guided"]["trace"])
        assert f"**{view['record']['cost']['tokens']['guided']}** guided" in view["verdict"]
    with pytest.raises(Exception, match="this file is not JSON"):
        client.predict(run="{broken", api_name="/replay")
