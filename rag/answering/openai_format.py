"""The OpenAI chat completions format over Answers (pure): a request checked into a question, its history and
options; an Answer into a `chat.completion` object or `chat.completion.chunk` objects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from rag.answering.inert import inert_markdown, plain_text
from rag.errors import RagError
from rag.ingest.web.fetching import web_address
from rag.model import Answer, Ask, Citation
from rag.search.followup import message_text

MODEL = "news-rag"
EXTRA = "news_rag"  # the top-level field holding the whole answer
SOURCES_HEADING = "Sources:"
EVIDENCE_HEADING = "Evidence:"
REMOVED_HEADING = "Not found in the sources, so removed:"
_ROLES = ("system", "developer", "user", "assistant")


class RequestError(RagError):
    """A request the API answers with 400: field names the part of the request that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class ChatRequest:
    """A checked chat completion request: what it asks (the question, the turns before it, dates and sources)
    and whether to stream the reply."""

    ask: Ask
    stream: bool = False


def _date(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise RequestError(name, f"{value!r} is not a date; write it as YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise RequestError(name, f"{value!r} is not a date of the calendar") from None
    return value


def without_sources(text: str) -> str:
    """An assistant message as the answer it was: without the source list this API appends, as plain text."""
    return plain_text(
        re.split(rf"\n\n(?:{EVIDENCE_HEADING}|{REMOVED_HEADING}|{SOURCES_HEADING})\s", text, maxsplit=1)[0]
    )


def parse_request(body: Any) -> ChatRequest:
    """The request of POST /v1/chat/completions, checked; RequestError naming the first wrong field. The last
    message is the question (a user message); earlier user and assistant messages are its history (system
    messages are ignored: the instructions are fixed)."""
    if not isinstance(body, Mapping):
        raise RequestError("body", "send a JSON object")
    if body.get("model", MODEL) != MODEL:
        raise RequestError("model", f"unknown model {body.get('model')!r}; use {MODEL!r}")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages", "send a list of messages, the question last")
    turns = []
    for n, message in enumerate(messages):
        if not isinstance(message, Mapping) or message.get("role") not in _ROLES:
            raise RequestError(f"messages[{n}]", f"needs a role ({', '.join(_ROLES)}) and content")
        content = message.get("content")
        if not isinstance(content, (str, list)):
            raise RequestError(f"messages[{n}].content", "must be text or a list of text parts")
        if message["role"] in ("user", "assistant"):
            text = message_text(content)
            turns.append(
                {"role": message["role"], "content": without_sources(text) if message["role"] == "assistant" else text}
            )
    if not turns or turns[-1]["role"] != "user" or messages[-1].get("role") != "user":
        raise RequestError("messages", "the last message must be the user's question")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise RequestError("stream", "must be true or false")
    sources = body.get("sources") or []
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
        raise RequestError("sources", "must be a list of source names")
    since, until = _date(body, "since"), _date(body, "until")
    if since and until and since > until:
        raise RequestError("since", f"{since} is after until {until}; swap them")
    ask = Ask(
        turns[-1]["content"],
        since=since,
        until=until,
        sources=tuple(s.strip() for s in sources),
        history=turns[:-1],
        reference_date=_date(body, "as_of"),
    )
    return ChatRequest(ask, stream)


def source_line(citation: Citation) -> str:
    """ "[1] Title (Source, 2025-10-21) https://..." for the source list under the answer."""
    details = ", ".join(part for part in (citation.source, citation.published or "undated") if part)
    title = inert_markdown(f"{citation.title} ({details})")
    url = web_address(citation.url)  # an article file's url may be anything: shown only as a clean address
    return f"[{citation.number}] {title}" + (f" {url}" if url else "")


def content(answer: Answer) -> str:
    """The reply's text: the verified answer with its [n] markers, the passage sentences it rests on, the
    sentences removed as not found in the sources, then the numbered sources it cites, as inert Markdown (a
    client that renders it links or loads nothing the model wrote)."""
    blocks = [inert_markdown(answer.text)]
    if evidence := answer.evidence():
        quotes = (f"> “{inert_markdown(sentence)}” [{c.number}]" for c, sentence in evidence)
        blocks.append(f"{EVIDENCE_HEADING}\n" + "\n".join(quotes))
    if answer.unsupported:
        blocks.append(f"{REMOVED_HEADING} " + " ".join(f"“{inert_markdown(s)}”" for s in answer.unsupported))
    if answer.citations:
        blocks.append(f"{SOURCES_HEADING}\n" + "\n".join(source_line(c) for c in answer.citations))
    return "\n\n".join(blocks)


def completion(answer: Answer, completion_id: str, created: int) -> dict[str, Any]:
    """A `chat.completion` object for a final answer, the whole Answer in its EXTRA field."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content(answer)},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        EXTRA: answer.to_dict(),
    }


def chunk(completion_id: str, created: int, delta: dict[str, str], answer: Answer | None = None) -> dict[str, Any]:
    """A `chat.completion.chunk` object; the final one (given the answer) has finish_reason "stop" and the
    whole Answer in its EXTRA field."""
    data: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": "stop" if answer else None}],
    }
    if answer is not None:
        data[EXTRA] = answer.to_dict()
    return data


def chunks(answer: Answer, completion_id: str, created: int) -> list[dict[str, Any]]:
    """The chunks that follow the opening one (role only) once the answer is final: its verified content,
    then the closing chunk. Unverified text is never sent, since a stream can only add to what was sent."""
    return [chunk(completion_id, created, {"content": content(answer)}), chunk(completion_id, created, {}, answer)]


def error(
    message: str, kind: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """An OpenAI-style error object."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}
