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
        without_link_blocks(html), url=url or None, with_metadata=True, include_comments=False, favor_precision=True
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


_LINK_BLOCKS = ("ul", "ol", "p", "div", "section")
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
LINK_SHARE = 0.7  # a block whose letters are at least this share link text (2+ links) is furniture


def without_link_blocks(html: str) -> str:
    """html without the page furniture that sits inside the story itself: blocks of two or more links that
    hold little else (a "Read more" list of other stories' titles, share links, a "Topics:" line), each with
    the heading right above it. Unchanged when it cannot be parsed."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return html
    dropped: set[Any] = set()
    for block in list(root.iter(*_LINK_BLOCKS)):
        links = block.findall(".//a")
        if len(links) < 2 or any(parent in dropped for parent in block.iterancestors()):
            continue
        letters = _letters(block.text_content())
        if letters and sum(_letters(a.text_content()) for a in links) >= LINK_SHARE * letters:
            heading = block.getprevious()
            if heading is not None and heading.tag in _HEADINGS and not (heading.tail or "").strip():
                heading.drop_tree()
            block.drop_tree()
            dropped.add(block)
    return lxml_html.tostring(root, encoding="unicode")


def _letters(text: str) -> int:
    return sum(c.isalnum() for c in text)


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
