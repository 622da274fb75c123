"""The app's door (thinklogit_app/app/admission.py) on a stand-in ASGI app: the page, /config
and /gradio_api/info computed once per address, a full queue refused at once with what to do,
a new session's state built off the event loop before the app sees the join."""
from __future__ import annotations

import asyncio
import json
import threading

import httpx

from thinklogit_app.app.admission import CACHE_ENTRIES, Admission


class Queue(list):
    def __init__(self, max_size):
        super().__init__()
        self.max_size = max_size


class StateHolder(dict):
    """Records where each session's state was built: on a thread with a running event loop or not."""

    def __init__(self):
        super().__init__()
        self.built_on_loop = []

    def __getitem__(self, session):
        if session not in self:
            try:
                asyncio.get_running_loop()
                self.built_on_loop.append(True)
            except RuntimeError:
                self.built_on_loop.append(False)
            self[session] = threading.current_thread().name
        return dict.__getitem__(self, session)


class Blocks:
    def __init__(self, max_size=4):
        self._queue = Queue(max_size)
        self.state_holder = StateHolder()
        self.auth = None


class App:
    """What the middleware wraps: counts calls, echoes what it got; /config takes a while."""

    def __init__(self, blocks):
        self.blocks, self.calls, self.bodies = blocks, [], []

    async def __call__(self, scope, receive, send):
        self.calls.append(scope["path"])
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        if scope["path"].endswith("/join") or "/call/" in scope["path"]:
            session = json.loads(body).get("session_hash") if body.startswith(b"{") else None
            content = json.dumps({"state": dict.get(self.blocks.state_holder, session)}).encode()
        else:
            await asyncio.sleep(0.05)  # the other requests of the burst arrive meanwhile
            content = json.dumps({"path": scope["path"], "n": len(self.calls)}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": content})


def served(blocks=None):
    blocks = blocks or Blocks()
    app = App(blocks)
    return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=Admission(app, blocks=blocks)),
                                  base_url="http://studio")


def test_a_burst_of_config_requests_computes_it_once():
    async def go():
        app, http = served()
        async with http:
            answers = await asyncio.gather(*(http.get("/config") for _ in range(20)),
                                           *(http.get("/gradio_api/info/") for _ in range(20)),
                                           *(http.get("/") for _ in range(5)), http.get("/?view=api"))
            later = await http.get("/config")
            proxied = await http.get("/config", headers={"x-forwarded-host": "space.example"})
        return app, answers, later, proxied

    app, answers, later, proxied = asyncio.run(go())
    assert app.calls.count("/config") == 2 and app.calls.count("/gradio_api/info/") == 1  # direct + proxied
    assert app.calls.count("/") == 2  # the page, and the page with another query
    assert len({a.content for a in answers[:20]} | {later.content}) == 1 and proxied.content != later.content


def test_the_cache_keeps_a_bounded_number_of_addresses():
    async def go():
        app, http = served()
        async with http:
            for i in range(CACHE_ENTRIES + 5):
                await http.get("/config", headers={"host": f"h{i}.example"})
            await http.get("/config", headers={"host": "h0.example"})  # the oldest was let go
        return app

    assert asyncio.run(go()).calls.count("/config") == CACHE_ENTRIES + 6


def test_a_join_to_a_full_queue_is_refused_at_once_with_what_to_do():
    async def go():
        blocks = Blocks(max_size=2)
        blocks._queue.extend(["a", "b"])
        app, http = served(blocks)
        async with http:
            return app, blocks, await http.post("/gradio_api/queue/join", json={"data": [], "session_hash": "new"})

    app, blocks, answer = asyncio.run(go())
    assert answer.status_code == 503
    assert answer.json()["detail"] == ("The Space is busy: its queue is full (2 requests wait, at most 2). "
                                       "Nothing was queued for you: try again in a minute.")
    assert app.calls == [] and "new" not in blocks.state_holder  # nothing built for it


def test_a_new_sessions_state_is_built_off_the_event_loop_before_its_join():
    async def go():
        blocks = Blocks()
        blocks.state_holder["known"] = "built before"
        app, http = served(blocks)
        async with http:
            answers = [await http.post(path, json={"data": [1, "x"], "session_hash": session})
                       for path, session in [("/gradio_api/queue/join", "s1"), ("/gradio_api/call/generate", "s2"),
                                             ("/gradio_api/queue/join", "known")]]
            raw = await http.post("/gradio_api/queue/join", content=b"not json")
        return app, blocks, answers, raw

    app, blocks, answers, raw = asyncio.run(go())
    assert blocks.state_holder.built_on_loop == [False, False]  # s1, s2: on a worker thread; "known" not again
    assert [a.json()["state"] for a in answers][2] == "built before"
    assert all(a.json()["state"] for a in answers)  # the app saw each session's state already there
    assert json.loads(app.bodies[0]) == {"data": [1, "x"], "session_hash": "s1"}  # the body it read, handed on
    assert raw.status_code == 200 and app.bodies[-1] == b"not json"
