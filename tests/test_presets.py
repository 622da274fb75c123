"""Loading through presets: local folders via from_pretrained, bitsandbytes nf4 on CPU."""
from __future__ import annotations

import json

import pytest
import torch

from conftest import make_trio, save_trio
from thinklogit_app.core.engine import DecodeSettings, run_to_end
from thinklogit_app.models.presets import Preset, PresetError, get_preset, loadable, read_presets
from thinklogit_app.models.loading import load_trio


@pytest.fixture(scope="module")
def saved_preset(tmp_path_factory) -> Preset:
    folder = tmp_path_factory.mktemp("trio")
    trio = make_trio(target_pad=8)
    save_trio(trio, folder)
    return Preset(name="saved", target=str(folder / "target"), guider=str(folder / "guider"),
                  base=str(folder / "base"))


def test_local_preset_loads_and_decodes_like_the_models_it_was_saved_from(saved_preset):
    loaded = load_trio(saved_preset)
    settings = DecodeSettings(alpha=1.0, schedule="constant", temperature=0, max_new_tokens=12, repeat_limit=0)
    original = make_trio(target_pad=8)
    assert run_to_end(loaded, "Q:12+34\n", settings)["guided"].ids == \
        run_to_end(original, "Q:12+34\n", settings)["guided"].ids
    assert loaded.info["quantization"] == {"target": "none", "guider": "none", "base": "none"}
    assert loaded.info["memory_bytes"] > 0


def test_nf4_target_loads_and_decodes_on_cpu(saved_preset):
    loaded = load_trio(saved_preset, quantization={"target": "4bit"})
    assert "Linear4bit" in type(loaded.target.model.layers[0].self_attn.q_proj).__name__
    assert loaded.target.model.layers[0].self_attn.q_proj.weight.quant_type == "nf4"
    settings = DecodeSettings(alpha=1.0, schedule="constant", temperature=0, max_new_tokens=8, repeat_limit=0)
    streams = run_to_end(loaded, "Q:12+34\n", settings)
    assert len(streams["guided"].ids) >= 1 and streams["guided"].records[0].target_prob > 0
    assert loaded.info["memory_bytes"] < load_trio(saved_preset).info["memory_bytes"]


def test_unknown_preset_and_quantization_are_refused_clearly(saved_preset):
    with pytest.raises(PresetError, match="unknown preset 'nope': choose one of"):
        get_preset("nope")
    with pytest.raises(PresetError, match="quantization of the target must be one of none, 8bit, 4bit, got '3bit'"):
        load_trio(saved_preset, quantization={"target": "3bit"})


def test_hub_preset_not_cached_says_so():
    hub = [p for p in read_presets() if p.requires_gpu]
    assert hub, "the presets file lists real hub presets"
    for preset in hub:  # on a GPU host with the models cached they load; otherwise the reason is given
        ok, why = loadable(preset)
        assert ok or ("GPU" in why or "cache" in why), why
    if not torch.cuda.is_available():
        assert not any(loadable(preset)[0] for preset in hub)
        with pytest.raises(PresetError, match="needs a CUDA GPU"):
            load_trio(hub[0].name)


def test_missing_hub_model_fails_with_a_clear_message(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # no network wait in tests
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # and the hub probe knows it at once
    preset = Preset(name="ghost", target="nobody/not-a-model", guider="nobody/not-a-model", base="nobody/not-a-model")
    with pytest.raises(PresetError, match="'nobody/not-a-model' is not a folder here nor in the Hugging Face cache, and the hub cannot be reached"):
        load_trio(preset, device="cpu")


def test_presets_file_is_valid():
    data = json.loads(open(__file__.replace("tests/test_presets.py", "assets/presets.json")).read())
    names = [p["name"] for p in data["presets"]]
    assert data["default"] in names and len(names) == len(set(names))


def test_a_variant_guider_swaps_in_alone_and_decodes_like_a_fresh_load(saved_preset, tmp_path):
    from dataclasses import replace

    from thinklogit_app.models.manager import ModelManager

    other = make_trio(target_pad=8, seeds=(0, 7, 2))  # same target and base, another guider
    other.guider.save_pretrained(tmp_path / "guider-b")
    other.tokenizer.save_pretrained(tmp_path / "guider-b")
    preset = replace(saved_preset, variants={"thinklogit-b": str(tmp_path / "guider-b")})
    manager = ModelManager([preset])
    first = manager.get("saved")
    running = manager.acquire("saved")  # a visitor's run on the preset's own guider
    swapped = manager.get("saved", None, "thinklogit-b")
    assert swapped.target is first.target and swapped.base is first.base and swapped.guider is not first.guider
    assert manager.loads == 2 and manager.get("saved", None, "thinklogit-b") is swapped
    assert running.trio is first and manager.status()["trios"][0]["runs"] == 1  # another guider stops nobody's run
    assert manager.status()["guiders_loaded"] == ["", "thinklogit-b"]
    assert "guiders loaded: the preset's, thinklogit-b" in manager.status_line()
    assert manager.status()["memory_bytes"] == first.info["memory_bytes"] + swapped.guider.get_memory_footprint()
    assert swapped.info["guider"] == "thinklogit-b" and "guider **thinklogit-b**" in manager.status_line()
    settings = DecodeSettings(alpha=1.0, schedule="constant", temperature=0, max_new_tokens=12, repeat_limit=0)
    fresh = load_trio(preset, guider="thinklogit-b")
    ids = run_to_end(swapped, "Q:12+34\n", settings)["guided"].ids
    assert ids == run_to_end(fresh, "Q:12+34\n", settings)["guided"].ids == \
        run_to_end(other, "Q:12+34\n", settings)["guided"].ids
    assert ids != run_to_end(first, "Q:12+34\n", settings)["guided"].ids  # the choice changed the guided stream
    assert manager.get("saved", None, "default") is first and manager.loads == 2  # both guiders stay loaded
    assert manager.variant_guiders("saved") == {"thinklogit-b": swapped.guider}  # evaluation reuses it, no reload
    assert manager.loads == 2 and manager.status()["guider"] == ""  # and the guider in use is still the own one
    manager.get("saved", {"target": "4bit"})  # other models load beside the ones a run holds
    assert manager.status()["guiders_loaded"] == [""] and manager.loads == 3
    assert [(t["quantization"]["target"], t["runs"]) for t in manager.status()["trios"]] == [("none", 1), ("4bit", 0)]
    assert manager.get("saved", None, "thinklogit-b") is swapped and manager.loads == 3
    running.release()
    with pytest.raises(PresetError, match="has no guider 'nope': choose one of default, thinklogit-b"):
        manager.get("saved", None, "nope")
    assert [value for _, value in manager.guiders(preset)] == ["", "thinklogit-b"]
