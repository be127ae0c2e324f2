"""Fetching a web page the user asked for: http(s) only, a clear user agent, a timeout, a size cap, redirects
followed within a limit (each hop checked again), private and loopback addresses refused unless allowed, and
conditional GET (ETag / Last-Modified) for feeds."""

from __future__ import annotations

import ipaddress
import re
import socket
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from rag.errors import FetchError

if TYPE_CHECKING:
    import httpx

USER_AGENT = "news-rag/0.1 (offline news question answering; fetches only what its user adds)"


@dataclass(frozen=True)
class FetchLimits:
    """How a page is fetched (Settings.fetch_limits() builds it from the RAG_FETCH_* settings)."""

    timeout: float = 20.0  # seconds for connecting and for each read
    total_seconds: float = 60.0  # the whole fetch, redirects and body included (a page that trickles in ends)
    max_bytes: int = 5_000_000  # a larger body is refused
    max_redirects: int = 5
    max_chars: int = 300_000  # an article's text longer than this is refused (a book, or a page of junk)
    items_per_round: int = 100  # new items one feed brings in one update round; the rest wait for the next
    round_seconds: float = 600.0  # one update round over all feeds; items and feeds not reached wait for the next
    allow_private: bool = False  # loopback, private, link-local addresses (off: only public hosts)
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Page:
    """A fetched page: where it ended up, what it is, its body, and its validators for the next conditional GET.
    not_modified: the server answered 304 to a conditional GET (the body is empty)."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    content_type: str
    body: bytes
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False

    def text(self) -> str:
        """The body as text, in the charset the server declared (UTF-8 when it declared none)."""
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"'")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


_HOST_AND_PORT = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
_MARKUP_SAFE = "/%:@!$&+,;=-._~?"  # kept as they are; every other character is percent-encoded


def web_address(url: str) -> str | None:
    """url as an absolute http(s) address, re-serialised: no credentials, and every character that could be
    read as markup or end the address (brackets, quotes, '<', '*') percent-encoded; None when it is no such
    address (another scheme, no host, a host or port of other characters, or white space inside)."""
    text = url.strip()
    parts = urlsplit(text)
    host = parts.netloc.rpartition("@")[2]  # without user:password@
    if parts.scheme.lower() not in ("http", "https") or any(c.isspace() for c in text):
        return None
    if not host or not _HOST_AND_PORT.fullmatch(host):
        return None
    path, query, fragment = (quote(part, safe=_MARKUP_SAFE) for part in (parts.path, parts.query, parts.fragment))
    return urlunsplit((parts.scheme.lower(), host.lower(), path, query, fragment))


def check_url(url: str, allow_private: bool = False) -> str:
    """The URL if it may be fetched: http or https with a host that is public (or any host with
    allow_private); FetchError naming what is wrong otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"{url}: only http:// and https:// addresses can be added")
    if not parts.hostname:
        raise FetchError(f"{url}: the address names no host")
    if not allow_private:
        _public_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), url)
    return url.strip()


