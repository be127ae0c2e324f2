"""GET /health: the index, the model and the queue, open without the key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from rag.errors import RagError
from ui.api.shared import Api, json_response

if TYPE_CHECKING:
    from fastapi import APIRouter


def router(api: Api) -> APIRouter:
    """The health route."""
    from fastapi import APIRouter

    from rag.index.stores import read_manifest

    routes = APIRouter()

    @routes.get("/health")
    async def health() -> Response:
        try:
            manifest = read_manifest(api.settings.index_dir)
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
        return json_response(
            {
                "status": "ok",
                "index": index,
                "model": api.settings.generator,
                "model_loaded": api.qa.model_loaded,
                "queue": {"waiting": api.model_queue.waiting, "max_waiting": api.model_queue.max_waiting},
            }
        )

    return routes
