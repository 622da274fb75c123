"""Runs behind the app: the engine's decode on a worker thread, one cancel Event per run.

The worker advances `engine.decode` as fast as the models go; the request handler only
reads snapshots of the streams at the pace the UI can draw (`Run.updates`). Stop sets
the run's cancel Event, so the engine itself stops before its next step — and a client
that goes away (the handler's generator is closed) stops it the same way.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..core.cancel import Cancel, reason_of
from ..core.engine import STREAMS, DecodeSettings, decode, encode_prompt

TEXT_EVERY_S = 0.1  # how often the two text columns refresh
HEAVY_EVERY_S = 1.0  # how often the heatmap and chart redraw (plus per 1000 tokens)


@dataclass
class StreamView:
    """One stream at one moment: a consistent prefix of what the engine produced."""

    name: str
    ids: list[int]
    text: str
    stop_reason: str | None
    tokens_per_second: float
    records: list = field(repr=False, default_factory=list)
    forward_seconds: float = 0.0  # the engine's StreamState fields of the same names
    prefill_seconds: float = 0.0
    guider_seconds: float = 0.0

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    def to_dict(self, with_records: bool = True) -> dict:
        """The engine's StreamState.to_dict() shape (the CLI's `generate --json`)."""
        out = {"ids": list(self.ids), "text": self.text, "stop_reason": self.stop_reason,
               "tokens_per_second": round(self.tokens_per_second, 2),
               "forward_seconds": round(self.forward_seconds, 6), "prefill_seconds": round(self.prefill_seconds, 6),
               "guider_seconds": round(self.guider_seconds, 6)}
        if with_records:
            out["trace" if self.name == "guided" else "tokens"] = [r.to_dict() for r in self.records]
        return out


@dataclass
class Snapshot:
    step: int  # decoding steps done (0 before the first token)
    done: bool
    baseline: StreamView
    guided: StreamView
    error: BaseException | None = None


class _Worker:
    """Work on a daemon thread: its error kept for the handler (which turns it into a
    message), the lease on the models released and `finished` set however it ends."""

    def __init__(self, cancel: Cancel | None, lease, name: str):
        self.cancel = cancel or Cancel()
        self.lease = lease  # the manager's hold on the trio
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)

    def start(self):
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._work()
        except BaseException as err:
            self.error = err
        finally:
            if self.lease is not None:
                self.lease.release()
            self.finished.set()

    def _work(self) -> None:
        raise NotImplementedError

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()


class Run(_Worker):
    """One generation on a worker thread. `cancel` stops the engine at its next step."""

    def __init__(self, trio, prompt: str, settings: DecodeSettings, streams=STREAMS, cancel: Cancel | None = None,
                 lease=None):
        # refuse a prompt too long for the models before any thread starts; encoded once, for the engine
        self.prompt_ids = encode_prompt(trio, prompt, settings.max_new_tokens)
        super().__init__(cancel, lease, "thinklogit-run")
        self.trio, self.prompt, self.settings, self.streams = trio, prompt, settings, streams
        self.started = time.perf_counter()
        self._states: dict = {}
        # stream -> (length, stop reason, tokens/s, forward seconds, prefill seconds, guider seconds)
        self._marks = {s: (0, None, 0.0, 0.0, 0.0, 0.0) for s in STREAMS}
        self._step = 0

    def _work(self) -> None:
        for step in decode(self.trio, self.prompt, self.settings, self.streams, cancel=self.cancel,
                           prompt_ids=self.prompt_ids):
            # The generator is paused here, so lengths and stop reasons are consistent.
            for name in STREAMS:
                state = getattr(step, name)
                if state is not None:
                    self._states[name] = state
                    self._marks[name] = (len(state.ids), state.stop_reason, state.tokens_per_second,
                                         state.forward_seconds, state.prefill_seconds, state.guider_seconds)
            self._step = step.step + 1

    def snapshot(self) -> Snapshot:
        done = self.finished.is_set()
        step = self._step
        marks = dict(self._marks)
        views = {}
        for name in STREAMS:
            length, stop, speed, seconds, prefill, guider = marks[name]
            state = self._states.get(name)
            ids = list(state.ids[:length]) if state is not None else []
            records = list(state.records[:length]) if state is not None else []
            if done and stop is None and self.cancel.is_set():
                stop = reason_of(self.cancel)  # stopped before its first step
            views[name] = StreamView(name, ids, self.trio.tokenizer.decode(ids, skip_special_tokens=True),
                                     stop, speed, records, seconds, prefill, guider)
        return Snapshot(step, done, views["baseline"], views["guided"], self.error if done else None)

    def updates(self, every: float = TEXT_EVERY_S, heavy_every: float = HEAVY_EVERY_S) -> Iterator[tuple[Snapshot, bool]]:
        """(snapshot, heavy) at most every `every` seconds while the run goes, and once at the end.
        `heavy` marks the snapshots worth a full redraw (heatmap, chart): throttled to
        `heavy_every` seconds, plus a second per 1000 tokens so long runs stay smooth."""
        last_step, last_heavy = -1, time.perf_counter()
        while True:
            self.finished.wait(every)
            snap = self.snapshot()  # its `done` decides, so exactly one final snapshot is yielded
            if snap.step == last_step and not snap.done:
                continue
            last_step = snap.step
            now = time.perf_counter()
            heavy = snap.done or now - last_heavy >= heavy_every * (1 + len(snap.guided.ids) / 1000)
            if heavy:
                last_heavy = now
            yield snap, heavy
            if snap.done:
                return


class Job(_Worker):
    """Other work of a visitor (an evaluation) on a worker thread, stopped by its Cancel:
    `work(cancel, report)` returns the result; `report(done, total)` records progress.
    The lease on the models is released when the worker ends, however it ends."""

    def __init__(self, work: Callable, cancel: Cancel, lease=None, name: str = "thinklogit-job"):
        super().__init__(cancel, lease, name)
        self.work = work
        self.progress = (0, 0)
        self.result = None

    def _report(self, done: int, total: int) -> None:
        self.progress = (done, total)

    def _work(self) -> None:
        self.result = self.work(self.cancel, self._report)


class RunRegistry:
    """The live jobs of each session (browser tab or API client), one per kind ("generate",
    "evaluate"), by their Cancel: Stop sets them, and a session's new job of a kind
    supersedes (stops, reason "superseded") its previous one. Nothing here touches another
    session's jobs."""

    def __init__(self):
        self._jobs: dict[tuple[str, str], Cancel] = {}
        self._lock = threading.Lock()

    def open(self, session: str, kind: str = "generate") -> Cancel:
        """The Cancel of a new job of `session`; its previous job of that kind is superseded."""
        cancel = Cancel()
        with self._lock:
            old = self._jobs.get((session, kind))
            self._jobs[(session, kind)] = cancel
        if old is not None:
            old.set("superseded")
        return cancel

    def close(self, session: str, cancel: Cancel, kind: str = "generate") -> None:
        """The job ended (finished, stopped or failed): forget it."""
        with self._lock:
            if self._jobs.get((session, kind)) is cancel:
                del self._jobs[(session, kind)]

    def stop(self, session: str) -> bool:
        """Stop every live job of the session; False when it has none."""
        with self._lock:
            live = [c for (s, _), c in self._jobs.items() if s == session and not c.is_set()]
        for cancel in live:
            cancel.set()
        return bool(live)

    def active(self) -> int:
        with self._lock:
            return sum(not c.is_set() for c in self._jobs.values())
