"""What the API's routers share: the key check, JSON responses, the HTTP answer to each error, and the
model's turn for work that changes the index."""

from __future__ import annotations

import hmac
import json
import sys
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from rag.answering.openai_format import RequestError, error
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
from ui.api.handoff import Handoff
from ui.model_queue import Busy, ModelQueue
from ui.same_site import cross_site

if TYPE_CHECKING:
    from rag.answering.qa import QA


def _plain(value: Any) -> Any:
    """JSON for numpy numbers and other stragglers."""
    return value.item() if hasattr(value, "item") else str(value)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """data as a JSON response."""
    return Response(
        json.dumps(data, ensure_ascii=False, default=_plain), status, headers, media_type="application/json"
    )


def sse(data: Any) -> bytes:
    """data as one server-sent event."""
    return f"data: {json.dumps(data, ensure_ascii=False, default=_plain)}\n\n".encode()


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (RequestError naming the fix when it is not one). Only a request sent as
    application/json is read: a web page of another site can send a form or text/plain without asking."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise RequestError("Content-Type", "send the request as application/json")
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RequestError("body", "send the request as a JSON object")
    return body


@dataclass
class Api:
    """What every route acts on: the answering library, its settings, the model's queue and the key."""

    qa: QA
    settings: Settings
    model_queue: ModelQueue
    api_key: str | None

    def refused(self, request: Request) -> Response | None:
        """403 for a request from another site when there is no key (see cross_site), else 401 unless the
        request carries the key (when one is set)."""
        if not self.api_key and (reason := cross_site(request.headers, self.settings.allowed_hosts)):
            return json_response(error(reason, code="cross_site_request"), 403)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not self.api_key or (
            scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.api_key.encode())
        ):
            return None
        return json_response(
            error(
                "missing or wrong API key: send the server's RAG_API_KEY as 'Authorization: Bearer KEY'",
                code="invalid_api_key",
            ),
            401,
            {"WWW-Authenticate": "Bearer"},
        )

    def failure(self, exc: BaseException) -> Response:
        """The HTTP answer to an exception: 400 for bad requests, 429 when the line is full, else 5xx, each with
        an OpenAI-style error naming the cause."""
        if isinstance(exc, Busy):
            wait = self.model_queue.retry_after()
            return json_response(
                error(
                    f"the model is busy and its line is full ({self.model_queue.max_waiting} waiting, "
                    f"RAG_QUEUE_SIZE); retry in {wait} s",
                    "rate_limit_error",
                    code="queue_full",
                ),
                429,
                {"Retry-After": str(wait)},
            )
        if isinstance(exc, RequestError):
            return json_response(error(str(exc), param=exc.field), 400)
        if isinstance(exc, (QuestionError, ArticleError, FetchError)):
            return json_response(error(str(exc)), 400)
        if isinstance(exc, ArticleNotFoundError):
            return json_response(error(str(exc), code="not_found"), 404)
        if isinstance(exc, (IndexNotFoundError, NoArticlesError)):
            return json_response(error(str(exc), "server_error", code="no_index"), 503)
        if isinstance(exc, RagError):
            return json_response(error(str(exc), "server_error"), 500)
        traceback.print_exception(exc, file=sys.stderr)
        return json_response(error(f"unexpected error: {type(exc).__name__}: {exc}", "server_error"), 500)

    async def answered(self, request: Request, work: Callable[[], Awaitable[Any]]) -> Response:
        """The JSON of what work returns; the refusal when the key is wrong; the failure it raised."""
        if denied := self.refused(request):
            return denied
        try:
            return json_response(await work())
        except Exception as exc:
            return self.failure(exc)

    async def in_turn(self, action: Callable[[], Any]) -> Any:
        """action's result, run in the model's turn (it changes the index)."""
        return await Handoff(self.model_queue, lambda _: iter([action()])).next()
