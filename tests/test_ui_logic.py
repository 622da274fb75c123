"""The app's logic without a server: colour scaling, plot data, badges, export, the
settings form, Stop, and the shared model manager — on tiny random trios."""
from __future__ import annotations

import threading
import time

import pytest
import torch

from conftest import make_trio
from thinklogit_app import validation
from thinklogit_app.app import plots, views as analysis
from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.models.manager import ModelManager
from thinklogit_app.models.presets import Preset, PresetError
from thinklogit_app.app.handlers import Studio
from thinklogit_app.core.trace import StepTrace
from thinklogit_app.evaluation.record import read_run

PROMPT = "Q:12+34\n"
GREEDY = {"alpha": 1.0, "schedule": "constant", "temperature": 0.0, "top_p": 1.0, "max_new_tokens": 24}


def fake_record(step, delta, steered=False, token="7", kl=0.1, target_prob=0.2, guided_prob=0.5) -> StepTrace:
    top = [{"id": 5, "token": "1", "logit": 2.0, "prob": 0.6}, {"id": 6, "token": "2", "logit": 1.0, "prob": 0.2}]
    return StepTrace(step=step, token_id=9 if steered else 5, token=token, alpha=1.0, target_logit=1.0,
                     target_prob=target_prob, guider_logit=0.5 + delta, base_logit=0.5, delta=delta,
                     guided_logit=1.0 + delta, guided_prob=guided_prob, target_pick_id=5, target_pick="1",
                     target_pick_logit=2.0, target_pick_prob=0.6, target_pick_guider_logit=0.0,
                     target_pick_base_logit=1.0, target_pick_delta=-1.0, target_pick_guided_logit=1.0,
                     target_pick_guided_prob=0.3, steered=steered,
                     kl=kl, target_top=top, delta_up=[{"id": 9, "token": token, "delta": 2.0}],
                     delta_down=[{"id": 5, "token": "1", "delta": -1.0}], guided_top=top[::-1])



@pytest.fixture(scope="module")
def traced(endless_trio):
    settings = DecodeSettings(alpha=2.0, schedule="constant", temperature=0, max_new_tokens=24, repeat_limit=0)
    return run_to_end(endless_trio, PROMPT, settings)["guided"].records


# ---- the heatmap: probability change on a fixed scale ----

def test_heatmap_scores_are_the_prob_change_on_a_fixed_scale_and_flips_marked():
    records = [fake_record(0, 0.0, guided_prob=0.2), fake_record(1, 0.5, guided_prob=0.7),
               fake_record(2, -2.0, steered=True, target_prob=0.9, guided_prob=0.1),
               fake_record(3, 9.0, token="\n", target_prob=0.0, guided_prob=1.0),
               fake_record(4, 1.0, steered=True, token="\n", target_prob=0.25, guided_prob=0.5)]
    spans = analysis.heatmap(records)
    assert [score for _, score in spans] == [None, 0.5, -0.8, 1.0, 0.25]
    assert spans[0][0] == "7"
    assert spans[2][0] == "7▴"
    assert spans[3][0] == "↵\n"  # a newline token stays visible (and colourable)
    assert spans[4][0] == "↵▴\n"  # the mark stays on the token's line


def test_heatmap_of_a_real_trace_follows_its_probabilities(traced):
    spans = analysis.heatmap(traced)
    for (text, score), record in zip(spans, traced):
        assert (score or 0.0) == pytest.approx(record.guided_prob - record.target_prob, abs=1e-4)
        assert text.replace(analysis.STEERED_MARK, "").replace(analysis.NEWLINE_MARK, "") == record.token
        assert (analysis.STEERED_MARK in text) == (record.token_id != record.target_pick_id)


# ---- the chart ----

