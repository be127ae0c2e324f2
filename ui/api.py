"""The HTTP API for programs, on the chat page's port: an OpenAI-compatible `/v1/chat/completions`, the
index's articles and the followed feeds under `/v1/`, `/health`. A thin adapter: the request and response shapes are
rag.answering.openai_format; answering, uploads and deletes are the library's.

One model turn at a time: the chat page and the API share ModelQueue's lock, held for a whole answer, upload
or delete (the page's Gradio queue lines up the page's own requests before they take it). At most
settings.queue_size API requests wait for the lock; more are answered 429 with Retry-After."""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import re
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request  # FastAPI reads the routes' annotations at run time
from starlette.responses import Response

from rag.answering.openai_format import MODEL, RequestError, chunk, chunks, completion, error, parse_request
from rag.config import Settings
from rag.errors import (
    ArticleError,
    ArticleNotFoundError,
    FetchError,
    IndexNotFoundError,
    NoArticlesError,
    QuestionError,
    RagError,
)

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from rag.answering.qa import QA
    from rag.ingest.web.feeds import Feed

_END = object()


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


class _Feed:
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
        item = await self._items.get()
        if isinstance(item, BaseException):
            raise item
        if item is _END:
            raise StopAsyncIteration
        return item


def _plain(value: Any) -> Any:
    """JSON for numpy numbers and other stragglers."""
    return value.item() if hasattr(value, "item") else str(value)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, default=_plain), status, headers, media_type="application/json"
    )


def _failure(exc: BaseException, model_queue: ModelQueue) -> Response:
    """The HTTP answer to an exception: 400 for bad requests, 429 when the line is full, else 5xx, each with
    an OpenAI-style error naming the cause."""
    if isinstance(exc, Busy):
        wait = model_queue.retry_after()
        return _json(
            error(
                f"the model is busy and its line is full ({model_queue.max_waiting} waiting, "
                f"RAG_QUEUE_SIZE); retry in {wait} s",
                "rate_limit_error",
                code="queue_full",
            ),
            429,
            {"Retry-After": str(wait)},
        )
    if isinstance(exc, RequestError):
        return _json(error(str(exc), param=exc.field), 400)
    if isinstance(exc, (QuestionError, ArticleError, FetchError)):
        return _json(error(str(exc)), 400)
    if isinstance(exc, ArticleNotFoundError):
        return _json(error(str(exc), code="not_found"), 404)
    if isinstance(exc, (IndexNotFoundError, NoArticlesError)):
        return _json(error(str(exc), "server_error", code="no_index"), 503)
    if isinstance(exc, RagError):
        return _json(error(str(exc), "server_error"), 500)
    traceback.print_exception(exc, file=sys.stderr)
    return _json(error(f"unexpected error: {type(exc).__name__}: {exc}", "server_error"), 500)


def _sse(data: Any) -> bytes:
    return f"data: {json.dumps(data, ensure_ascii=False, default=_plain)}\n\n".encode()


