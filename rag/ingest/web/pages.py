"""A web article in the articles folder: fetched, extracted (HTML or PDF) and saved as a Markdown file with
front matter under web/, one file per canonical URL, so adding the same page again updates it."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rag.durable import fsync_dir
from rag.errors import FetchError
from rag.ingest.extraction import Extracted, extract_html, extract_pdf
from rag.ingest.web.fetching import FetchLimits, Page, fetch, web_address

WEB_FOLDER = "web"  # below the articles folder
_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid)$", re.IGNORECASE)


@dataclass(frozen=True)
class Saved:
    """What adding one URL did: its file (relative to the articles folder) and "added", "updated" or
    "unchanged"."""

    url: str
    file: str
    status: str


def canonical_url(url: str) -> str:
    """The form of a URL that names one article: lower-case scheme and host, no default port, fragment or
    tracking parameters, no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def url_key(url: str) -> str:
    """A short stable key of a URL's canonical form: the end of its article's file name."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:12]


def saved_files(seeds_dir: Path, url: str) -> list[Path]:
    """The files under web/ that hold the article of url (by its canonical form; one, or none)."""
    return sorted((seeds_dir / WEB_FOLDER).glob(f"*-{url_key(url)}.md"))


def read_page(page: Page) -> Extracted:
    """The article of a fetched page (HTML or PDF); FetchError when it is neither or holds no article text."""
    kind = page.content_type.split(";")[0].strip().lower()
    fetched = web_address(page.final_url) or page.final_url  # without user:password@, never saved or shown
    if kind == "application/pdf" or page.body.startswith(b"%PDF-"):
        try:
            found = extract_pdf(page.body)
        except ValueError as exc:
            raise FetchError(f"{page.url}: {exc}") from None
    elif kind in ("text/html", "application/xhtml+xml", "") or page.body.lstrip()[:15].lower().startswith(
        b"<!doctype html"
    ):
        found = extract_html(page.text(), fetched)
    else:
        raise FetchError(f"{page.url}: not a web page or PDF (the server sent {kind}); give the article's own address")
    if found is None:
        raise FetchError(f"{page.url}: no article text found in the page (a paywall, or a page of links only?)")
    return replace(found, url=on_fetched_site(found.url, fetched))


def on_fetched_site(canonical: str, fetched: str) -> str:
    """The canonical URL a page names when it is on the site the page was fetched from, else the fetched URL
    (a page cannot pass itself off as another site's article, nor be saved under that site's name)."""
    same_site = site_of(canonical) == site_of(fetched)
    return canonical if canonical and urlsplit(canonical).scheme in ("http", "https") and same_site else fetched


def site_of(url: str) -> str:
    """The site of a URL: its host name without a leading "www." ("" when it names none)."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


def fetch_article(url: str, limits: FetchLimits) -> Extracted:
    """Fetch url and extract its article (FetchError naming the problem, also an article text over the cap)."""
    found = read_page(fetch(url, limits))
    if len(found.text) > limits.max_chars:
        raise FetchError(
            f"{url}: the article's text is {len(found.text):,} characters, over the {limits.max_chars:,} limit "
            "(RAG_FETCH_MAX_CHARS)"
        )
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "article"


def _quoted(value: str) -> str:
    return '"' + " ".join(value.split()) + '"'


def markdown(found: Extracted, extraction: str) -> str:
    """The article as a Markdown file with front matter the Markdown loader reads back (the same article
    fetched by another of its addresses gives the same file)."""
    host = site_of(found.url)
    fields = {
        "title": found.title,
        "source": found.source or host,
        "date": found.published or "",
        "url": found.url,
        "author": found.author,
        "extraction": extraction,
    }
    front = "\n".join(f"{key}: {_quoted(value)}" for key, value in fields.items() if value)
    return f"---\n{front}\n---\n{found.text.strip()}\n"


def save_article(found: Extracted, seeds_dir: Path, fetched_from: str, extraction: str = "trafilatura") -> Saved:
    """Save an extracted article under seeds_dir/web/, replacing the file of the same canonical URL (written
    to a temporary file and renamed: a reader never sees half a file, a crash leaves the old one)."""
    url = web_address(found.url) or web_address(fetched_from)
    if url is None:
        raise FetchError(f"{fetched_from}: not a web address (http or https, no spaces); nothing was saved")
    found = replace(found, url=url)
    folder = seeds_dir / WEB_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    host = _slug(site_of(url))
    target = folder / f"{host}-{_slug(found.title)}-{url_key(url)}.md"
    content = markdown(found, extraction)
    old = saved_files(seeds_dir, url)
    if old == [target] and target.read_text(encoding="utf-8") == content:
        return Saved(fetched_from, target.relative_to(seeds_dir).as_posix(), "unchanged")
    handle, tmp = tempfile.mkstemp(prefix=".web-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise FetchError(f"{fetched_from}: could not be saved into {folder} ({exc.strerror or exc})") from None
    for stale in old:  # the same article under an earlier title
        if stale != target:
            stale.unlink(missing_ok=True)
    fsync_dir(folder)
    return Saved(fetched_from, target.relative_to(seeds_dir).as_posix(), "updated" if old else "added")


def add_url(url: str, seeds_dir: Path, limits: FetchLimits) -> Saved:
    """Fetch one page, extract its article and save it into the articles folder (FetchError when it cannot:
    nothing already saved is touched)."""
    return save_article(fetch_article(url, limits), seeds_dir, url)
