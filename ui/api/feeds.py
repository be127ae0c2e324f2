"""The followed feeds: GET /v1/feeds, POST /v1/feeds (follow), DELETE /v1/feeds?url= (stop following),
POST /v1/feeds/update (one update round, then the index updated)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from functools import partial
from typing import TYPE_CHECKING, Any

from starlette.requests import Request  # FastAPI reads the routes' annotations at run time
from starlette.responses import Response

from rag.answering.openai_format import RequestError
from ui.api.shared import Api, json_body

if TYPE_CHECKING:
    from fastapi import APIRouter

    from rag.ingest.web.feeds import Feed


def router(api: Api) -> APIRouter:
    """The feeds routes."""
    from fastapi import APIRouter

    from rag.index.fetched import fetch_limits
    from rag.ingest.web.feeds import add_feed, read_feeds, remove_feed

    routes = APIRouter()
    seeds = api.settings.seeds_dir

    @routes.get("/v1/feeds")
    async def list_feeds(request: Request) -> Response:
        async def work() -> dict[str, Any]:
            return {"object": "list", "data": [_feed_row(f) for f in read_feeds(seeds)]}

        return await api.answered(request, work)

    @routes.post("/v1/feeds")
    async def follow_feed(request: Request) -> Response:
        async def work() -> dict[str, Any]:
            body = await json_body(request)
            if not isinstance(body.get("url"), str) or not body["url"].strip():
                raise RequestError("url", 'send {"url": "https://.../feed.xml"}')
            return _feed_row(await asyncio.to_thread(add_feed, seeds, body["url"], fetch_limits(api.settings)))

        return await api.answered(request, work)

    @routes.delete("/v1/feeds")
    async def unfollow_feed(request: Request, url: str = "") -> Response:
        async def work() -> dict[str, Any]:
            if not url.strip():
                raise RequestError("url", "name the feed: DELETE /v1/feeds?url=https://.../feed.xml")
            return {"removed": _feed_row(remove_feed(seeds, url))}

        return await api.answered(request, work)

    @routes.post("/v1/feeds/update")
    async def update_now(request: Request) -> Response:
        def run() -> dict[str, Any]:
            rounds, report = api.qa.index.update_feeds(turn=partial(api.model_queue.turn, limited=True))
            return {
                "feeds": [{**asdict(r), "line": r.line()} for r in rounds],
                "index": report.summary() if report else "nothing new to index",
            }

        return await api.answered(request, lambda: asyncio.to_thread(run))  # the model's turn for the index only

    return routes


def _feed_row(feed: Feed) -> dict[str, Any]:
    """A followed feed as JSON: its fields, items counted."""
    row = asdict(feed)
    row["items"] = len(feed.items)
    return row