def api_routes(qa: QA, settings: Settings, model_queue: ModelQueue, api_key: str | None) -> list[BaseRoute]:
    """The API's routes, to be served before the page's (see ui.app.launch). With api_key, every /v1/ route
    needs it as a Bearer token; /health is open."""
    from fastapi import APIRouter
    from starlette.responses import StreamingResponse

    from rag.index.fetched import fetch_limits
    from rag.index.stores import article_rows, read_manifest
    from rag.ingest.uploads import save_uploads
    from rag.ingest.web.feeds import add_feed, read_feeds, remove_feed

    router = APIRouter()

    def refused(request: Request) -> Response | None:
        """401 unless the request carries the key (when one is set)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not api_key or (
            scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), api_key.encode())
        ):
            return None
        return _json(
            error(
                "missing or wrong API key: send the server's RAG_API_KEY as 'Authorization: Bearer KEY'",
                code="invalid_api_key",
            ),
            401,
            {"WWW-Authenticate": "Bearer"},
        )

    async def answered(request: Request, work: Callable[[], Awaitable[Any]]) -> Response:
        """The JSON of what work returns; the refusal when the key is wrong; the failure it raised."""
        if denied := refused(request):
            return denied
        try:
            return _json(await work())
        except Exception as exc:
            return _failure(exc, model_queue)

    async def in_turn(action: Callable[[], Any]) -> Any:
        """action's result, run in the model's turn (it changes the index)."""
        return await _Feed(model_queue, lambda _: iter([action()])).next()

    @router.get("/health")
    async def health() -> Response:
        try:
            manifest = read_manifest(settings.index_dir)
        except RagError as exc:
            index: dict[str, Any] | None = {"error": str(exc)}
        else:
            index = (
                None
                if manifest is None
                else {
                    "generation": manifest.get("generation"),
                    "articles": len(manifest.get("articles", {})),
                    "updated": manifest.get("updated"),
                }
            )
        return _json(
            {
                "status": "ok",
                "index": index,
                "model": settings.generator,
                "model_loaded": qa.model_loaded,
                "queue": {"waiting": model_queue.waiting, "max_waiting": model_queue.max_waiting},
            }
        )

    @router.get("/v1/models")
    async def models(request: Request) -> Response:
        return refused(request) or _json(
            {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "news-rag"}]}
        )

    @router.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        if denied := refused(request):
            return denied
        try:
            body = await request.json()
        except ValueError:
            return _failure(RequestError("body", "send the request as JSON"), model_queue)
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        try:
            chat = parse_request(body)
            feed = _Feed(
                model_queue,
                lambda stop: qa.stream(chat.ask, should_stop=stop),
                settings.request_seconds,
            )
            answer = await feed.next()  # the passages are found (or the answer is final): the question is good
            if not chat.stream:
                watcher = asyncio.create_task(feed.stop_when_gone(request))  # a client gone stops the model
                try:
                    while not answer.done:
                        answer = await feed.next()
                finally:
                    watcher.cancel()
                return _json(completion(answer, completion_id, created))
        except (Exception, StopAsyncIteration) as exc:
            return _failure(exc, model_queue)

        async def events(answer: Any) -> AsyncIterator[bytes]:
            try:
                yield _sse(chunk(completion_id, created, {"role": "assistant", "content": ""}))
                while not answer.done:
                    answer = await feed.next()
                for data in chunks(answer, completion_id, created):
                    yield _sse(data)
            except Exception as exc:  # after the 200: an error event, as the OpenAI API sends one
                yield _sse(json.loads(bytes(_failure(exc, model_queue).body)))
            finally:
                feed.stop.set()  # the client went away, or the answer is done
            yield b"data: [DONE]\n\n"

        return StreamingResponse(
            events(answer),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get("/v1/articles")
    async def list_articles(request: Request) -> Response:
        if denied := refused(request):
            return denied
        try:
            indexed = article_rows(read_manifest(settings.index_dir))
        except RagError as exc:  # an unreadable manifest names the fix
            return _failure(exc, model_queue)
        return _json({"object": "list", "data": indexed})

    @router.post("/v1/index")
    async def add_articles(request: Request) -> Response:
        if denied := refused(request):
            return denied
        with tempfile.TemporaryDirectory(prefix="news-rag-upload-") as folder:
            try:
                files = await _received_files(request, Path(folder), settings.max_file_bytes)

                def add() -> dict[str, Any]:
                    saved, problems = save_uploads(files, settings.seeds_dir, settings.max_file_bytes)
                    skipped = [{"file": p.path, "reason": p.reason} for p in problems]
                    if not saved:
                        raise RequestError("files", "nothing was added: " + "; ".join(map(str, problems)))
                    try:
                        report = qa.index.build(log=lambda _: None, progress=False)
                    except RagError as exc:
                        raise RagError(
                            f"saved {', '.join(p.name for p in saved)} to the articles folder, but "
                            f"the index update failed: {exc}"
                        ) from None
                    return {"added": [p.name for p in saved], "skipped": skipped, "index": report.summary()}

                return _json(await in_turn(add))
            except Exception as exc:
                return _failure(exc, model_queue)

    @router.post("/v1/articles")
    async def add_by_url(request: Request) -> Response:
        async def work() -> dict[str, Any]:
            body = await _json_body(request)
            urls = body.get("urls") or ([body["url"]] if body.get("url") else [])
            if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and u.strip() for u in urls):
                raise RequestError("url", 'send {"url": "https://..."} or {"urls": ["https://...", ...]}')

            def add() -> dict[str, Any]:
                added = qa.index.add_urls(urls)
                failed = [{"url": url, "reason": reason} for url, reason in added.failed]
                if not added.saved:
                    raise RequestError(
                        "url", "nothing was added: " + "; ".join(f"{f['url']}: {f['reason']}" for f in failed)
                    )
                return {
                    "added": [{"url": s.url, "file": s.file, "status": s.status} for s in added.saved],
                    "failed": failed,
                    "index": added.build.summary() if added.build else "nothing new to index",
                }

            return await in_turn(add)

        return await answered(request, work)

    @router.get("/v1/feeds")
    async def list_feeds(request: Request) -> Response:
        async def work() -> dict[str, Any]:
            return {"object": "list", "data": [_feed_row(f) for f in read_feeds(settings.seeds_dir)]}

        return await answered(request, work)

    @router.post("/v1/feeds")
    async def follow_feed(request: Request) -> Response:
        async def work() -> dict[str, Any]:
            body = await _json_body(request)
            if not isinstance(body.get("url"), str) or not body["url"].strip():
                raise RequestError("url", 'send {"url": "https://.../feed.xml"}')
            feed = await asyncio.to_thread(add_feed, settings.seeds_dir, body["url"], fetch_limits(settings))
            return _feed_row(feed)

        return await answered(request, work)

    @router.delete("/v1/feeds")
    async def unfollow_feed(request: Request, url: str = "") -> Response:
        async def work() -> dict[str, Any]:
            if not url.strip():
                raise RequestError("url", "name the feed: DELETE /v1/feeds?url=https://.../feed.xml")
            return {"removed": _feed_row(remove_feed(settings.seeds_dir, url))}

        return await answered(request, work)

    @router.post("/v1/feeds/update")
    async def update_now(request: Request) -> Response:
        def run() -> dict[str, Any]:
            rounds, report = qa.index.update_feeds()
            return {
                "feeds": [{**asdict(r), "line": r.line()} for r in rounds],
                "index": report.summary() if report else "nothing new to index",
            }

        return await answered(request, lambda: in_turn(run))

    @router.delete("/v1/articles/{article_id:path}")
    async def delete_article(request: Request, article_id: str) -> Response:
        def delete() -> dict[str, Any]:
            path, report = qa.index.delete_article(article_id)
            return {
                "deleted": article_id,
                "file": path.relative_to(settings.seeds_dir.resolve()).as_posix(),
                "index": report.summary(),
            }

        return await answered(request, lambda: in_turn(delete))

    return list(router.routes)


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (RequestError naming the fix when it is not one)."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RequestError("body", "send the request as a JSON object")
    return body


def _feed_row(feed: Feed) -> dict[str, Any]:
    row = asdict(feed)
    row["items"] = len(feed.items)
    return row


async def _received_files(request: Request, folder: Path, max_bytes: int) -> list[Path]:
    """The multipart 'files' of the request, copied into folder under their own names (one sub-folder each);
    a file over max_bytes is cut just past the limit, for save_uploads to refuse by its size."""
    from starlette.datastructures import UploadFile

    try:
        form = await request.form()
    except Exception as exc:  # not multipart, or malformed
        raise RequestError("files", f"send the articles as multipart/form-data fields named 'files' ({exc})") from None
    uploads = form.getlist("files")
    if not uploads or not all(isinstance(u, UploadFile) for u in uploads):
        raise RequestError("files", "attach one or more article files as multipart/form-data fields named 'files'")
    paths = []
    for number, upload in enumerate(uploads):
        assert isinstance(upload, UploadFile)
        name = re.split(r"[\\/]", upload.filename or "")[-1]
        path = folder / str(number) / (name if name.strip(".") else "upload")  # save_uploads makes it safe
        path.parent.mkdir()
        with path.open("wb") as out:
            written = 0
            while written <= max_bytes and (block := await upload.read(1 << 20)):
                out.write(block)
                written += len(block)
        paths.append(path)
    await form.close()
    return paths