def test_chart_data_equals_the_trace(traced):
    assert any(r.steered for r in traced), "alpha 2 on random models should change some picks"
    fig = plots.token_chart(analysis.chart_series(traced))
    bars, kl, marks = fig.data
    assert list(bars.x) == [r.step for r in traced]
    assert list(bars.y) == [r.guided_prob - r.target_prob for r in traced]
    assert list(fig.layout.yaxis.range) == [-1.05, 1.05]  # fixed: runs at different alphas compare
    assert list(kl.y) == [r.kl for r in traced]
    assert list(marks.x) == [r.step for r in traced if r.steered]
    assert list(marks.y) == [r.guided_prob - r.target_prob for r in traced if r.steered]
    for record, hover in zip(traced, bars.hovertext):
        assert f"'{analysis.hover_token(record.token)}'" in hover and f"KL {record.kl:.3f}" in hover
        rows = hover.split("<br>")[2:]
        for row, t, g in zip(rows, record.target_top, record.guided_top, strict=True):
            assert row == (f"'{analysis.hover_token(t['token'])}' {analysis.prob_text(t['prob'])} │ "
                           f"'{analysis.hover_token(g['token'])}' {analysis.prob_text(g['prob'])}")
    assert analysis.prob_text(0.000021) == "2.1e-05" and analysis.prob_text(0.42) == "0.42"  # never a row of 0.00


def test_inspector_tables_are_the_steps_top5_numbers(traced):
    record = traced[3]
    view = Studio.inspect(traced, 3)
    assert [row[0] for row in view["target"]] == [repr(e["token"])[1:-1] for e in record.target_top]
    assert [row[1] for row in view["pushed"]] == [round(e["delta"], 4) for e in record.delta_up]
    assert [row[3] for row in view["pushed"]] == [round(e["delta"], 4) for e in record.delta_down]
    picked = [row for row in view["guided"] if row[3]]
    assert len(picked) <= 1 and (not picked or picked[0][0] == repr(record.token)[1:-1])
    assert Studio.inspect(traced, 10_000)["summary"].startswith(f"Step **{traced[-1].step}**")  # clamped
    assert "Run a prompt first" in Studio.inspect([], 0)["summary"]


def test_worked_example_uses_the_runs_real_numbers(traced):
    text = analysis.worked_example(traced)
    r = analysis.example_step(traced)
    assert r.steered and r is next(x for x in traced if x.token_id != x.target_pick_id)
    assert (f"target {r.target_logit:.3f} + {r.alpha:g} × (guider {r.guider_logit:.3f} − base {r.base_logit:.3f}) "
            f"= **{r.guided_logit:.3f}**") in text
    assert r.target_logit + r.alpha * (r.guider_logit - r.base_logit) == pytest.approx(r.guided_logit, abs=1e-4)
    assert f"target {r.target_pick_logit:.3f} + {r.alpha:g} × (guider {r.target_pick_guider_logit:.3f}" in text
    assert analysis.flip_headline(traced) in text


def test_worked_example_shows_the_targets_own_pick_term_by_term():
    text = analysis.worked_example([fake_record(0, 2.0, steered=True)])
    assert "the target's own pick `1`: target 2.000 + 1 × (guider 0.000 − base 1.000) = **1.000**" in text
    assert "chosen token `7`: target 1.000 + 1 × (guider 2.500 − base 0.500) = **3.000**" in text


def test_inspector_formula_rows_are_the_records_logits(traced):
    r = next(x for x in traced if x.steered)
    chosen, pick = Studio.inspect(traced, r.step)["formula"]
    assert chosen[1:] == [repr(r.token)[1:-1]] + [round(v, 4) for v in (
        r.target_logit, r.guider_logit, r.base_logit, r.delta, r.guided_logit, r.guided_prob)]
    assert pick[1] == repr(r.target_pick)[1:-1] and pick[5] == round(r.target_pick_delta, 4)
    assert len(Studio.inspect([fake_record(0, 1.0)], 0)["formula"]) == 1  # kept: only the chosen token


# ---- answers ----

