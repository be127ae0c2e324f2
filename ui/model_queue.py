"""One model turn at a time: the chat page and the HTTP API share ModelQueue's lock, held for a whole answer,
upload or delete (the page's Gradio queue lines up the page's own requests before they take it). At most
max_waiting API requests wait for the lock; more are refused (Busy), answered 429 with Retry-After."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Busy(Exception):
    """The API's waiting line for the model is full."""


class ModelQueue:
    """One answer or index change at a time, shared by the chat page and the HTTP API."""

    def __init__(self, max_waiting: int) -> None:
        self.max_waiting = max_waiting
        self.waiting = 0
        self.last_turn_s = 10.0  # how long the latest turn took: the Retry-After estimate
        self._lock = threading.Lock()
        self._count = threading.Lock()

    @contextmanager
    def turn(self, limited: bool = False) -> Iterator[None]:
        """Hold the model for one answer or build, waiting while another holds it. limited (the API): Busy
        instead of waiting when max_waiting requests already wait."""
        if not self._lock.acquire(blocking=False):
            with self._count:
                if limited and self.waiting >= self.max_waiting:
                    raise Busy
                self.waiting += 1
            try:
                self._lock.acquire()
            finally:
                with self._count:
                    self.waiting -= 1
        started = time.monotonic()
        try:
            yield
        finally:
            self.last_turn_s = time.monotonic() - started
            self._lock.release()

    def retry_after(self) -> int:
        """Seconds until a place in the line is likely free."""
        return max(1, math.ceil(self.last_turn_s))
