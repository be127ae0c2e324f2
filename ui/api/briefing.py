"""GET /v1/briefing: what's new in the index, as JSON (rag.briefing)."""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from starlette.requests import Request  # FastAPI reads the routes' annotations at run time
from starlette.responses import Response

from ui.api.shared import Api

if TYPE_CHECKING:
    from fastapi import APIRouter


def router(api: Api) -> APIRouter:
    """The briefing route: ?since=1d|7d|YYYY-MM-DD&until=YYYY-MM-DD&about=words&summary=true (all optional;
    summary: each story's one sentence by the answering model, in the model's turn)."""
    from fastapi import APIRouter

    from rag.briefing.brief import brief

    routes = APIRouter()

    @routes.get("/v1/briefing")
    async def briefing(
        request: Request, since: str = "", until: str = "", about: str = "", summary: bool = False
    ) -> Response:
        def made() -> dict[str, Any]:
            with api.model_queue.turn(limited=True) if summary else nullcontext():
                model = api.qa.generator if summary else None
                return brief(api.settings, since or None, about, True, until or None, model).to_dict()

        async def work() -> dict[str, Any]:
            return {"object": "briefing", **await asyncio.to_thread(made)}

        return await api.answered(request, work)

    return routes
