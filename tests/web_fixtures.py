"""A loopback web server for the tests of fetching: the team's own article pages and feeds in the shapes news
sites use, and every bad case a fetcher meets (slow host, 404/500, not HTML, empty page, redirect loop, page
over the size cap, malformed and enormous feeds). It counts requests and answers conditional GETs."""

from __future__ import annotations

import functools
import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BRIDGE = """<!doctype html><html><head><title>Harbour bridge reopens after repairs | Coastal Courier</title>
<meta property="og:site_name" content="Coastal Courier">
<link rel="canonical" href="{base}/news/bridge">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Harbour bridge reopens after repairs", "datePublished": "2024-03-14T08:00:00Z",
"author": {{"@type": "Person", "name": "Mira Olsen"}}}}</script>
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<article><h1>Harbour bridge reopens after repairs</h1><p class="byline">By Mira Olsen</p>
<p>The Harbour Bridge in Port Elling reopened to traffic on Thursday after eight months of repairs that cost
14 million euros, the city council said.</p>
<p>Engineers replaced 40 steel cables and resurfaced the deck. Mayor Ines Varga said the bridge would carry
about {vehicles} vehicles a day.</p>
<p>Cyclists will get a separate lane from April, the council added.</p></article>
<aside><h2>Related</h2><ul><li><a href="/a">Ferry fares rise</a></li><li><a href="/b">Port strike ends</a></li></ul>
</aside><footer>Copyright Coastal Courier 2024</footer></body></html>"""

FERRY = """<!doctype html><html><head><title>Ferry fares rise by a fifth</title>
<meta property="article:published_time" content="2024-03-15T09:30:00Z"></head><body>
<header><a href="/">Coastal Courier</a></header><main><h1>Ferry fares rise by a fifth</h1>
<p>Island ferry fares will rise by 20 percent from May, the operator Nordlys Lines announced on Friday.</p>
<p>Its chief executive, Tomas Berg, blamed fuel costs and said season tickets would be spared.</p></main>
</body></html>"""

EMPTY = "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a></nav></body></html>"


LAUGHS = "<!DOCTYPE rss [<!ENTITY l0 \"ha\">" + "".join(
    f"<!ENTITY l{n} \"{f'&l{n - 1};' * 10}\">" for n in range(1, 10)) + "]>"  # 10^9 "ha" if expanded


