"""Vectors from an OpenAI-compatible embeddings server (text-embeddings-inference, llama.cpp's server with
--embedding, Ollama, vLLM, Infinity): RAG_EMBEDDER=openai:http://HOST:PORT/v1, so a large archive is embedded
on a GPU machine instead of the laptop's cores. Texts go in batches, a few requests in flight at once; a 429 or
5xx answer or a dropped connection is tried again with backoff; every other failure is one line naming the
server and the fix. Chunks are still measured locally, with the packaged model's tokenizer."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from rag.config import Settings
from rag.errors import ModelNotFoundError
from rag.locations import after_scheme

RETRIED_STATUSES = {429, 500, 502, 503, 504}
ATTEMPTS = 5  # a request is sent at most this often
BACKOFF_SECONDS = 0.5  # the wait before the second attempt, doubled before each next one (at most MAX_WAIT)
MAX_WAIT = 30.0
MAX_TOKENS = 512  # what the server is assumed to read of one text (servers truncate longer ones themselves)


class EmbedderError(ModelNotFoundError):
    """The embeddings server cannot give the vectors (down, refusing, or answering in another shape)."""


class OpenAIEmbedder:
    """An Embedder whose vectors come from POST {url}/embeddings (the OpenAI embeddings API), L2-normalised."""

    def __init__(self, url: str, model: str = "", api_key: str = "", timeout: float = 60.0, batch_size: int = 32,
                 in_flight: int = 4) -> None:  # fmt: skip
        import httpx

        self.url = url.rstrip("/")
        self.model = model
        self.model_id = f"openai:{self.url}" + (f" ({model})" if model else "")
        self.batch_size = max(1, batch_size)
        self.in_flight = max(1, in_flight)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers, trust_env=False)
        self._tokenizer: Any = None
        self._tokenizer_lock = threading.Lock()
        self.max_tokens = MAX_TOKENS
        self.dim = int(self._request(["dimension probe"]).shape[1])

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [list(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        if len(batches) == 1:
            return self._request(batches[0])
        with ThreadPoolExecutor(min(self.in_flight, len(batches))) as pool:
            return np.vstack(list(pool.map(self._request, batches)))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of the packaged model's tokenizer (the server's own count is not asked for)."""
        if not texts:
            return []
        with self._tokenizer_lock:
            if self._tokenizer is None:
                from transformers import AutoTokenizer

                from rag.index.embedding import packaged_model_path

                self._tokenizer = AutoTokenizer.from_pretrained(str(packaged_model_path()), local_files_only=True)
        encoded = self._tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def _request(self, batch: list[str]) -> np.ndarray:
        """The vectors of one batch, in its order; retried on 429, 5xx and dropped connections."""
        import httpx

        body: dict[str, Any] = {"input": batch, "encoding_format": "float"}
        if self.model:
            body["model"] = self.model
        wait = BACKOFF_SECONDS
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._client.post(f"{self.url}/embeddings", json=body)
            except httpx.HTTPError as exc:
                problem = f"is not answering ({exc or type(exc).__name__})"
            else:
                if response.status_code == 200:
                    return self._vectors(response, len(batch))
                if response.status_code not in RETRIED_STATUSES:
                    raise EmbedderError(self._refusal(response))
                problem = f"answered {response.status_code} {response.reason_phrase}"
                wait = max(wait, _retry_after(response))
            if attempt < ATTEMPTS:
                time.sleep(min(wait, MAX_WAIT))
                wait *= 2
        raise EmbedderError(
            f"the embeddings server at {self.url} {problem}, {ATTEMPTS} times; start it (or check its address), "
            "or unset RAG_EMBEDDER to embed on this machine"
        )

    def _vectors(self, response: Any, count: int) -> np.ndarray:
        """The answer's vectors in input order, L2-normalised; EmbedderError naming the shape it had otherwise."""
        try:
            data = response.json()["data"]
            ordered = sorted(data, key=lambda item: item.get("index", 0))
            vectors = np.asarray([item["embedding"] for item in ordered], dtype=np.float32)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise EmbedderError(
                f"the embeddings server at {self.url} answered without a 'data' list of 'embedding' vectors "
                f"({response.text[:120]!r}); it must speak the OpenAI embeddings API (POST /v1/embeddings)"
            ) from None
        if vectors.ndim != 2 or len(vectors) != count or (hasattr(self, "dim") and vectors.shape[1] != self.dim):
            raise EmbedderError(
                f"the embeddings server at {self.url} sent {vectors.shape} vectors for {count} texts "
                f"(dimension {getattr(self, 'dim', '?')} expected); is it serving another model now?"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def _refusal(self, response: Any) -> str:
        status = response.status_code
        if status in (401, 403):
            fix = "set RAG_EMBEDDER_API_KEY to the server's key"
        elif status == 404:
            fix = "give the server's OpenAI address, ending in /v1 (RAG_EMBEDDER=openai:http://HOST:PORT/v1)"
        else:
            fix = f"check RAG_EMBEDDER_MODEL ({self.model or 'unset'}) and the server's log"
        return (
            f"the embeddings server at {self.url} refused the request ({status} {response.reason_phrase}: "
            f"{response.text[:160]!r}); {fix}"
        )


def _retry_after(response: Any) -> float:
    try:
        return float(response.headers.get("retry-after", 0))
    except ValueError:
        return 0.0


class OpenAIEmbeddings:
    """The embedders' backend for "openai:URL" locations."""

    @staticmethod
    def load(model: str, settings: Settings) -> OpenAIEmbedder:
        return OpenAIEmbedder(
            after_scheme(model),
            settings.embedder_model,
            settings.embedder_api_key,
            settings.embedder_timeout,
            settings.embed_batch_size,
            settings.embedder_requests,
        )

    @staticmethod
    def check(model: str, settings: Settings) -> str | None:
        try:
            embedder = OpenAIEmbeddings.load(model, settings)
        except EmbedderError as exc:
            return str(exc)
        return None if embedder.dim > 0 else f"the embeddings server at {after_scheme(model)} sent empty vectors"