def test_badge_grades_only_finished_streams_with_a_reference():
    solved = "Q:12+34\nA:12+34=46"
    assert analysis.answer_badge(solved, "46", done=True) | {"markdown": ""} == {"answer": "46", "correct": True, "markdown": ""}
    wrong = analysis.answer_badge("A:12+34=47", "46", done=True)
    assert wrong["correct"] is False and "incorrect" in wrong["markdown"] and "46" in wrong["markdown"]
    assert "no answer found" in analysis.answer_badge("12+34=", "46", done=True)["markdown"]
    assert analysis.answer_badge(solved, "46", done=False)["correct"] is None
    assert analysis.answer_badge(solved, None, done=True) == {"answer": None, "correct": None, "markdown": ""}
    assert analysis.answer_badge("so \\boxed{\\frac{1}{2}}", "0.5", done=True)["correct"] is True


def test_reference_comes_from_the_examples_or_the_sums_task():
    examples = [{"prompt": "Solve 1+1", "answer": 2}]
    assert analysis.reference_for("Solve 1+1", examples, "boxed") == "2"
    assert analysis.reference_for("Q:12+34+5\n", [], "sums") == "51"
    assert analysis.reference_for("hello", examples, "sums") is None


# ---- the settings form ----

@pytest.mark.parametrize("change, message", [
    ({"alpha": 3.5}, "alpha must be between 0 and 3, got 3.5"),
    ({"temperature": -0.1}, "temperature (0 = greedy) must be between 0 and 2"),
    ({"top_p": 0}, "top-p must be above 0 and at most 1"),
    ({"max_new_tokens": 0}, "max new tokens must be between 1 and 8192"),
    ({"max_new_tokens": 2.5}, "max new tokens must be a whole number"),
    ({"seed": -1}, "seed must be between 0 and 4294967295, got -1"),
    ({"seed": 10**30}, "seed must be between 0 and 4294967295, got a 31-digit number"),
    ({"alpha": True}, "alpha must be a number, got bool True"),
    ({"alpha": [1]}, "alpha must be a number, got list"),
    ({"schedule": "warmup", "schedule_n": 0}, "schedule length N must be at least 1"),
    ({"schedule": "cosine"}, "schedule must be one of constant, warmup, ramp, first"),
    ({"alpha": "lots"}, "alpha must be a number"),
])
def test_out_of_range_settings_say_what_to_fix(change, message):
    form = {"alpha": 1, "schedule": "constant", "schedule_n": 100, "temperature": 0.6, "top_p": 0.95,
            "max_new_tokens": 64, "seed": 0} | change
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validation.settings_from_form(**form)


def test_form_round_trips_the_papers_defaults():
    paper = DecodeSettings()
    form = validation.form_values(paper)
    assert form["schedule"] == "warmup" and form["schedule_n"] == 100
    assert validation.settings_from_form(**form) == paper
    hidden = validation.settings_from_form(**form, extra={"repeat_limit": 0, "alpha": 2.0})
    assert hidden.repeat_limit == 0 and hidden.alpha == paper.alpha  # the form wins over hidden extras


def test_empty_and_overlong_prompts_are_refused():
    for bad in ("", "   \n", None):
        with pytest.raises(ValueError, match="prompt is empty"):
            validation.check_prompt(bad)
    with pytest.raises(ValueError, match="shorten it"):
        validation.check_prompt("Q" * (validation.MAX_PROMPT_CHARS + 1))


# ---- the studio: models, runs, Stop, export ----

