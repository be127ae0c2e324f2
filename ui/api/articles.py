"""The index's articles: GET /v1/articles (the list), POST /v1/index (files), POST /v1/articles (by address),
DELETE /v1/articles/{id}."""

from __future__ import annotations

import asyncio
import re
import tempfile
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request  # FastAPI reads the routes' annotations at run time
from starlette.responses import Response

from rag.answering.openai_format import RequestError
from rag.errors import RagError
from ui.api.shared import Api, json_body, json_response

if TYPE_CHECKING:
    from fastapi import APIRouter


MAX_URLS = 20  # addresses one request may ask to fetch (each can take a minute)


def router(api: Api) -> APIRouter:
    """The routes of the articles as a whole: the list, adding files, adding by address."""
    from fastapi import APIRouter

    from rag.index.stores import article_rows, read_manifest

    routes = APIRouter()

    @routes.get("/v1/articles")
    async def list_articles(request: Request) -> Response:
        if denied := api.refused(request):
            return denied
        try:
            indexed = article_rows(read_manifest(api.settings.index_dir))
        except RagError as exc:  # an unreadable manifest names the fix
            return api.failure(exc)
        return json_response({"object": "list", "data": indexed})

    @routes.post("/v1/index")
    async def add_articles(request: Request) -> Response:
        if denied := api.refused(request):
            return denied
        with tempfile.TemporaryDirectory(prefix="news-rag-upload-") as folder:
            try:
                files = await _received_files(request, Path(folder), api.settings.max_file_bytes)
                return json_response(await api.in_turn(lambda: _add_files(api, files)))
            except Exception as exc:
                return api.failure(exc)

    @routes.post("/v1/articles")
    async def add_by_url(request: Request) -> Response:
        async def work() -> dict[str, Any]:
            body = await json_body(request)
            urls = body.get("urls") or ([body["url"]] if body.get("url") else [])
            if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and u.strip() for u in urls):
                raise RequestError("url", 'send {"url": "https://..."} or {"urls": ["https://...", ...]}')
            if len(urls) > MAX_URLS:
                raise RequestError("urls", f"{len(urls)} addresses in one request; send at most {MAX_URLS} at a time")
            return await asyncio.to_thread(_add_urls, api, urls)  # takes the model's turn for the index update only

        return await api.answered(request, work)

    return routes


def item_router(api: Api) -> APIRouter:
    """The route of one article: DELETE /v1/articles/{id}."""
    from fastapi import APIRouter

    routes = APIRouter()

    @routes.delete("/v1/articles/{article_id:path}")
    async def delete_article(request: Request, article_id: str) -> Response:
        def delete() -> dict[str, Any]:
            path, report = api.qa.index.delete_article(article_id)
            return {
                "deleted": article_id,
                "file": path.relative_to(api.settings.seeds_dir.resolve()).as_posix(),
                "index": report.summary(),
            }

        return await api.answered(request, lambda: api.in_turn(delete))

    return routes


def _add_files(api: Api, files: list[Path]) -> dict[str, Any]:
    """The received files saved into the articles folder and the index updated: what was added and skipped."""
    from rag.ingest.uploads import save_uploads

    settings = api.settings
    saved, problems = save_uploads(files, settings.seeds_dir, settings.max_file_bytes)
    skipped = [{"file": p.path, "reason": p.reason} for p in problems]
    if not saved:
        raise RequestError("files", "nothing was added: " + "; ".join(map(str, problems)))
    try:
        report = api.qa.index.build(log=lambda _: None, progress=False)
    except RagError as exc:
        raise RagError(
            f"saved {', '.join(p.name for p in saved)} to the articles folder, but the index update failed: {exc}"
        ) from None
    return {"added": [p.name for p in saved], "skipped": skipped, "index": report.summary()}


def _add_urls(api: Api, urls: list[str]) -> dict[str, Any]:
    """The pages at urls saved into the articles folder and the index updated: what was added and what failed."""
    added = api.qa.index.add_urls(urls, turn=partial(api.model_queue.turn, limited=True))
    failed = [{"url": url, "reason": reason} for url, reason in added.failed]
    if not added.saved:
        raise RequestError("url", "nothing was added: " + "; ".join(f"{f['url']}: {f['reason']}" for f in failed))
    return {
        "added": [{"url": s.url, "file": s.file, "status": s.status} for s in added.saved],
        "failed": failed,
        "index": added.build.summary() if added.build else "nothing new to index",
    }


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
