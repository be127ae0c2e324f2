"""The HTTP API for programs, on the chat page's port: an OpenAI-compatible `/v1/chat/completions`, the
index's articles, the followed feeds and the briefing under `/v1/`, `/health`. A thin adapter: the request and response shapes are
rag.answering.openai_format; answering, uploads and deletes are the library's. One router per resource (health,
models, chat, articles, feeds, briefing); what they share (the key check, JSON and errors, the model's turn) is ui.api.shared.

One model turn at a time: the chat page and the API share ui.model_queue.ModelQueue. At most
settings.queue_size API requests wait for it; more are answered 429 with Retry-After."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.config import Settings
from ui.api import articles, briefing, chat, feeds, health, models
from ui.api.shared import Api
from ui.model_queue import ModelQueue

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from rag.answering.qa import QA


def api_routes(qa: QA, settings: Settings, model_queue: ModelQueue, api_key: str | None) -> list[BaseRoute]:
    """The API's routes, to be served before the page's (see ui.app.launch). With api_key, every /v1/ route
    needs it as a Bearer token; /health is open."""
    api = Api(qa, settings, model_queue, api_key)
    routers = (health.router, models.router, chat.router, articles.router, feeds.router, briefing.router,
               articles.item_router)  # fmt: skip
    return [route for router in routers for route in router(api).routes]  # in the order /openapi.json lists them
