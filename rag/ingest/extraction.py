"""The article inside a web page or a PDF: its main text and metadata (title, site, author, date, canonical
URL). HTML is read by trafilatura (main-text extraction; htmldate for the date, JSON-LD and meta tags
included); PDF by pypdf, with title and date from the document's metadata where present."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from rag.ingest.dates import parse_date

MIN_WORDS = 5  # fewer words of main text is no article


@dataclass(frozen=True)
class Extracted:
    """An article read from a page or a document ("" or None where it did not say)."""

    title: str
    text: str
    source: str = ""
    author: str = ""
    published: str | None = None  # YYYY-MM-DD
    url: str = ""  # the canonical URL the page names, else the one it was read from


def extract_html(html: str, url: str = "") -> Extracted | None:
    """The article of an HTML page by trafilatura; None when it finds no main text."""
    import trafilatura

    found: Any = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False, favor_precision=True
    )
    text = (getattr(found, "text", None) or "").strip()
    if len(text.split()) < MIN_WORDS:  # a page of navigation alone is no article
        return None
    title = (found.title or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        text = rest.strip()  # the headline repeated as the text's first line
    return Extracted(
        title=title,
        text=text,
        source=(found.sitename or "").strip(),
        author=(found.author or "").strip(),
        published=parse_date(found.date or ""),
        url=(found.url or url or "").strip(),
    )


_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})(\d{2})")


def extract_pdf(data: bytes) -> Extracted | None:
    """The text of a PDF (pages in order) with its metadata title, author and creation date; None when it
    holds no text (a scanned document without a text layer). ValueError when it is not a readable PDF."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta: Any = reader.metadata or {}
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise ValueError(f"not a readable PDF ({exc or type(exc).__name__})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        return None
    raw_date = str(meta.get("/CreationDate", "") or "")
    dated = _PDF_DATE.match(raw_date)
    return Extracted(
        title=str(meta.get("/Title", "") or "").strip(),
        text=text,
        author=str(meta.get("/Author", "") or "").strip(),
        published=parse_date("-".join(dated.groups())) if dated else None,
    )