def _public_address(host: str, port: int, url: str) -> str:
    """The address host resolves to, when every address it resolves to is public; FetchError otherwise."""
    addresses = _addresses(host, port, url)
    for address in addresses:
        if not is_public(address):
            raise FetchError(
                f"{url}: {host} is a private or local address ({address}); add --allow-private "
                "(RAG_FETCH_ALLOW_PRIVATE=1) to fetch from your own network"
            )
    return str(addresses[0])


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # an IPv4 address in the last 32 bits
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # a network's own translation prefix: never public


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet; an IPv6 address that carries an IPv4 one (mapped, 6to4,
    Teredo, NAT64) is public only when the IPv4 address is ("64:ff9b::7f00:1" is 127.0.0.1)."""
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    if address in _LOCAL_NAT64:
        return False
    carried = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
    if carried is None and address in _NAT64:
        carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return carried is None or carried.is_global


def _addresses(host: str, port: int, url: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"{url}: cannot find the host {host} ({exc.strerror or exc}); check the address") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def fetch(url: str, limits: FetchLimits, etag: str = "", last_modified: str = "") -> Page:
    """GET url within the limits (etag / last_modified: from the last fetch, for a conditional GET).
    FetchError with one clear line for every failure: bad address, refused host, timeout, connection
    error, HTTP error status, redirect loop or too many redirects, body over the size cap."""
    import httpx

    headers = {
        "User-Agent": limits.user_agent,
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*",
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    seen: list[str] = []
    current = check_url(url, limits.allow_private)
    deadline = time.monotonic() + limits.total_seconds
    transport = None if limits.allow_private else _checked_transport(url)
    with httpx.Client(timeout=limits.timeout, follow_redirects=False, headers=headers, transport=transport) as client:
        while True:
            if time.monotonic() > deadline:  # a chain of slow redirects
                raise _late(url, limits)
            seen.append(current)
            try:
                with client.stream("GET", current) as response:
                    if response.status_code == 304:
                        return Page(url, current, "", b"", etag, last_modified, not_modified=True)
                    if response.is_redirect:
                        target = urljoin(current, response.headers.get("location", ""))
                        if target in seen:
                            raise FetchError(f"{url}: the server redirects in a loop ({' -> '.join([*seen, target])})")
                        if len(seen) > limits.max_redirects:
                            raise FetchError(f"{url}: more than {limits.max_redirects} redirects; open it in a browser")
                        current = check_url(target, limits.allow_private)
                        continue
                    if response.status_code >= 400:
                        raise FetchError(f"{url}: the server answered {response.status_code} {response.reason_phrase}")
                    body = _read_capped(response, limits, url, deadline)
                    return Page(
                        url,
                        current,
                        response.headers.get("content-type", ""),
                        body,
                        response.headers.get("etag", ""),
                        response.headers.get("last-modified", ""),
                    )
            except httpx.TimeoutException:
                raise FetchError(f"{url}: no answer within {limits.timeout:g} s (RAG_FETCH_TIMEOUT)") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: cannot fetch ({exc or type(exc).__name__})") from None


def _checked_transport(url: str) -> httpx.HTTPTransport:
    """A transport that connects to the very address it checked: the name is resolved once per connection, every
    address must be public, and the socket goes to that address (TLS still checks the name). A name that
    answers a public address to a first look and a private one to the next (DNS rebinding) cannot reach the
    private one. A proxy from the environment, when set, is reached as configured."""
    import httpcore
    import httpx

    class CheckedBackend(httpcore.SyncBackend):
        def connect_tcp(self, host: str, port: int, *args: object, **kwargs: object) -> httpcore.NetworkStream:
            return super().connect_tcp(_public_address(host, port, url), port, *args, **kwargs)  # type: ignore[arg-type]

    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=CheckedBackend())
    return transport


def _read_capped(response: httpx.Response, limits: FetchLimits, url: str, deadline: float) -> bytes:
    """The body, refused as soon as it passes the size cap (a declared Content-Length before anything is read)
    or the fetch's deadline passes (a page that trickles in a byte at a time)."""
    max_bytes = limits.max_bytes
    declared = response.headers.get("content-length", "")
    too_big = FetchError(f"{url}: the page is over the {max_bytes:,}-byte limit (RAG_FETCH_MAX_BYTES)")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    body = bytearray()
    for block in _inflated(response, url):
        body += block
        if len(body) > max_bytes:
            raise too_big
        if time.monotonic() > deadline:
            raise _late(url, limits)
    return bytes(body)


_PIECE_BYTES = 65_536


def _inflated(response: httpx.Response, url: str) -> Iterator[bytes]:
    """The body as sent, inflated (gzip or deflate) 64 kB at a time: a small compressed body that inflates to
    gigabytes is refused by the size cap before it fills memory."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        yield from response.iter_raw()
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"{url}: the page is sent in an encoding this reader does not know ({encoding})")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # a gzip or zlib header, told apart by the header itself
    try:
        for raw in response.iter_raw():
            while raw:
                yield inflater.decompress(raw, _PIECE_BYTES)
                raw = inflater.unconsumed_tail
    except zlib.error as exc:
        raise FetchError(f"{url}: the page's {encoding} body cannot be read ({exc})") from None


def _late(url: str, limits: FetchLimits) -> FetchError:
    return FetchError(f"{url}: not fetched within {limits.total_seconds:g} s in all (RAG_FETCH_TOTAL_SECONDS)")