@pytest.fixture()
def studio(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    refs = {role: str(folder) for role in ("target", "guider", "base")}
    presets = [
        Preset(name="tiny", **refs, task="sums", defaults=GREEDY, default=True),
        Preset(name="long", **refs, task="sums", defaults=GREEDY | {"max_new_tokens": 4000, "repeat_limit": 0}),
        Preset(name="big", target="Qwen/Qwen2.5-32B", guider="a/b", base="a/c", requires_gpu=True),
    ]
    loads = []

    def load(preset, quantization, guider=None):
        loads.append((preset.name, quantization))
        trio = make_trio(eos_reachable=preset.name == "tiny")  # "long" never ends on its own
        for model in (trio.target, trio.guider, trio.base):  # rotary positions go on past 256: room for long runs
            model.config.max_position_embeddings = 8192
        trio.info = {"device": "cpu", "dtype": "float32", "memory_bytes": 12345}
        return trio

    manager = ModelManager(presets, load=load)
    manager.loads_log = loads
    return Studio(manager, export_dir=tmp_path / "runs")


def form_of(studio, preset=None, **change):
    return studio.preset_view(preset)["form"] | change


def test_models_load_once_are_shared_and_another_preset_loads_beside(studio):
    manager = studio.manager
    first = manager.get("tiny")
    assert manager.get("tiny", {"target": "none"}) is first and manager.loads == 1
    with manager.acquire("tiny") as held:  # a visitor's run holds the trio
        second = manager.get("long")
        assert second is not first and manager.loads == 2  # loaded beside it
        assert manager.get("tiny") is held is first and manager.loads == 2  # nothing pulled from under the run
    assert manager.loaded == "tiny"
    assert [t["preset"] for t in manager.status()["trios"]] == ["long", "tiny"]  # least recently used first
    manager.get("long")
    line = studio.status_line()
    assert "long" in line and "cpu" in line and "float32" in line and "MiB" in line and "target none" in line


def test_a_preset_that_cannot_load_here_says_so_and_keeps_the_loaded_one(studio):
    studio.manager.get("tiny")
    view = studio.preset_view("big")
    assert view["loadable"] is False and "needs a CUDA GPU" in view["why"]
    assert dict(studio.manager.choices())["big (cannot load here)"] == "big"
    with pytest.raises(PresetError, match="needs a CUDA GPU.*Still loaded: tiny"):
        studio.load("big")
    with pytest.raises(ValueError, match="quantization of the target must be one of none, 8bit, 4bit"):
        studio.load("tiny", {"target": "3bit"})
    assert studio.manager.loaded == "tiny"


def test_streamed_panels_end_with_the_engines_result_and_export_round_trips(studio, tmp_path):
    form = form_of(studio, "long", max_new_tokens=24)
    frames = list(studio.generate_panels("s", "long", None, PROMPT, form, every=0.01))
    final = frames[-1]
    assert final["done"] and all(not f["done"] for f in frames[:-1])
    record = final["record"]
    engine = run_to_end(studio.manager.get("long"), PROMPT, DecodeSettings(**record["settings"]))
    assert len(engine["guided"].ids) == 24
    assert record["baseline"]["ids"] == engine["baseline"].ids and record["guided"]["ids"] == engine["guided"].ids
    assert final["guided_text"] == engine["guided"].text and final["baseline_text"] == engine["baseline"].text
    assert record["guided"]["stop_reason"] == engine["guided"].stop_reason
    assert record["reference"] == "46" and "46" in final["guided_badge"]

    exported = next((tmp_path / "runs").glob("*.json")).read_text()
    loaded, records = read_run(exported)
    assert loaded == record
    assert records == engine["guided"].records  # every number of every step survives the round trip
    assert records == final["records"]

    replay = studio.replay(exported)  # a replay shows exactly the live run's final view
    for key, value in final.items():
        if key == "chart":
            assert replay[key].to_dict() == value.to_dict()
        elif key != "export":
            assert replay[key] == value, key


def test_stop_stops_the_generation_thread_and_run_again_works(studio):
    run, _ = studio.start("s", "long", None, PROMPT, form_of(studio, "long"))
    frames = studio.stream("s", run, every=0.02)
    for snap, _ in frames:
        if len(snap.guided.ids) >= 3:
            break
    assert studio.stop("s") is True
    assert run.finished.wait(10), "the engine's worker thread must end after Stop"
    assert run.join(5)
    last = list(frames)[-1][0]
    assert last.guided.stop_reason == "cancelled" and last.baseline.stop_reason == "cancelled"
    assert 3 <= len(last.guided.ids) < 4000
    assert studio.stop("s") is False and studio.runs.active() == 0

    again = list(studio.generate_panels("s", "long", None, PROMPT, form_of(studio, "long", max_new_tokens=5), every=0.01))
    assert again[-1]["record"]["guided"]["stop_reason"] == "max_new_tokens"
    assert len(again[-1]["record"]["guided"]["ids"]) == 5


def test_a_client_that_goes_away_stops_its_run(studio):
    frames = studio.generate_panels("gone", "long", None, PROMPT, form_of(studio, "long"), every=0.02)
    next(frames)
    cancel = studio.runs._jobs[("gone", "generate")]
    frames.close()  # what Gradio does when the client disconnects or cancels
    assert cancel.is_set() and cancel.reason == "cancelled"
    assert no_live_runs(), "the engine's worker thread must end when its client goes away"
    assert studio.runs.active() == 0 and [t["runs"] for t in studio.manager.status()["trios"]] == [0]


def no_live_runs(timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while any(t.name == "thinklogit-run" for t in threading.enumerate()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_new_run_of_the_same_session_supersedes_its_previous_one_only(studio):
    first, _ = studio.start("s", "long", None, PROMPT, form_of(studio, "long"))
    other, _ = studio.start("t", "long", None, PROMPT, form_of(studio, "long"))  # another visitor
    second, _ = studio.start("s", "long", None, PROMPT, form_of(studio, "long", max_new_tokens=4))
    assert first.finished.wait(10) and first.snapshot().guided.stop_reason == "superseded"
    assert first.snapshot().baseline.stop_reason == "superseded"
    assert second.finished.wait(10) and second.snapshot().guided.stop_reason == "max_new_tokens"
    assert not other.cancel.is_set() and not other.finished.is_set()  # the other visitor's run goes on
    assert studio.stop("t") is True and other.finished.wait(10)
    assert other.snapshot().guided.stop_reason == "cancelled"


def test_bad_inputs_are_refused_before_any_model_work(studio):
    with pytest.raises(ValueError, match="prompt is empty"):
        next(studio.generate_panels("s", "tiny", None, "  ", form_of(studio)))
    with pytest.raises(ValueError, match="alpha must be between 0 and 3"):
        next(studio.generate_json("s", "tiny", PROMPT, {"alpha": 9}))
    with pytest.raises(ValueError, match="holds 8192 positions"):
        next(studio.generate_panels("s", "tiny", None, PROMPT, form_of(studio, max_new_tokens=8190)))
    assert studio.runs.active() == 0


def test_api_json_streams_light_updates_then_the_cli_shape(studio):
    updates = list(studio.generate_json("api", "long", PROMPT, {"schedule": "warmup:3", "max_new_tokens": 8}, every=0.0))
    final = updates[-1]
    assert final["done"] and all(not u["done"] and "trace" not in u["guided"] for u in updates[:-1])
    assert final["settings"]["schedule"] == "warmup:3" and final["settings"]["max_new_tokens"] == 8
    assert [r["alpha"] for r in final["guided"]["trace"]][:4] == [0.0, 0.0, 0.0, 1.0]
    assert set(final) >= {"preset", "settings", "baseline", "guided"}
    with pytest.raises(ValueError, match="unknown setting 'beta'"):
        next(studio.generate_json("api", "tiny", PROMPT, {"beta": 1}))


# ---- evaluation ----

def test_evaluation_panels_are_generic_over_the_accuracy_keys():
    result = {"preset": "p", "n": 4, "alpha": 1.0, "seconds": 1,
              "accuracy": {"target": 0.25, "base": 0.0, "guider": 0.5, "thinklogit": 0.75, "thinklogit-dpo": 1.0},
              "alpha_sweep": {"1": 0.75, "0.5": 0.5},
              "ci95": {"target": [0.05, 0.7], "base": [0.0, 0.49], "guider": [0.15, 0.85], "thinklogit": [0.3, 0.95],
                       "thinklogit-dpo": [0.51, 1.0]}}
    view = Studio.evaluation_panels(result)
    labels = ["Target alone", "Base alone", "Guider alone", "ThinkLogit", "ThinkLogit-DPO"]
    assert [row[0] for row in view["rows"]] == labels
    assert list(view["bars"].data[0].x) == labels and list(view["bars"].data[0].y) == [0.25, 0, 0.5, 0.75, 1]
    assert list(view["bars"].data[0].error_y.arrayminus) == pytest.approx([0.2, 0, 0.35, 0.45, 0.49])
    assert list(view["sweep"].data[0].x) == [0.5, 1.0] and list(view["sweep"].data[0].y) == [0.5, 0.75]


def test_evaluate_runs_held_out_problems_with_progress(studio):
    seen = []
    result = studio.evaluate("tiny", 2, "1", progress=lambda done, total: seen.append((done, total)))
    assert result["n"] == 2 and set(result["accuracy"]) >= {"target", "guider", "thinklogit"}
    assert set(result["alpha_sweep"]) == {"1"}
    assert seen and seen[-1][0] == seen[-1][1]
    with pytest.raises(ValueError, match="number of problems must be between 1 and 500"):
        studio.evaluate("tiny", 0, "1")
    with pytest.raises(ValueError, match="each alpha of the sweep must be between 0 and 3"):
        studio.evaluate("tiny", 2, "1, 4")


def test_uncached_hub_models_load_only_where_the_hub_answers(monkeypatch):
    from thinklogit_app.models import hub as model_manager

    hub = Preset(name="hub", target="nobody/not-cached-target", guider="nobody/g", base="nobody/b")
    monkeypatch.setattr(model_manager, "hub_reachable", lambda: False)
    ok, why = model_manager.can_load(hub)
    assert not ok and "not in the local Hugging Face cache" in why
    monkeypatch.setattr(model_manager, "hub_reachable", lambda: True)
    assert model_manager.can_load(hub) == (True, "downloads from the Hugging Face Hub on first load")
    gpu = Preset(name="gpu", target="a/b", guider="a/c", base="a/d", requires_gpu=True)
    if not torch.cuda.is_available():
        assert model_manager.can_load(gpu)[0] is False  # no GPU: no download either


def test_heavy_redraws_are_throttled_while_text_streams(studio):
    frames = list(studio.generate_panels("s", "long", None, PROMPT, form_of(studio, "long", max_new_tokens=300),
                                         every=0.005, heavy_every=1000))
    assert len(frames) > 2, "the text columns refresh many times during a run"
    assert ["chart" in f for f in frames] == [False] * (len(frames) - 1) + [True]  # only the final redraw
    assert frames[-1]["heatmap"].count('data-step="') == 300


def test_only_the_newest_exports_are_kept(studio):
    from thinklogit_app.app.handlers import KEEP_EXPORTS

    paths = [studio.export({"n": i}) for i in range(KEEP_EXPORTS + 3)]
    kept = sorted(studio.export_dir.glob("*.json"))
    assert len(kept) == KEEP_EXPORTS and paths[-1] in kept and paths[0] not in kept


def test_a_missing_examples_file_means_no_examples_not_a_crash(studio):
    studio.manager.presets[0].examples = "/nonexistent/examples.json"
    assert studio.preset_view("tiny")["examples"] == []
    final = list(studio.generate_panels("s", "tiny", None, PROMPT, form_of(studio), every=0.01))[-1]
    assert final["record"]["reference"] == "46"  # the sums task still knows the answer


def test_the_token_limit_is_what_the_smallest_model_of_the_trio_holds_less_the_prompt_margin(tmp_path):
    from thinklogit_app.app.handlers import PROMPT_MARGIN

    refs = {role: str(tmp_path) for role in ("target", "guider", "base")}
    positions = {"short-guider": (4096, 512, 2048), "short-target": (300, 8192, 8192), "long": (10**5,) * 3}
    presets = [Preset(name=name, **refs, task="sums", defaults=GREEDY, default=name == "long") for name in positions]

    def load(preset, quantization, guider=None):
        trio = make_trio()
        for model, held in zip((trio.target, trio.guider, trio.base), positions[preset.name]):
            model.config.max_position_embeddings = held
        return trio

    studio = Studio(ModelManager(presets, load=load), export_dir=tmp_path / "runs")
    assert studio.token_limit("short-guider") == 512 - PROMPT_MARGIN == 480  # the guider's 512, not the target's 4096
    assert studio.token_limit("short-target") == 300 - PROMPT_MARGIN
    assert studio.token_limit("long") == validation.MAX_NEW_TOKENS  # never past the form's own limit
