"""A small OpenAI-compatible embeddings server on 127.0.0.1 over the packaged all-MiniLM-L6-v2: POST
/v1/embeddings as text-embeddings-inference, llama.cpp or Ollama answer it, to measure and test
RAG_EMBEDDER=openai:URL on this machine.

    python studies/serve_embeddings.py [--port 8081]     # then RAG_EMBEDDER=openai:http://127.0.0.1:8081/v1

EmbeddingServer (a thread of the caller's process) counts requests and texts, and can fail on purpose:
fail_after=N answers 500 from the (N+1)th request on; busy=True answers 503 to each request the first time its
texts come (the retry gets through)."""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class EmbeddingServer:
    def __init__(self, embedder, model: str = "all-MiniLM-L6-v2", key: str = "", port: int = 0) -> None:
        self.embedder, self.model, self.key = embedder, model, key
        self.requests = self.texts = 0
        self.fail_after: int | None = None
        self.busy = False
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                server.answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length", 0))) or b"{}")
        with self.lock:
            self.requests += 1
            number = self.requests
        if handler.path != "/v1/embeddings":
            return self._send(handler, 404, {"error": {"message": "not found"}})
        if self.key and handler.headers.get("Authorization") != f"Bearer {self.key}":
            return self._send(handler, 401, {"error": {"message": "bad key"}})
        if self.fail_after is not None and number > self.fail_after:
            return self._send(handler, 500, {"error": {"message": "out of memory"}})
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        with self.lock:
            first_time, _ = "\n".join(texts) not in self.seen, self.seen.add("\n".join(texts))
        if self.busy and first_time:
            return self._send(handler, 503, {"error": {"message": "busy"}}, {"Retry-After": "0"})
        vectors = self.embedder.encode(texts)
        with self.lock:
            self.texts += len(texts)
        data = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
        self._send(handler, 200, {"object": "list", "data": data[::-1], "model": self.model,
                                  "usage": {"prompt_tokens": 0, "total_tokens": 0}})  # fmt: skip

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/serve_embeddings.py", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args(argv)
    from rag.index.embedding import SentenceTransformerEmbedder

    server = EmbeddingServer(SentenceTransformerEmbedder(), port=args.port)
    print(f"serving all-MiniLM-L6-v2 at {server.url} (RAG_EMBEDDER=openai:{server.url}); Ctrl-C stops it", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
