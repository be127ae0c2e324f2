"""GET /v1/briefing: what's new in the index, as JSON (rag.briefing)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.requests import Request  # FastAPI reads the routes' annotations at run time
from starlette.responses import Response

from ui.api.shared import Api

if TYPE_CHECKING:
    from fastapi import APIRouter


def router(api: Api) -> APIRouter:
    """The briefing route: ?since=1d|7d|YYYY-MM-DD&until=YYYY-MM-DD&about=words (all optional)."""
    from fastapi import APIRouter

    from rag.briefing.brief import brief

    routes = APIRouter()

    @routes.get("/v1/briefing")
    async def briefing(request: Request, since: str = "", until: str = "", about: str = "") -> Response:
        async def work() -> dict[str, Any]:
            made = await asyncio.to_thread(brief, api.settings, since or None, about, True, until or None)
            return {"object": "briefing", **made.to_dict()}

        return await api.answered(request, work)

    return routes
