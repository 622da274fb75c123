"""Several visitors of one served app (`python app.py`, tiny presets) over gradio_client:
a visitor's choice of quantization loads beside the others and stops nobody's run; a run
ends only by its own visitor (Stop, a new run: "superseded")."""
from __future__ import annotations

import time

import pytest
from gradio_client import Client

from app_server import serve, tiny_presets

PROMPT = "Q:12+34\n"


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("visitors")
    with serve(tiny_presets(folder / "presets"), folder / "app.log", extra_env={"OMP_NUM_THREADS": "1"}) as url:
        yield url


def wait_for_tokens(job, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        updates = job.outputs()
        if updates and len(updates[-1]["guided"]["ids"]) >= count:
            return
        assert not job.done(), "the run ended before streaming"
        time.sleep(0.05)
    raise AssertionError(f"no {count} tokens streamed in {timeout} s")


def test_two_visitors_with_different_quantizations_both_finish_with_their_solo_tokens(url):
    one, two = Client(url, verbose=False), Client(url, verbose=False)
    run = {"prompt": PROMPT, "preset": "tiny-endless", "max_new_tokens": 120}
    solo = {q: one.predict(**run, quantize_target=q, api_name="/generate") for q in ("none", "4bit")}
    assert solo["none"]["guided"]["ids"] != solo["4bit"]["guided"]["ids"]  # the quantization shows
    first = one.submit(**run, quantize_target="none", api_name="/generate")
    wait_for_tokens(first, 5)
    second = two.submit(**run, quantize_target="4bit", api_name="/generate")  # the other visitor's choice
    both = {"none": first.result(timeout=300), "4bit": second.result(timeout=300)}
    for quant, final in both.items():
        assert final["guided"]["stop_reason"] == final["baseline"]["stop_reason"] == "max_new_tokens", quant
        assert final["guided"]["ids"] == solo[quant]["guided"]["ids"], quant
        assert final["baseline"]["ids"] == solo[quant]["baseline"]["ids"], quant


def test_stop_stops_only_its_own_visitors_run(url):
    one, two = Client(url, verbose=False), Client(url, verbose=False)
    theirs = two.submit(prompt=PROMPT, preset="tiny-endless", api_name="/generate")
    mine = one.submit(prompt=PROMPT, preset="tiny-endless", api_name="/generate")
    wait_for_tokens(theirs, 3)
    wait_for_tokens(mine, 3)
    assert one.predict(api_name="/stop") is True
    assert mine.result(timeout=60)["guided"]["stop_reason"] == "cancelled"
    wait_for_tokens(theirs, len(theirs.outputs()[-1]["guided"]["ids"]) + 5)  # the other visitor's run goes on
    assert two.predict(api_name="/stop") is True
    assert theirs.result(timeout=60)["guided"]["stop_reason"] == "cancelled"


def test_a_second_job_of_one_client_supersedes_its_first(url):
    one = Client(url, verbose=False)
    first = one.submit(prompt=PROMPT, preset="tiny-endless", api_name="/generate")
    wait_for_tokens(first, 3)
    second = one.submit(prompt=PROMPT, preset="tiny-endless", max_new_tokens=5, api_name="/generate")
    superseded = first.result(timeout=60)
    assert superseded["guided"]["stop_reason"] == superseded["baseline"]["stop_reason"] == "superseded"
    assert second.result(timeout=60)["guided"]["stop_reason"] == "max_new_tokens"
    assert one.predict(api_name="/stop") is False  # nothing of this visitor runs now


def status(url) -> dict:
    return Client(url, verbose=False).predict(api_name="/status")


def settles(url, timeout: float = 30.0) -> dict:
    """The server's /status once no job and no worker thread is left (or the last one seen)."""
    deadline = time.monotonic() + timeout
    while True:
        now = status(url)
        if (now["jobs"], now["workers"]) == (0, 0) or time.monotonic() > deadline:
            return now
        time.sleep(0.2)


def big_evaluation(client, n: int = 300):
    job = client.submit(n=n, alphas="1", api_name="/evaluate")  # n problems x 5 decodings, under the cap
    deadline = time.monotonic() + 60
    while not any(u.get("decoded") for u in job.outputs()):
        assert not job.done() and time.monotonic() < deadline, "the evaluation should report progress"
        time.sleep(0.1)
    return job


def test_stop_ends_this_clients_evaluation_and_leaves_no_worker(url):
    client = Client(url, verbose=False)
    job = big_evaluation(client)
    assert status(url)["workers"] >= 1
    assert client.predict(api_name="/stop") is True
    with pytest.raises(Exception, match=r"the evaluation stopped \(cancelled\): its visitor stopped it"):
        job.result(timeout=60)
    assert settles(url)["workers"] == 0


def test_an_evaluation_whose_client_goes_away_stops(url):
    import httpx

    with httpx.Client(base_url=url, timeout=60) as http:
        event = http.post("/gradio_api/call/evaluate", json={"data": ["", 300, "1"]}).json()["event_id"]
        with http.stream("GET", f"/gradio_api/call/evaluate/{event}") as stream:
            for line in stream.iter_lines():
                if '"decoded": ' in line and '"decoded": 0' not in line:
                    break  # the evaluation runs: now the client goes away
    after = settles(url)
    assert (after["jobs"], after["workers"]) == (0, 0)


def test_gradio_cancelling_an_evaluation_stops_it(url):
    job = big_evaluation(Client(url, verbose=False))
    job.cancel()
    after = settles(url)
    assert (after["jobs"], after["workers"]) == (0, 0)


def proc_status(pid: int) -> dict:
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":" in line)
    return {"threads": int(fields["Threads"]), "rss_mib": int(fields["VmRSS"].split()[0]) / 1024}


