"""Many visitors, one set of loaded models (models/manager.py): trios load beside each other
within the memory budget, the least recently used idle one is freed first, a run's lease
keeps its trio loaded, and a request that does not fit waits (bounded, stoppable) — nobody's
run is ever cancelled for another's choice. Real tiny trios loaded from disk."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from conftest import make_trio, save_trio
from thinklogit_app.core.cancel import Cancel, Cancelled
from thinklogit_app.models.budget import estimate, memory_budget
from thinklogit_app.models.manager import ModelManager
from thinklogit_app.models.presets import Preset, PresetError


@pytest.fixture(scope="module")
def presets(tmp_path_factory) -> list[Preset]:
    folder = tmp_path_factory.mktemp("sharing")
    save_trio(make_trio(), folder)
    refs = {role: str(folder / role) for role in ("target", "guider", "base")}
    return [Preset(name=name, **refs, default=name == "a") for name in ("a", "b", "c")]


@pytest.fixture(scope="module")
def trio_bytes(presets) -> int:
    manager = ModelManager(presets)
    manager.get("a")
    return manager.status()["memory_bytes"]


def test_the_estimate_from_disk_is_the_loaded_size(presets, trio_bytes):
    assert estimate(presets[0], {}, presets[0].guider) == pytest.approx(trio_bytes, rel=0.05)


def test_the_budget_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("THINKLOGIT_MEMORY_BUDGET", "1.5")
    assert memory_budget() == int(1.5 * 2**30)
    monkeypatch.setenv("THINKLOGIT_MEMORY_BUDGET", "lots")
    with pytest.raises(ValueError, match="THINKLOGIT_MEMORY_BUDGET must be a number of GiB"):
        memory_budget()


def test_trios_load_beside_each_other_and_the_least_recently_used_idle_one_goes_first(presets, trio_bytes):
    manager = ModelManager(presets, memory_budget=int(2.5 * trio_bytes))  # room for two
    a = manager.get("a")
    manager.get("b")
    assert manager.get("a") is a  # a is now the most recently used
    manager.get("c")  # no room for three: b, idle and least recently used, is freed
    assert [t["preset"] for t in manager.status()["trios"]] == ["a", "c"] and manager.loads == 3
    assert manager.get("a") is a and manager.loads == 3
    assert "trios loaded: c (none/none/none, 0 running); a (none/none/none, 0 running)" in manager.status_line()
    assert "nobody's run is ever stopped for another's choice" in manager.status_line()


def test_a_leased_trio_is_never_freed_and_a_request_that_does_not_fit_waits_for_it(presets, trio_bytes):
    manager = ModelManager(presets, memory_budget=int(1.5 * trio_bytes), wait_s=30)  # room for one
    lease = manager.acquire("a")  # a visitor's run
    got = {}
    waiter = threading.Thread(target=lambda: got.setdefault("b", manager.get("b")))
    waiter.start()
    waiter.join(1.0)
    assert waiter.is_alive() and "b" not in got  # waits: the run keeps its models
    assert [t["preset"] for t in manager.status()["trios"]] == ["a"]
    lease.release()  # the run ends
    waiter.join(30)
    assert not waiter.is_alive() and [t["preset"] for t in manager.status()["trios"]] == ["b"]
    lease.release()  # a second release is a no-op
    assert manager.status()["trios"][0]["runs"] == 0


def test_the_wait_is_bounded_and_its_own_stop_ends_it(presets, trio_bytes):
    manager = ModelManager(presets, memory_budget=int(1.5 * trio_bytes), wait_s=0.5)
    with manager.acquire("a"):
        with pytest.raises(PresetError, match=r"waited 0.5 s for memory to load b \(none/none/none\): .* held by "
                                              r"running visitors \(a \(none/none/none\): 1 run\(s\)\)"):
            manager.get("b")
        manager.wait_s = 30
        cancel = Cancel()
        threading.Timer(0.3, cancel.set, args=("superseded",)).start()
        with pytest.raises(Cancelled, match=r"the wait for memory stopped \(superseded\)"):
            manager.acquire("b", cancel=cancel)
    assert [t["preset"] for t in manager.status()["trios"]] == ["a"]


def test_a_guider_choice_loads_only_the_guider_beside_a_running_trio(presets, tmp_path):
    other = make_trio(seeds=(0, 7, 2))
    other.guider.save_pretrained(tmp_path / "guider-b")
    other.tokenizer.save_pretrained(tmp_path / "guider-b")
    preset = replace(presets[0], variants={"thinklogit-b": str(tmp_path / "guider-b")})
    manager = ModelManager([preset])
    with manager.acquire("a") as own:
        variant = manager.get("a", None, "thinklogit-b")
        assert variant.target is own.target and variant.guider is not own.guider
        assert manager.status()["guiders_loaded"] == ["", "thinklogit-b"] and manager.loads == 2
