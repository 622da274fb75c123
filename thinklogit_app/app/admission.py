"""The served app's door under a burst of visitors (ASGI middleware, `middleware(demo)`).

Gradio answers every visitor on one event loop. Two things it does per request cost tens
of milliseconds of Python each, and 40 visitors arriving at once stacked them up until
replies took longer than gradio_client's 5 s read timeout (a bare ReadTimeout instead of
the queue-full message, /gradio_api/info in 6 s):

- a new session's first POST /queue/join builds that session's copy of every component's
  config (about 150 here) *on the event loop*: here it is built first on one worker thread
  at a time, so the loop keeps answering while the crowd's sessions are made;
- GET /config deep-copies the 170 KB app config on a thread of its own per request (the page
  itself, GET /, renders it into 210 KB of HTML), 40 threads then fighting for the GIL with
  the loop: here the page, /config and /gradio_api/info are computed once per address the
  app is reached by (host, proxy headers, query), then served from memory.

A join while the queue is full (counting the joins let in but not queued yet) is refused here
at once (HTTP 503, what Gradio answers, with a message that says to try again) without
building anything for it.
"""
from __future__ import annotations

import asyncio
import json
from collections import OrderedDict

import anyio
from starlette.middleware import Middleware

CACHED_PATHS = ("/", "/config", "/gradio_api/info")  # the same bytes for every visitor of one address
CACHE_ENTRIES = 16  # addresses (host, proxy headers, query) remembered; the oldest goes first
MAX_JOIN_BODY = 1 << 20  # joins larger than this (big inputs) pass on unread
ADDRESS_HEADERS = (b"host", b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-prefix")


def queue_full_message(waiting: int, max_size: int) -> str:
    return (f"The Space is busy: its queue is full ({waiting} requests wait, at most {max_size}). "
            "Nothing was queued for you: try again in a minute.")


class Admission:
    """ASGI middleware of a launched Blocks: see the module's docstring."""

    def __init__(self, app, blocks):
        self.app = app
        self.blocks = blocks
        self.cache: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self._filling: dict[tuple, asyncio.Future] = {}
        self._sessions = anyio.CapacityLimiter(1)  # one session built at a time, off the loop
        self._admitting = 0  # joins let in that Gradio has not queued yet

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"].rstrip("/") or "/"
            if scope["method"] == "POST" and _joins_queue(path):
                return await self._join(scope, receive, send)
            if scope["method"] == "GET" and path in CACHED_PATHS and not getattr(self.blocks, "auth", None):
                return await self._cached(scope, receive, send, path)
        await self.app(scope, receive, send)

    # ---- POST /queue/join ------------------------------------------------------------
    async def _join(self, scope, receive, send):
        body, more = await _read_body(receive, MAX_JOIN_BODY)
        queue = getattr(self.blocks, "_queue", None)
        max_size = getattr(queue, "max_size", None)
        if max_size is not None and len(queue) + self._admitting >= max_size:  # joins on their way count
            return await _send_json(send, 503, {"detail": queue_full_message(len(queue) + self._admitting, max_size)})
        self._admitting += 1
        try:
            session = _session_of(body) if not more else None
            holder = getattr(self.blocks, "state_holder", None)
            if session and holder is not None and session not in holder:
                # what Gradio's join would do on the loop (StateHolder[session] -> SessionState(blocks))
                await anyio.to_thread.run_sync(holder.__getitem__, session, limiter=self._sessions)
            await self.app(scope, _replay(body, more, receive), self._explained(send))
        finally:
            self._admitting -= 1  # in the queue now (or running, or refused by Gradio)

    def _explained(self, send):
        """`send` with Gradio's own queue-full refusal (a join that passed the check above while
        others filled the queue) worded like ours; every other answer passes unchanged."""
        held, chunks = None, []

        async def explained(message):
            nonlocal held
            if message["type"] == "http.response.start" and message["status"] == 503:
                held = message
                return
            if held is None or message["type"] != "http.response.body":
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            queue = self.blocks._queue
            if b"Queue is full" in body and queue.max_size is not None:
                return await _send_json(send, 503, {"detail": queue_full_message(len(queue), queue.max_size)})
            await send(held)
            await send({"type": "http.response.body", "body": body})
        return explained

    # ---- GET /, /config, /gradio_api/info ----------------------------------------------
    async def _cached(self, scope, receive, send, path):
        headers = dict(scope.get("headers") or [])
        key = (path, scope.get("query_string", b""), scope.get("scheme"), scope.get("root_path", ""),
               *(headers.get(name, b"") for name in ADDRESS_HEADERS))
        hit = self.cache.get(key)
        if hit is None:
            pending = self._filling.get(key)
            if pending is not None:  # another request computes it: wait for its bytes
                hit = await asyncio.shield(pending)
            else:
                future = asyncio.get_running_loop().create_future()
                self._filling[key] = future
                try:
                    hit = await _capture(self.app, scope, receive)
                    if hit[0] == 200 and not any(name.lower() == b"set-cookie" for name, _ in hit[1]):
                        self.cache[key] = hit
                        while len(self.cache) > CACHE_ENTRIES:
                            self.cache.popitem(last=False)
                    future.set_result(hit)
                except BaseException as err:
                    future.set_exception(err)
                    future.exception()  # retrieved: no "never retrieved" warning when nobody waits
                    raise
                finally:
                    del self._filling[key]
        else:
            self.cache.move_to_end(key)
        status, response_headers, content = hit
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})


def middleware(blocks) -> list[Middleware]:
    """For `blocks.launch(app_kwargs={"middleware": middleware(blocks)})`."""
    return [Middleware(Admission, blocks=blocks)]


def _joins_queue(path: str) -> bool:
    """POST /gradio_api/queue/join (gradio_client, the browser) or /gradio_api/call/NAME (raw HTTP)."""
    parts = path.strip("/").split("/")
    return parts[-2:] == ["queue", "join"] or parts[-2:-1] == ["call"] or parts[-3:-1] == ["call", "v2"]


def _session_of(body: bytes) -> str | None:
    try:
        session = json.loads(body).get("session_hash")
    except (ValueError, AttributeError):
        return None  # not a JSON object: Gradio answers it (422)
    return session if isinstance(session, str) and 0 < len(session) <= 256 else None


async def _read_body(receive, limit: int) -> tuple[bytes, bool]:
    """The request's body up to `limit` bytes; True when more is left to read."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False  # the client left: the app sees an empty body
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > limit:
            return b"".join(chunks), True


def _replay(body: bytes, more: bool, receive):
    """A `receive` that hands the app the body already read, then the rest of the request."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()
    return replay


async def _send_json(send, status: int, payload: dict) -> None:
    content = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]})
    await send({"type": "http.response.body", "body": content})


async def _capture(app, scope, receive) -> tuple[int, list, bytes]:
    """Run the app for one request; its (status, headers, body) instead of sending them."""
    start, chunks = {}, []

    async def send(message):
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return start.get("status", 500), list(start.get("headers", [])), b"".join(chunks)