def test_thirty_start_stop_cycles_leave_threads_and_memory_flat(url):
    client = Client(url, verbose=False)

    def cycle():
        job = client.submit(prompt=PROMPT, preset="tiny-endless", api_name="/generate")
        wait_for_tokens(job, 2)
        assert client.predict(api_name="/stop") is True
        assert job.result(timeout=60)["guided"]["stop_reason"] == "cancelled"

    for _ in range(3):  # warm: gradio's and torch's thread pools reach their working size
        cycle()
    settles(url)
    before = proc_status(url.pid)
    for _ in range(30):
        cycle()
    assert settles(url)["workers"] == 0
    after = proc_status(url.pid)
    print(f"\n[cycles] 30 start/stop cycles: threads {before['threads']} -> {after['threads']}, "
          f"RSS {before['rss_mib']:.0f} -> {after['rss_mib']:.0f} MiB")
    assert after["threads"] <= before["threads"] + 2
    assert after["rss_mib"] - before["rss_mib"] < 50


def model_work() -> set[str]:
    """The handlers that run the models: the functions of the app package marked @gpu (ZeroGPU's mark)."""
    import ast
    from pathlib import Path

    import thinklogit_app.app as app_package

    names = set()
    for path in Path(app_package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(getattr(d, "id", None) == "gpu" for d in node.decorator_list):
                names.add(node.name)
    return names


def test_all_model_work_shares_one_pool_of_the_configured_size(tmp_path, monkeypatch):
    """Runs, forks, the alpha grid and evaluations, from the UI and the API, take slots of one
    pool; once every kind has been used (Gradio makes a pool as each kind's first event comes,
    at the smallest limit any member names) it still has THINKLOGIT_CONCURRENCY slots."""
    from thinklogit_app.app import ui
    from thinklogit_app.app.events import MODEL_POOL

    monkeypatch.setenv("THINKLOGIT_PRESETS", str(tiny_presets(tmp_path / "presets")))
    demo = ui.build_app(preload=False)
    work = model_work()
    assert {"run_clicked", "evaluate_clicked", "generate", "evaluate", "alphas"} <= work
    members = {fn.fn.__name__: fn for fn in demo.fns.values() if fn.fn is not None and fn.fn.__name__ in work}
    assert set(members) == work
    assert {fn.concurrency_id for fn in members.values()} == {MODEL_POOL}
    for fn in demo.fns.values():
        if fn.queue:
            demo._queue.create_event_queue_for_fn(fn)
    assert demo._queue.event_queue_per_concurrency_id[MODEL_POOL].concurrency_limit == ui.GENERATE_CONCURRENCY == 2


def test_the_named_endpoints_keep_their_names(tmp_path, monkeypatch):
    """A UI handler named like an endpoint would take its name (Gradio: /status, the API's then /status_3)."""
    from thinklogit_app.app import ui

    monkeypatch.setenv("THINKLOGIT_PRESETS", str(tiny_presets(tmp_path / "presets")))
    demo = ui.build_app(preload=False)
    public = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert public == {"generate", "evaluate", "alphas", "stop", "presets", "status", "replay", "replays"}


def test_an_evaluation_takes_a_slot_of_the_pool_so_a_third_job_waits(url):
    from gradio_client.utils import Status

    evaluator, runner, third = (Client(url, verbose=False) for _ in range(3))
    evaluation = big_evaluation(evaluator, n=500)  # 2500 decodings: it outlasts the checks below
    run = runner.submit(prompt=PROMPT, preset="tiny-endless", api_name="/generate")
    wait_for_tokens(run, 2)
    waiting = third.submit(prompt=PROMPT, max_new_tokens=3, api_name="/generate")
    deadline = time.monotonic() + 60
    while waiting.status().code not in (Status.IN_QUEUE, Status.PROCESSING, Status.FINISHED):
        assert time.monotonic() < deadline, f"the third job never reached the queue: {waiting.status()}"
        time.sleep(0.05)
    assert status(url)["jobs"] == 2 and waiting.status().code == Status.IN_QUEUE  # both slots taken
    assert evaluator.predict(api_name="/stop") is True  # the evaluation frees its slot ...
    assert waiting.result(timeout=120)["guided"]["stop_reason"] == "max_new_tokens"  # ... and the third runs
    assert runner.predict(api_name="/stop") is True
    assert run.result(timeout=60)["guided"]["stop_reason"] == "cancelled"
    with pytest.raises(Exception, match="cancelled"):
        evaluation.result(timeout=60)
    assert settles(url)["workers"] == 0
