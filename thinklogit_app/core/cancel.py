"""A run's stop signal, and why it stopped.

`Cancel` is a `threading.Event` whose `set(reason)` records why: "cancelled" (its visitor
pressed Stop or went away) or "superseded" (the same visitor started a new run). The
engine writes that reason as the streams' stop_reason; batched evaluation raises
`Cancelled` with it.
"""
from __future__ import annotations

import threading

CANCEL_REASONS = ("cancelled", "superseded")


class Cancel(threading.Event):
    def __init__(self):
        super().__init__()
        self.reason = "cancelled"

    def set(self, reason: str = "cancelled") -> None:
        if reason not in CANCEL_REASONS:
            raise ValueError(f"cancel reason must be one of {', '.join(CANCEL_REASONS)}, got {reason!r}")
        if not self.is_set():  # the first reason stands: a Stop, then a new run, stays "cancelled"
            self.reason = reason
        super().set()


class Cancelled(RuntimeError):
    """Work stopped by its Cancel before it finished; `reason` says why."""

    def __init__(self, reason: str, what: str = "the work"):
        self.reason = reason
        why = "its visitor started a new one" if reason == "superseded" else "its visitor stopped it"
        super().__init__(f"{what} stopped ({reason}): {why}")


def reason_of(cancel: threading.Event | None) -> str:
    """The stop reason of a set cancel (a plain Event says "cancelled")."""
    return getattr(cancel, "reason", "cancelled")
