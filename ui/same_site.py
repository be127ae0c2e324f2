"""One rule for who may use a server without a key or login: requests that name this machine (Host) and come
from its own pages (Origin). A web page of another site, or a DNS trick that points another name at 127.0.0.1,
is refused before anything runs, in the HTTP API and in the page's own endpoints alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def host_name(authority: str) -> str:
    """ "127.0.0.1:7860" -> "127.0.0.1", "[::1]:7860" -> "::1" ("" when it names no host)."""
    try:
        return (urlsplit(f"//{authority.strip()}").hostname or "").lower()
    except ValueError:
        return ""


def cross_site(headers: Mapping[str, str], allowed_hosts: str) -> str | None:
    """Why a request is refused: its Host is not this server's loopback name (DNS rebinding) or it comes from a
    web page of another site (its Origin); None when neither. allowed_hosts (RAG_ALLOWED_HOSTS, comma-separated)
    adds host names."""
    allowed = LOOPBACK_HOSTS | {h.strip().lower() for h in allowed_hosts.split(",") if h.strip()}
    host = host_name(headers.get("host", ""))
    if host not in allowed:
        return (
            f"the request names the host {host or '(none)'!r}, not this server's; refused (a web page's "
            "DNS trick?). Use 127.0.0.1 or localhost, or add the name to RAG_ALLOWED_HOSTS"
        )
    origin = headers.get("origin")
    if origin is not None and host_name(urlsplit(origin).netloc) not in allowed:
        return (
            f"requests from web pages of other sites ({origin}) are refused; add that site's host to "
            "RAG_ALLOWED_HOSTS to allow it, or set RAG_API_KEY"
        )
    return None


class SameSiteOnly:
    """ASGI middleware for a page served without a login: every request outside the API (which applies the rule
    itself, or its key) passes cross_site, or gets 403 with the reason."""

    def __init__(self, app: ASGIApp, allowed_hosts: str = "") -> None:
        self.app, self.allowed_hosts = app, allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/v1/"):
            reason = cross_site(Headers(scope=scope), self.allowed_hosts)
            if reason:
                await JSONResponse({"error": {"message": reason, "code": "cross_site_request"}}, 403)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)
