"""GET /v1/models: the one model, news-rag."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request  # FastAPI reads the routes' annotations at run time
from starlette.responses import Response

from rag.answering.openai_format import MODEL
from ui.api.shared import Api, json_response

if TYPE_CHECKING:
    from fastapi import APIRouter


def router(api: Api) -> APIRouter:
    """The models route."""
    from fastapi import APIRouter

    routes = APIRouter()

    @routes.get("/v1/models")
    async def models(request: Request) -> Response:
        return api.refused(request) or json_response(
            {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "news-rag"}]}
        )

    return routes
