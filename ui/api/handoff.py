"""Work that holds the model's turn, run in a thread, its items handed to the request's event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

from starlette.requests import Request

from ui.model_queue import ModelQueue

_END = object()


class Handoff:
    """Runs work (an iterator) in a thread that holds a limited turn of the model queue, and hands its items
    (or its exception) to the event loop. stop tells the work to end early (the client went away, or the turn
    has lasted max_seconds)."""

    def __init__(
        self,
        model_queue: ModelQueue,
        work: Callable[[Callable[[], bool]], Iterator[Any]],
        max_seconds: float | None = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._items: asyncio.Queue[Any] = asyncio.Queue()
        self.stop = threading.Event()
        self._max_seconds = max_seconds
        threading.Thread(target=self._run, args=(model_queue, work), daemon=True).start()

    def _run(self, model_queue: ModelQueue, work: Callable[[Callable[[], bool]], Iterator[Any]]) -> None:
        try:
            with model_queue.turn(limited=True):
                timer = threading.Timer(self._max_seconds, self.stop.set) if self._max_seconds else None
                if timer:
                    timer.daemon = True
                    timer.start()
                items = work(self.stop.is_set)
                try:
                    for item in items:  # a stopped answer still ends with its final item
                        self._put(item)
                finally:
                    getattr(items, "close", lambda: None)()
                    if timer:
                        timer.cancel()
            self._put(_END)
        except BaseException as exc:  # handed to the request, which answers with it
            self._put(exc)

    def _put(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._items.put_nowait, item)
        except RuntimeError:  # the server is shutting down
            pass

    async def stop_when_gone(self, request: Request) -> None:
        """Set stop once the client has gone (run as a task beside a request that waits for the whole answer)."""
        while not self.stop.is_set():
            if await request.is_disconnected():
                self.stop.set()
                return
            await asyncio.sleep(0.25)

    async def next(self) -> Any:
        """The work's next item; its exception raised; StopAsyncIteration after the last."""
        item = await self._items.get()
        if isinstance(item, BaseException):
            raise item
        if item is _END:
            raise StopAsyncIteration
        return item
