"""POST /v1/chat/completions: the OpenAI-compatible answer, whole or streamed as server-sent events."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request  # FastAPI reads the routes' annotations at run time
from starlette.responses import Response, StreamingResponse

from rag.answering.openai_format import RequestError, chunk, chunks, completion, parse_request
from ui.api.handoff import Handoff
from ui.api.shared import Api, json_response, sse

if TYPE_CHECKING:
    from fastapi import APIRouter


def router(api: Api) -> APIRouter:
    """The chat completions route."""
    from fastapi import APIRouter

    routes = APIRouter()

    @routes.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        if denied := api.refused(request):
            return denied
        try:
            body = await request.json()
        except ValueError:
            return api.failure(RequestError("body", "send the request as JSON"))
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        try:
            chat = parse_request(body)
            answers = Handoff(
                api.model_queue,
                lambda stop: api.qa.stream(chat.ask, should_stop=stop),
                api.settings.request_seconds,
            )
            answer = await answers.next()  # the passages are found (or the answer is final): the question is good
            if not chat.stream:
                watcher = asyncio.create_task(answers.stop_when_gone(request))  # a client gone stops the model
                try:
                    while not answer.done:
                        answer = await answers.next()
                finally:
                    watcher.cancel()
                return json_response(completion(answer, completion_id, created))
        except (Exception, StopAsyncIteration) as exc:
            return api.failure(exc)
        return StreamingResponse(
            _events(api, answers, answer, completion_id, created),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return routes


async def _events(api: Api, answers: Handoff, answer: Any, completion_id: str, created: int) -> AsyncIterator[bytes]:
    """The streamed answer: an opening chunk, the verified answer's chunks once it is done, then [DONE]."""
    try:
        yield sse(chunk(completion_id, created, {"role": "assistant", "content": ""}))
        while not answer.done:
            answer = await answers.next()
        for data in chunks(answer, completion_id, created):
            yield sse(data)
    except Exception as exc:  # after the 200: an error event, as the OpenAI API sends one
        yield sse(json.loads(bytes(api.failure(exc).body)))
    finally:
        answers.stop.set()  # the client went away, or the answer is done
    yield b"data: [DONE]\n\n"
