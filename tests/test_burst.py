"""A burst of visitors larger than the queue, over real HTTP, against `python app.py` with a
queue of 8: every visitor gets its result or the queue-full message at once (never a bare
timeout), the app keeps answering /gradio_api/info and /status, serves a fresh /generate
afterwards, and no worker thread is left. Counts, not timings: two endless runs hold both
slots while the burst arrives, so exactly QUEUE requests wait and the rest are refused."""
from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from gradio_client import Client

from app_server import serve, tiny_presets

QUEUE = 8  # THINKLOGIT_QUEUE_SIZE of the served app
BURST = 40  # more than the queue plus the two slots
PROMPT = "Q:12+34\n"
GENERATE = ("prompt", "preset", "alpha", "schedule", "temperature", "top_p", "max_new_tokens", "seed",
            "quantize_target", "quantize_guider", "quantize_base", "guider", "force")  # /generate's positional order


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("burst")
    with serve(tiny_presets(folder / "presets"), folder / "app.log",
               extra_env={"OMP_NUM_THREADS": "1", "THINKLOGIT_QUEUE_SIZE": str(QUEUE)}) as url:
        yield url


def generate_data(**kw) -> list:
    values = {name: "" for name in GENERATE} | {"prompt": PROMPT, "alpha": None, "temperature": None, "top_p": None,
                                                   "max_new_tokens": 4, "seed": None} | kw
    return [values[name] for name in GENERATE]


async def join(http: httpx.AsyncClient, session: str, **kw) -> httpx.Response:
    """POST /gradio_api/call/generate as this session (its Stop is POST /gradio_api/run/stop)."""
    return await http.post("/gradio_api/call/generate", json={"data": generate_data(**kw), "session_hash": session})


async def events(http: httpx.AsyncClient, event_id: str):
    """The (event, data) pairs of a call's stream, as they come."""
    async with http.stream("GET", f"/gradio_api/call/generate/{event_id}") as stream:
        kind = None
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind in ("generating", "complete", "error"):
                yield kind, json.loads(line.removeprefix("data: "))


async def result(http: httpx.AsyncClient, event_id: str) -> tuple[str, object]:
    last = ("none", None)
    async for last in events(http, event_id):
        if last[0] != "generating":
            break
    return last


async def running(http: httpx.AsyncClient, session: str) -> asyncio.Task:
    """An endless run of `session`, once it streams (it holds one of the two slots); its result task."""
    posted = await join(http, session, preset="tiny-endless", max_new_tokens=None)
    posted.raise_for_status()
    stream = events(http, posted.json()["event_id"])
    async for kind, _ in stream:
        assert kind == "generating", kind
        break

    async def rest():
        last = ("none", None)
        async for last in stream:
            if last[0] != "generating":
                break
        return last
    return asyncio.ensure_future(rest())


async def visitor(http: httpx.AsyncClient, index: int) -> tuple[str, object]:
    """One visitor of the burst: ("result", final dict), ("refused", message) or ("failed", what)."""
    try:
        posted = await join(http, f"burst-{index}")
        if posted.status_code == 503:
            return "refused", posted.json().get("detail", "")
        posted.raise_for_status()
        return "joined", posted.json()["event_id"]
    except Exception as err:  # a timeout or a dropped connection: what the burst must never give
        return "failed", f"{type(err).__name__}: {err}"


def status(url: str) -> dict:
    answer = httpx.post(f"{url}/gradio_api/run/status", json={"data": []}, timeout=60)
    answer.raise_for_status()
    return answer.json()["data"][0]


async def burst(url: str) -> dict:
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(120),
                                 limits=httpx.Limits(max_connections=None)) as http:
        blockers = [await running(http, f"blocker-{i}") for i in range(2)]
        assert status(url)["jobs"] == 2  # both slots taken: what arrives now waits or is refused
        answers = await asyncio.gather(*(visitor(http, i) for i in range(BURST)))
        info = await http.get("/gradio_api/info")  # answered while QUEUE runs wait
        for i in range(2):  # the blockers' own Stop, never refused by the full queue
            stopped = await http.post("/gradio_api/run/stop", json={"data": [], "session_hash": f"blocker-{i}"})
            assert stopped.json()["data"] == [True], stopped.text
        ends = [await task for task in blockers]
        joined = [answer for kind, answer in answers if kind == "joined"]
        finals = await asyncio.gather(*(result(http, event_id) for event_id in joined))
    return {"answers": answers, "info": info, "blockers": ends, "finals": finals}


def test_a_burst_larger_than_the_queue_gets_results_or_the_queue_full_message(url):
    seen = asyncio.run(burst(url))
    kinds = [kind for kind, _ in seen["answers"]]
    print(f"\n[burst] {BURST} visitors, queue {QUEUE}: {kinds.count('joined')} queued, "
          f"{kinds.count('refused')} refused, {kinds.count('failed')} failed")
    assert [a for a in seen["answers"] if a[0] == "failed"] == []
    assert kinds.count("joined") == QUEUE and kinds.count("refused") == BURST - QUEUE
    for kind, message in seen["answers"]:
        if kind == "refused":
            assert "queue is full" in message and "try again" in message, message
    assert seen["info"].status_code == 200 and "/generate" in seen["info"].json()["named_endpoints"]
    for kind, final in seen["blockers"]:
        assert kind == "complete" and final[-1]["guided"]["stop_reason"] == "cancelled", (kind, final)
    for kind, final in seen["finals"]:  # every queued visitor got its whole run
        assert kind == "complete", (kind, final)
        assert final[-1]["done"] and len(final[-1]["guided"]["ids"]) == 4


def test_a_model_endpoint_cannot_be_called_past_the_queue(url):
    answer = httpx.post(f"{url}/gradio_api/run/generate", json={"data": generate_data()}, timeout=60)
    assert answer.status_code == 404 and "join the queue" in answer.text


def test_after_the_burst_the_app_serves_and_no_worker_is_left(url):
    assert httpx.get(f"{url}/gradio_api/info", timeout=60).status_code == 200
    final = Client(url, verbose=False).predict(prompt=PROMPT, max_new_tokens=3, api_name="/generate")
    assert final["done"] and len(final["guided"]["ids"]) == 3
    deadline = time.monotonic() + 30
    while (now := status(url))["jobs"] or now["workers"]:
        assert time.monotonic() < deadline, f"jobs or workers left after the burst: {now}"
        time.sleep(0.2)