def rss(base: str, twice: bool = True) -> str:
    items = [
        ("bridge", f"{base}/news/bridge.html", "Thu, 14 Mar 2024 08:00:00 GMT", "The bridge reopened."),
        ("ferry", f"{base}/news/ferry.html", "Fri, 15 Mar 2024 09:30:00 GMT", "Fares rise."),
        ("gone", f"{base}/news/gone.html", "Sat, 16 Mar 2024 10:00:00 GMT",
         "&lt;p&gt;The harbour master, Lene Dahl, retired on Saturday after 31 years.&lt;/p&gt;"),
    ]  # fmt: skip
    if twice:
        items.append(items[1])  # a feed that lists the same item twice
    body = "".join(
        f"<item><title>{guid}</title><link>{link}</link><guid>{base}/guid/{guid}</guid><pubDate>{date}</pubDate>"
        f"<description>{summary}</description></item>"
        for guid, link, date, summary in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Coastal Courier</title>{body}</channel></rss>'


def many_rss(base: str, count: int) -> str:
    """A feed of count items whose pages are gone: each brings its own summary."""
    body = "".join(
        f"<item><title>Notice {n}</title><link>{base}/gone/notice-{n}.html</link><guid>{base}/guid/n{n}</guid>"
        f"<description>Harbour notice number {n}: the quay stays closed for repairs until further notice.</description></item>"
        for n in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Notices</title>{body}</channel></rss>'


def hostile_rss(base: str) -> str:
    """A feed whose item links carry markup: with a space (no address at all) and without one (a gone page
    whose summary is saved under its address)."""
    items = [
        ("space", f"{base}/gone/1 ![p](http://evil.example/p.png)"),
        ("markup", f"{base}/gone/2?x=&lt;img/src=x&gt;"),
    ]
    body = "".join(
        f"<item><title>{guid}</title><link>{link}</link><guid>{base}/guid/{guid}</guid>"
        "<description>The harbour master, Lene Dahl, retired on Saturday after 31 years.</description></item>"
        for guid, link in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile</title>{body}</channel></rss>'


def atom(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Courier Atom</title>'
        f'<entry><title>Ferry</title><link href="{base}/news/ferry.html"/><id>urn:ferry</id>'
        "<updated>2024-03-15T09:30:00Z</updated><summary>Fares rise.</summary></entry></feed>"
    )


class WebServer:
    """The fixture site on 127.0.0.1 (a thread of this process), stopped with stop(). requests: the paths asked
    for, in order; conditional: the paths answered 304."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.conditional: list[str] = []
        self.vehicles = "30,000"
        self.feed_etag = '"feed-1"'
        self.pdf = b""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append(self.path)
                server.answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        base = self.base
        pages = {
            "/news/bridge.html": ("text/html; charset=utf-8", BRIDGE.format(base=base, vehicles=self.vehicles)),
            "/news/bridge": ("text/html; charset=utf-8", BRIDGE.format(base=base, vehicles=self.vehicles)),
            "/news/ferry.html": ("text/html", FERRY),
            "/news/elsewhere.html": (  # names another site's page as its canonical URL
                "text/html",
                BRIDGE.format(base=base, vehicles=self.vehicles).replace(
                    f'"{base}/news/bridge"', '"https://www.reuters.com/world/harbour-bridge"'
                ),
            ),
            "/empty.html": ("text/html", EMPTY),
            "/image.png": ("image/png", "\x89PNG not a page"),
            "/big.html": ("text/html", "<html><body><p>" + "word " * 400_000 + "</p></body></html>"),
            "/feed.xml": ("application/rss+xml", rss(base)),
            "/atom.xml": ("application/atom+xml", atom(base)),
            "/hostile.xml": ("application/rss+xml", hostile_rss(base)),
            "/many.xml": ("application/rss+xml", many_rss(base, 12)),
            "/malformed.xml": ("application/rss+xml", rss(base)[:-40]),
            "/huge.xml": ("application/rss+xml", rss(base).replace("</channel>", "<x>" + "y" * 3_000_000 + "</x></channel>")),
            "/notafeed.xml": ("text/html", FERRY),
            "/xxe.xml": ("application/rss+xml", rss(base).replace('<?xml version="1.0"?>', '<?xml version="1.0"?>'
                         '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace("Coastal Courier",
                         "Coastal &xxe; Courier")),
            "/laughs.xml": ("application/rss+xml", rss(base).replace('<?xml version="1.0"?>', '<?xml version="1.0"?>'
                            + LAUGHS).replace("Coastal Courier", "Coastal &l9; Courier")),
        }  # fmt: skip
        if path == "/slow.html":
            time.sleep(3)
        if path == "/trickle.html":  # a byte every 0.2 s, for at most 20 s: no single read ever times out
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.end_headers()
            for _ in range(100):
                try:
                    handler.wfile.write(b" ")
                    handler.wfile.flush()
                except OSError:  # the client gave up
                    return
                time.sleep(0.2)
            return
        redirects = {"/moved": "/news/bridge.html", "/loop-a": "/loop-b", "/loop-b": "/loop-a"}
        if path in redirects:
            self._send(handler, 302, "text/plain", b"", {"Location": redirects[path]})
        elif path in ("/bomb.html", "/news/zipped.html"):  # 100 MB of spaces in 100 kB of gzip; a small zipped page
            body = gzip_bomb() if path == "/bomb.html" else gzip.compress(FERRY.encode("utf-8"))
            self._send(handler, 200, "text/html", body, {"Content-Encoding": "gzip"})
        elif path == "/error.html":
            self._send(handler, 500, "text/plain", b"boom")
        elif path == "/report.pdf" and self.pdf:
            self._send(handler, 200, "application/pdf", self.pdf)
        elif path == "/feed.xml" and handler.headers.get("If-None-Match") == self.feed_etag:
            self.conditional.append(path)
            self._send(handler, 304, "", b"", {"ETag": self.feed_etag})
        elif path in pages or path == "/slow.html":
            kind, text = pages.get(path, ("text/html", FERRY))
            extra = {"ETag": self.feed_etag, "Last-Modified": "Sat, 16 Mar 2024 12:00:00 GMT"} if path == "/feed.xml" else {}
            self._send(handler, 200, kind, text.encode("utf-8"), extra)
        else:
            self._send(handler, 404, "text/plain", b"not found")

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, kind: str, body: bytes, headers: dict | None = None) -> None:
        handler.send_response(status)
        if kind:
            handler.send_header("Content-Type", kind)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@functools.cache
def gzip_bomb() -> bytes:
    return gzip.compress(b" " * 100_000_000, compresslevel=9)


def pdf_bytes(lines: list[str], title: str = "", author: str = "", created: str = "") -> bytes:
    """A one-page PDF whose text layer holds lines (Helvetica), with an Info dictionary."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({escape(line)}) Tj T*" for line in lines) + " ET"
    info = " ".join(
        f"/{key} ({escape(value)})" for key, value in (("Title", title), ("Author", author), ("CreationDate", created))
        if value
    )  # fmt: skip
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< {info} >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
