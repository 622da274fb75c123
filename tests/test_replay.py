"""Replays: a recorded run (`generate --json` or the app's Download) opens as every view of a
live run without loading a model; the shipped gallery is what the embedded trio writes; a
file that is not a run is refused with one line that says why."""
from __future__ import annotations

import json

import pytest
import torch

from thinklogit_app.app import steering, views
from thinklogit_app.app.handlers import Studio
from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.evaluation.record import gallery, read_run
from thinklogit_app.models.loading import load_trio
from thinklogit_app.models.manager import ModelManager

SHIPPED = gallery()


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    def refuse(*_args, **_kw):
        raise AssertionError("a replay must not load a model")

    return Studio(ModelManager(load=refuse, swap=refuse),
                  export_dir=tmp_path_factory.mktemp("runs"))


def test_a_gallery_is_shipped_with_labels():
    assert len(SHIPPED) >= 3
    labels = [label for label, _ in SHIPPED]
    assert any("thinklogit-dpo" in label for label in labels) and any("warmup:100" in label for label in labels)
    assert all(label.startswith("Q:") and "tiny-sums" in label for label in labels)


@pytest.mark.parametrize("path", [path for _, path in SHIPPED], ids=lambda p: p.rsplit("/", 1)[-1])
def test_every_shipped_replay_shows_the_recorded_numbers_without_a_model(studio, path):
    text = open(path).read()
    record, records = read_run(text)
    view = studio.replay(text)
    assert view["done"] and view["record"] == record and view["records"] == records
    assert view["baseline_text"] == record["baseline"]["text"] and view["guided_text"] == record["guided"]["text"]
    assert view["heatmap"] == steering.heatmap_html(records)
    assert list(view["chart"].data[0].y) == [r["guided_prob"] - r["target_prob"] for r in record["guided"]["trace"]]
    assert view["headline"] == f"**The guider {record['flips']['headline']}.**"
    assert view["steps"] == len(records) - 1 and "step" in views.step_summary(records[view["focus"]]).lower()
    assert ("✔" in view["guided_badge"]) == record["answers"]["guided"]["correct"]
    card = views.run_verdict(view["record"])
    assert f"**{record['cost']['tokens']['guided']}** guided" in card


@pytest.mark.parametrize("path", [path for _, path in SHIPPED], ids=lambda p: p.rsplit("/", 1)[-1])
def test_shipped_replays_are_what_the_embedded_trio_writes(path):
    """Recorded by `python -m thinklogit_app generate --prompt ... --json`: decoding the same
    prompt with the same settings now gives the same tokens and the same trace numbers."""
    record = json.loads(open(path).read())
    torch.set_num_threads(1)
    trio = load_trio(record["preset"], guider=record.get("guider"))
    streams = run_to_end(trio, record["prompt"], DecodeSettings(**record["settings"]))
    assert streams["baseline"].ids == record["baseline"]["ids"] and streams["guided"].ids == record["guided"]["ids"]
    for got, want in zip(streams["guided"].records, read_run(json.dumps(record))[1]):
        assert got.token == want.token and got.steered == want.steered
        assert got.delta == pytest.approx(want.delta, abs=1e-4)


@pytest.mark.parametrize("text, message", [
    ("not json at all", "this file is not JSON"),
    ("[1, 2]", "is not a ThinkLogit run: it needs a \"baseline\" and a \"guided\" stream"),
    ('{"baseline": {"ids": [], "text": ""}, "guided": {"ids": [], "text": ""}}', "has no guided trace"),
    ('{"baseline": {"ids": []}, "guided": {"ids": [], "text": "", "trace": []}}', "baseline stream of this run lacks"),
    ('{"baseline": {"ids": [], "text": ""}, "guided": {"ids": [1], "text": "x", "trace": [{"step": 0}]}}',
     "step 0 of the guided trace lacks token_id"),
])
def test_a_file_that_is_not_a_run_is_refused_with_one_line(studio, text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")) as caught:
        studio.replay(text)
    assert "\n" not in str(caught.value)
