"""Any OpenAI-compatible chat server over HTTP (llama.cpp's llama-server, Ollama, vLLM ...): "openai:URL"."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from rag.answering.models.contract import AnsweringModel, Messages, ReplyStream, StopCheck, marker_grammar
from rag.config import Settings
from rag.errors import ModelNotFoundError, RagError
from rag.locations import after_scheme


class OpenAICompatibleGenerator:
    """An OpenAI-compatible chat server (POST {base_url}/chat/completions, streamed as server-sent events).

    The marker grammar goes in llama.cpp's `grammar` field; a server that refuses that field (400 naming it)
    is asked again without it, from then on. Failures are one RagError line naming the server."""

    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"{model or 'the model'} at {self.base_url}"
        self._api_key = api_key
        self._timeout = timeout
        self.sends_grammar = True  # until the server refuses it

    def stream(
        self, messages: Messages, max_tokens: int, should_stop: StopCheck = lambda: False, markers: int = 0
    ) -> ReplyStream:
        request: dict[str, Any] = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
            **({"model": self.model} if self.model else {}),
        }
        url = f"{self.base_url}/chat/completions"
        with self._client() as client:
            while True:
                grammar = bool(markers) and self.sends_grammar
                body = {**request, "grammar": marker_grammar(markers)} if grammar else request
                with client.stream("POST", url, json=body) as response:
                    if response.status_code == 400 and grammar and b"grammar" in response.read().lower():
                        self.sends_grammar = False  # not a llama.cpp server: the citation parser checks markers
                        continue
                    if response.status_code >= 400:
                        raise RagError(self._refused(response.status_code, response.read()))
                    for piece in _sse_text(response.iter_lines(), self.base_url):
                        yield piece
                        if should_stop():
                            return None  # closing the response closes the connection: the server stops too
                return None  # the protocol gives no timings

    def next_token(self, messages: Messages, top: int = 20, reuse_prefix: bool = False) -> dict[str, float]:
        """The probabilities of the reply's first tokens (the OpenAI `logprobs` / `top_logprobs` fields); from a
        server that gives none, the reply's first word with probability 1."""
        body: dict[str, Any] = {
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": top,
            **({"model": self.model} if self.model else {}),
        }
        with self._client() as client:
            response = client.post(f"{self.base_url}/chat/completions", json=body)
        if response.status_code >= 400:
            raise RagError(self._refused(response.status_code, response.content))
        try:
            choice = (response.json().get("choices") or [{}])[0]
        except (ValueError, AttributeError):
            raise RagError(f"the answering server {self.base_url} sent a reply that is not a chat completion: "
                           f"{response.text[:100]!r}") from None  # fmt: skip
        listed = ((choice.get("logprobs") or {}).get("content") or [{}])[0].get("top_logprobs") or []
        odds: dict[str, float] = {}
        for entry in listed:
            token = str(entry.get("token", "")).strip()
            odds[token] = odds.get(token, 0.0) + math.exp(float(entry.get("logprob", -math.inf)))
        if not odds:
            text = str((choice.get("message") or {}).get("content") or "").split()
            odds = {text[0].strip(".,:;"): 1.0} if text else {}
        return odds

    @contextmanager
    def _client(self) -> Iterator[Any]:
        """An HTTP client to the server (no proxy for loopback); timeouts and transport failures as RagError."""
        import httpx

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        loopback = urlsplit(self.base_url).hostname in ("127.0.0.1", "localhost", "::1")
        try:
            with httpx.Client(timeout=self._timeout, headers=headers, trust_env=not loopback) as client:
                yield client
        except httpx.TimeoutException:
            raise RagError(
                f"the answering server {self.base_url} did not answer within {self._timeout:g} s; "
                "check that it is running and not overloaded, or raise RAG_OPENAI_TIMEOUT"
            ) from None
        except httpx.TransportError as exc:
            reason = "connection refused" if isinstance(exc, httpx.ConnectError) else type(exc).__name__
            raise RagError(
                f"the answering server {self.base_url} is not reachable ({reason}); start it or change --model"
            ) from None

    def _refused(self, status: int, body: bytes) -> str:
        """The one line for an HTTP error from the server, with its own message."""
        try:
            error = json.loads(body).get("error")
            message = error.get("message") if isinstance(error, dict) else error
        except (ValueError, AttributeError):
            message = None
        message = " ".join(str(message or body.decode("utf-8", "replace") or "no message").split())[:300]
        hint = " (set RAG_OPENAI_MODEL to one of its models)" if status in (400, 404) and not self.model else ""
        hint += " (check RAG_OPENAI_API_KEY)" if status in (401, 403) else ""
        return f"the answering server {self.base_url} refused the request ({status}: {message}){hint}"


def _sse_text(lines: Iterator[str], server: str) -> Iterator[str]:
    """The content pieces of an OpenAI chat completion stream ("data: {...}" lines up to "data: [DONE]")."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            raise RagError(f"the answering server {server} sent a line that is not JSON: {data[:100]!r}") from None
        if chunk.get("error"):
            error = chunk["error"]
            raise RagError(
                f"the answering server {server} failed: {error.get('message') if isinstance(error, dict) else error}"
            )
        for choice in chunk.get("choices") or []:
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield text


class OpenAIServer:
    """The generators' backend for openai:URL (RAG_OPENAI_MODEL, RAG_OPENAI_API_KEY, RAG_OPENAI_TIMEOUT)."""

    @staticmethod
    def load(settings: Settings) -> AnsweringModel:
        url = after_scheme(settings.generator)
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ModelNotFoundError(
                f"answering server {url!r} is not an http(s) address; write it as openai:http://HOST:PORT/v1"
            )
        return OpenAICompatibleGenerator(url, settings.openai_model, settings.openai_api_key, settings.openai_timeout)

    @staticmethod
    def check(settings: Settings) -> str | None:
        return None  # a server: reached on the first answer
