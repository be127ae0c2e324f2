"""The chat server under 20 concurrent gradio_client sessions (loopback only), with the fast answering model so
the queue drains in about a minute; and what its HTTP endpoints refuse to serve."""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import http_status, running_server

pytestmark = pytest.mark.slow
SESSIONS = 20
QUESTIONS = ["Where did Trump say the meeting with Putin would happen?",
             "Who said Russia would only negotiate if the root causes were addressed?",
             "What did the article say about Tomahawk missiles?",
             "When was the summit planned?"]
BUSY = "queue is full"


@pytest.fixture(scope="module")
def fast_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("ui-load"), RAG_GENERATOR="fast", RAG_MAX_NEW_TOKENS="24",
                        RAG_THREADS="1") as server:
        yield server


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status", encoding="ascii"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def ask(url: str, number: int) -> tuple[str, object]:
    """One session: a fresh client asks one question; ("answer", messages) or ("busy" | "error", text)."""
    from gradio_client import Client

    try:
        messages, _ = Client(url, verbose=False).submit(QUESTIONS[number % len(QUESTIONS)],
                                                        api_name="/chat").result(timeout=420)
    except Exception as exc:  # the client raises the server's message
        return ("busy" if BUSY in str(exc).lower() else "error", f"{type(exc).__name__}: {exc}")
    return "answer", messages


def test_twenty_concurrent_sessions_all_get_answers_or_a_clean_busy_message(fast_server):
    ask(fast_server.url, 0)  # warm: first request loads nothing new but settles the process
    before = rss_mb(fast_server.pid)
    started = time.monotonic()
    with ThreadPoolExecutor(SESSIONS) as pool:
        results = list(pool.map(lambda n: ask(fast_server.url, n), range(SESSIONS)))
    elapsed = time.monotonic() - started
    after = rss_mb(fast_server.pid)

    errors = [detail for kind, detail in results if kind == "error"]
    assert errors == [], errors
    answers = [detail for kind, detail in results if kind == "answer"]
    assert len(answers) + sum(kind == "busy" for kind, _ in results) == SESSIONS
    for messages in answers:
        assert messages and isinstance(messages[0]["content"], str) and messages[0]["content"].strip()
        assert not messages[0]["content"].startswith(("**Error", "**Unexpected")), messages
    assert elapsed < 420
    assert after - before < 300, f"server memory grew from {before:.0f} MB to {after:.0f} MB"
    log = fast_server.log.read_text()
    assert "Traceback" not in log, log[-3000:]


def test_the_server_serves_no_files_outside_its_folders(fast_server):
    for path in ("gradio_api/file=/etc/passwd", "file=/etc/passwd", "gradio_api/file=../../../../etc/passwd",
                 f"gradio_api/file={fast_server.index}/manifest.json", "static/../../../../etc/passwd"):
        status = http_status(fast_server.url + path)
        assert status in (400, 403, 404, 405), (path, status)
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(fast_server.url, timeout=10) as page:
        assert "root:x:" not in page.read().decode("utf-8", "replace")
