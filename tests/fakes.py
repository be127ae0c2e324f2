"""The tests' shared fakes: a scripted answering model, a scripted OpenAI-compatible chat server, scripted QAs
for the adapters' tests, a
deterministic embedder, and the test backends the generators and embedders registries find them by (conftest
registers them: "scripted:N" and "hashing:N"). They isolate the logic around the models (what is asked, what
is checked, what is shown); the real models have their own tests."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from rag.model import Answer
from rag.search.planning import validate_question


class Registered:
    """A test double a registry finds by its location ("scheme:N", given when it is registered); each load
    through the registry is counted (loads) and takes load_seconds."""

    location = ""
    loads = 0
    load_seconds = 0.0


class Doubles:
    """A registry's test backend: the doubles registered under one scheme, loaded by their location."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.doubles: dict[str, Registered] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def register(self, double):
        with self._lock:
            double.location = f"{self.scheme}:{next(self._numbers)}"
            self.doubles[double.location] = double
        return double

    def forget(self, double) -> None:
        self.doubles.pop(double.location, None)

    def find(self, location: str):
        double = self.doubles[location]
        with self._lock:
            double.loads += 1
        time.sleep(double.load_seconds)
        return double


class ScriptedModels(Doubles):
    """The generators registry's test backend (Settings(generator=model.location))."""

    def load(self, settings):
        return self.find(settings.generator)

    def check(self, settings):
        return None


class FakeEmbedders(Doubles):
    """The embedders registry's test backend (Settings(embedding_model=embedder.location))."""

    def load(self, model, settings):
        return self.find(model)

    def check(self, model, settings):
        return None


SCRIPTED_MODELS = ScriptedModels("scripted")  # conftest registers them: Settings(generator="scripted:N")
FAKE_EMBEDDERS = FakeEmbedders("hashing")  # and Settings(embedding_model="hashing:N")


class ScriptedModel(Registered):
    """An answering model that gives its replies one call after the other (the last one again when they run
    out), piece by piece as a real model streams, and keeps each call's messages, prompt and markers. With short,
    the second reading's short-answer prompts get those replies in turn instead (the last one again).
    refuse=True: any call fails the test (the model must not be asked)."""

    name = "scripted"

    def __init__(self, *replies: str, refuse: bool = False, short: tuple[str, ...] = ()) -> None:
        self.replies = list(replies) or [""]
        self.short = list(short)
        self.refuse = refuse
        self.calls = 0
        self.short_calls = 0
        self.prompts: list[str] = []
        self.messages: list[dict[str, str]] | None = None
        self.markers: int | None = None

    def stream(self, messages, max_tokens, should_stop=lambda: False, markers=0):
        if self.refuse:
            raise AssertionError("the model was called")
        self.messages, self.markers = messages, markers
        self.prompts.append(messages[-1]["content"])
        if self.short and messages[-1]["content"].endswith("Short answer:"):
            self.short_calls += 1
            reply = self.short[min(self.short_calls, len(self.short)) - 1]
        else:
            self.calls += 1
            reply = self.replies[min(self.calls, len(self.replies)) - 1]
        words = reply.split(" ")
        yield from words[:1] + [" " + word for word in words[1:]]


class ReadingModel(ScriptedModel):
    """A ScriptedModel that also gives the probabilities of its reply's first token: odds, or odds(messages)
    when it is a function; each call's messages are kept in asked."""

    def __init__(self, *replies: str, odds, refuse: bool = False, short: tuple[str, ...] = ()) -> None:
        super().__init__(*replies, refuse=refuse, short=short)
        self.odds = odds
        self.asked: list[list[dict[str, str]]] = []

    def next_token(self, messages, top=20, reuse_prefix=False):
        self.asked.append(messages)
        return dict(self.odds(messages) if callable(self.odds) else self.odds)


class CountingModel:
    """Wraps a real answering model and counts the calls."""

    def __init__(self, inner) -> None:
        self.inner, self.calls, self.name = inner, 0, inner.name

    def stream(self, messages, max_tokens, should_stop=lambda: False, markers=0):
        self.calls += 1
        return (yield from self.inner.stream(messages, max_tokens, should_stop, markers))


class HashingEmbedder(Registered):
    """A deterministic embedder shaped like all-MiniLM-L6-v2 (384 dimensions, L2-normalised float32): each
    lowercased word adds a fixed pseudo-random direction, so texts sharing words are similar. No torch."""

    model_id = "test:hashing-embedder"
    dim = 384
    max_tokens = 256

    def __init__(self) -> None:
        self.calls: list[int] = []

    @staticmethod
    def _words(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    def count_tokens(self, texts):
        return [len(self._words(text)) + 2 for text in texts]

    def encode(self, texts, progress=False):
        from rag.index.embedder_identity import PROBE

        if list(texts) != [PROBE]:  # the index's record of its embedder is not counted
            self.calls.append(len(texts))
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in self._words(text):
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
                vectors[row] += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


class CountingEmbedder:
    """Passes everything to another embedder and counts the texts of chunks it encodes; interrupt_at: the build
    is interrupted (Ctrl-C) at that call."""

    def __init__(self, inner, interrupt_at: int = 0) -> None:
        self.inner, self.interrupt_at = inner, interrupt_at
        self.model_id, self.dim, self.max_tokens = inner.model_id, inner.dim, inner.max_tokens
        self.calls: list[int] = []

    def count_tokens(self, texts):
        return self.inner.count_tokens(texts)

    def encode(self, texts, progress=False):
        from rag.index.embedder_identity import PROBE

        if list(texts) == [PROBE]:  # the index's record of its embedder, not a chunk: not counted
            return self.inner.encode(texts)
        if len(self.calls) + 1 == self.interrupt_at:
            raise KeyboardInterrupt
        self.calls.append(len(texts))
        return self.inner.encode(texts, progress=progress)


class ChatServer:
    """An OpenAI-compatible chat server on loopback, in this process: streams the pieces reply(request body)
    returns (sends them whole when the request does not stream), after delay seconds; requests keeps every request body. Stop it with close()."""

    def __init__(self, reply, delay: float = 0.0) -> None:
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(body)
                time.sleep(delay)
                pieces = reply(body)
                self.send_response(200)
                if not body.get("stream"):  # a whole reply, without token probabilities
                    message = {"role": "assistant", "content": "".join(pieces)}
                    data = json.dumps({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(data.encode())
                    return
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for piece in pieces:
                    data = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


class ScriptedQA:
    """Streams like QA.stream: the passages, an unverified draft, then the given final answer; notes each Ask."""

    def __init__(self, final: Answer) -> None:
        self.final, self.calls = final, []

    def stream(self, ask, should_stop=lambda: False):
        self.calls.append(ask)
        question = validate_question(ask.question, 1000)
        yield Answer(question, "", done=False)
        yield Answer(question, "The leaders met in Budapest and ate goulash [1].", done=False)
        yield replace(self.final, question=question)


class QAUntilStopped:
    """Streams like QA.stream and writes until it is told to stop (at most 20 s), noting when it was; then the
    given final answer."""

    def __init__(self, final: Answer) -> None:
        self.final, self.stopped = final, threading.Event()

    def stream(self, ask, should_stop=lambda: False):
        question = ask.question
        yield Answer(question, "", done=False)
        deadline = time.monotonic() + 20
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(0.05)
            yield Answer(question, "The leaders met", done=False)
        if should_stop():
            self.stopped.set()
        yield replace(self.final, question=question)
