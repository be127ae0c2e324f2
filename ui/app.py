"""Serving the chat page (ui.page) and the HTTP API (ui.api) on one port: the login and the API key a public
address needs, the port checked before minutes of loading, the launch, and `serve`, the `rag serve` entry
point. Retrieval, answering, citations and uploads live in rag/."""

from __future__ import annotations

import hmac
import os
import socket
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rag.config import Settings
from rag.errors import NoArticlesError, RagError
from ui.api import api_routes
from ui.model_queue import ModelQueue
from ui.page.assets import CSS, PAGE_JS
from ui.page.layout import OFFLINE_ENV, build_app
from ui.same_site import LOOPBACK_HOSTS, SameSiteOnly

if TYPE_CHECKING:  # gradio is imported lazily, after the offline environment is set
    import gradio as gr
    from starlette.routing import BaseRoute


Login = tuple[str, str] | Callable[[str, str], bool]  # a user and password, or a check of both


def login_for(host: str) -> Login | None:
    """The page's login. Off loopback: RAG_UI_USER / RAG_UI_PASSWORD, required. On loopback: none, unless
    RAG_API_KEY is set; then the page asks for a login too (RAG_UI_USER / RAG_UI_PASSWORD when set, else any
    name with the key as password), so its own endpoints are no open side door to what the key guards."""
    user, password = os.environ.get("RAG_UI_USER", ""), os.environ.get("RAG_UI_PASSWORD", "")
    key = os.environ.get("RAG_API_KEY", "").strip()
    if host in LOOPBACK_HOSTS and not key:
        return None
    if user and password:
        return user, password
    if host in LOOPBACK_HOSTS:
        return lambda _user, given: hmac.compare_digest(given.encode(), key.encode())
    raise RagError(
        f"serving on {host} makes the chat reachable from other machines, so it needs a login: "
        "set RAG_UI_USER and RAG_UI_PASSWORD, or serve on --host 127.0.0.1"
    )


def api_key_for(host: str) -> str | None:
    """RAG_API_KEY, which the API's /v1/ routes then require as a Bearer token; required off loopback."""
    key = os.environ.get("RAG_API_KEY", "").strip()
    if not key and host not in LOOPBACK_HOSTS:
        raise RagError(
            f"serving on {host} makes the API reachable from other machines, so it needs a key: set "
            "RAG_API_KEY (clients send it as 'Authorization: Bearer KEY'), or serve on --host 127.0.0.1"
        )
    return key or None


def check_port_free(host: str, port: int) -> None:
    """RagError naming the fix when another program already listens on host:port."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
            probe.bind(address)
    except OSError as exc:
        raise _port_taken(host, port, exc.strerror or str(exc)) from None


def _port_taken(host: str, port: int, reason: str) -> RagError:
    """The one-line error for a port that cannot be served on, naming the fix."""
    return RagError(
        f"cannot serve on {host}:{port} ({reason}); another program (the chat already running?) "
        "uses it: stop it or pick another port with --port N"
    )


def launch(
    demo: gr.Blocks,
    host: str,
    port: int,
    settings: Settings,
    auth: Login | None,
    routes: list[BaseRoute] | None = None,
) -> None:
    """Start serving demo on host:port without blocking, with routes (the HTTP API) before the page's own; a
    page without a login answers only this machine's names and pages (ui.same_site); a port another program
    took since it was checked is a RagError naming the fix, not Gradio's traceback."""
    import gradio as gr
    from starlette.middleware import Middleware

    try:  # Gradio passes app_kwargs to its FastAPI app, whose routes= are matched before the ones Gradio adds
        demo.launch(
            server_name=host,
            server_port=port,
            share=False,
            auth=auth,
            prevent_thread_lock=True,
            quiet=True,
            show_error=False,
            ssr_mode=False,
            max_file_size=settings.max_file_bytes,
            theme=gr.themes.Default(),
            css=CSS,
            js=PAGE_JS,
            footer_links=["api"],
            app_kwargs={
                "routes": routes or [],
                "middleware": [] if auth else [Middleware(SameSiteOnly, allowed_hosts=settings.allowed_hosts)],
            },
        )
    except OSError:  # Gradio's message names its own settings, not ours
        raise _port_taken(host, port, "it could not be opened") from None


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, build: bool = True) -> None:
    """Update the index (when build), load the models and serve the chat page and the HTTP API until
    interrupted."""
    auth = login_for(host)
    api_key = api_key_for(host)
    check_port_free(host, port)  # before minutes of building and loading, not after
    os.environ.update(OFFLINE_ENV)
    from rag.answering.qa import QA

    qa = QA(settings)
    if build:
        try:
            print(qa.index.build().summary(), flush=True)
        except NoArticlesError as exc:  # the page can still take uploads
            print(f"warning: {exc}", file=sys.stderr)
    started = time.perf_counter()
    try:
        qa.retriever()
    except RagError as exc:
        print(f"warning: {exc}", file=sys.stderr)
    _ = qa.generator  # load the answering model now, not during the first question
    print(f"models loaded in {time.perf_counter() - started:.0f} s", flush=True)
    model_queue = ModelQueue(settings.queue_size)
    demo = build_app(qa, settings, model_queue)
    demo.queue(default_concurrency_limit=1, max_size=settings.queue_size)  # beyond it: "queue is full"
    launch(demo, host, port, settings, auth, api_routes(qa, settings, model_queue, api_key))
    shown = f"[{host}]" if ":" in host else host
    print(f"Chat running at http://{shown}:{port}", flush=True)
    print(
        f"OpenAI-compatible API at http://{shown}:{port}/v1 (model news-rag{', key: RAG_API_KEY' if api_key else ''})",
        flush=True,
    )
    try:
        demo.block_thread()
    finally:
        demo.close()
