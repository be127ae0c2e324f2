"""Articles and the loaders that read them from .txt, .md, .html, .json, .jsonl and .pdf files."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from rag.ingest.dates import parse_date
from rag.ingest.extraction import Extracted, extract_html, extract_pdf

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".pdf")


@dataclass(frozen=True)
class Article:
    """One news article: its text and metadata. `id` is stable across rebuilds."""

    id: str
    title: str
    text: str
    source: str = ""
    published: str | None = None  # ISO date, YYYY-MM-DD
    url: str = ""
    author: str = ""
    path: str = ""

    @property
    def sha256(self) -> str:
        """Content hash: any change to text or metadata re-embeds the article."""
        payload = json.dumps([self.title, self.text, self.source, self.published, self.url, self.author])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Problem:
    """A file (or line of a file) that was skipped, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.path}: {self.reason}"


def load_articles(
    folder: Path, max_bytes: int = 20_000_000, index_dir: Path | None = None
) -> tuple[list[Article], list[Problem]]:
    """Read every supported file below folder, except hidden files and folders and the index folder (when
    it lies inside). Bad files become Problems; they never abort the load."""
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    index = index_dir.resolve() if index_dir is not None else None
    if index is not None and folder.resolve() not in index.parents:
        index = None  # an index beside or above the articles folder holds none of its files
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if (
            any(part.startswith(".") for part in rel.split("/"))
            or not path.is_file()
            or (index is not None and index in path.resolve().parents)
        ):
            continue
        for item in load_file(path, rel, max_bytes):
            if isinstance(item, Problem):
                problems.append(item)
            elif item.id in seen:
                problems.append(Problem(rel, f"duplicate article id {item.id!r}"))
            else:
                seen.add(item.id)
                articles.append(item)
    return articles, problems


def load_file(path: Path, rel: str, max_bytes: int = 20_000_000) -> Iterator[Article | Problem]:
    """Articles (or Problems) from one file."""
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None and path.suffix.lower() != ".pdf":
        yield Problem(
            rel, f"unsupported extension {path.suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
        return
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield Problem(rel, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (RAG_MAX_FILE_BYTES)")
            return
        raw = path.read_bytes()
    except OSError as exc:
        yield Problem(rel, f"cannot read: {exc.strerror or exc}; check the file's permissions")
        return
    if loader is None:  # a PDF: read as bytes
        yield from _load_pdf(raw, rel)
        return
    utf16 = raw[:2] in _UTF16_MARKS
    if not utf16 and b"\x00" in raw[:8192]:
        yield Problem(rel, "looks binary (contains NUL bytes), not a text article")
        return
    try:
        content = _decode(raw, html=loader is load_html)
    except UnicodeDecodeError as exc:
        yield Problem(rel, f"not valid {'UTF-16' if utf16 else 'UTF-8'} (byte {exc.start}); re-save the file as UTF-8")
        return
    if not content.strip():
        yield Problem(rel, "file is empty")
        return
    yield from loader(content, rel)


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")  # byte-order marks


def _decode(raw: bytes, html: bool) -> str:
    """A file's text: UTF-16 when it starts with a byte-order mark, else UTF-8, else (HTML only) the charset the
    page declares. UnicodeDecodeError (of the UTF-8 or UTF-16 attempt) when none fits."""
    if raw[:2] in _UTF16_MARKS:
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        declared = _declared_charset(raw) if html else None
        if declared:
            try:
                return raw.decode(declared)
            except (LookupError, UnicodeDecodeError):
                pass
        raise


def _declared_charset(raw: bytes) -> str | None:
    """The encoding an HTML page declares in its head (<meta charset="windows-1252">), if any."""
    match = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", raw[:4096], re.IGNORECASE)
    return match.group(1).decode("ascii") if match else None


def _clean(text: str) -> str:
    """Drop control characters other than newlines and tabs; normalise line ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)


TITLE_LINE_CHARS = 200  # a longer first line is the start of the text, not its title


def _is_title_line(line: str) -> bool:
    """A heading ("# ...") or a short line that does not end a sentence: the title of a plain-text article."""
    return line.startswith("#") or (len(line) <= TITLE_LINE_CHARS and not line.endswith((".", '."', ".'")))


def _is_date_line(line: str) -> bool:
    """A short line that is a date ("October 21, 2025", "Published 2025-10-21")."""
    return len(line) <= 40 and parse_date(line) is not None


def _lead_title(text: str, limit: int = 120) -> str:
    """A title for an untitled text: its first sentence, cut at a word before `limit` characters."""
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[:limit].rsplit(" ", 1)[0] + "…"


def _from_text(content: str, rel: str, meta: dict[str, str] | None = None) -> Iterator[Article | Problem]:
    """A plain-text article: the first line is its title when it reads like one (else the title is the start
    of the text, and the text keeps that line); a date line above the title is the published date."""
    meta = meta or {}
    lines = _clean(content).split("\n")
    title = meta.get("title", "").strip()
    body_start = 0
    published = parse_date(meta.get("published", "") or meta.get("date", "")) if meta else None
    if not title:
        filled = list(islice(((i, line.strip()) for i, line in enumerate(lines) if line.strip()), 2))
        if len(filled) > 1 and _is_date_line(filled[0][1]):
            published = published or parse_date(filled[0][1])
            filled = filled[1:]
        if filled and _is_title_line(filled[0][1]):
            title, body_start = filled[0][1].lstrip("#").strip(), filled[0][0] + 1
        elif filled:
            title, body_start = _lead_title(filled[0][1]), filled[0][0]
    if not published:
        head = [ln for ln in lines[body_start : body_start + 8] if ln.strip()][:4]
        for line in head:
            if len(line) <= 60 and (found := parse_date(line)):
                published = found
                break
    text = "\n".join(lines[body_start:]).strip()
    if not text:
        yield Problem(rel, "no article text after the title line")
        return
    yield Article(
        id=rel,
        title=title[:300],
        text=text,
        source=meta.get("source", "").strip(),
        published=published,
        url=meta.get("url", "").strip(),
        author=meta.get("author", "").strip(),
        path=rel,
    )


def _unquote(value: str) -> str:
    """A front-matter value without one pair of surrounding quotes: '"Trump says 'no'"' -> "Trump says 'no'"."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" else value


def _load_md(content: str, rel: str) -> Iterator[Article | Problem]:
    meta: dict[str, str] = {}
    match = re.match(r"\A---\s*\n(.*?)\n---\s*\n", content, re.DOTALL)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = _unquote(value.strip())
        content = content[match.end() :]
    yield from _from_text(content, rel, meta)


def _time_text(tag: Any) -> str:
    """The date a <time> tag holds (its datetime attribute, else its text); "" for None."""
    return (tag.get("datetime", "") or tag.get_text()) if tag is not None else ""


def _from_extracted(found: Extracted, rel: str) -> Article:
    return Article(
        id=rel,
        title=found.title or _lead_title(found.text.split("\n")[0]),
        text="\n".join(line.strip() for line in _clean(found.text).split("\n")).strip(),
        source=found.source,
        published=found.published,
        url=found.url,
        author=found.author,
        path=rel,
    )


def load_html(content: str, rel: str) -> Iterator[Article | Problem]:
    """A saved web page: its article as trafilatura extracts it, else (no main text found) by load_html_tags."""
    found = extract_html(content)
    if found is not None:
        yield _from_extracted(found, rel)
    else:
        yield from load_html_tags(content, rel)


def _load_pdf(raw: bytes, rel: str) -> Iterator[Article | Problem]:
    try:
        found = extract_pdf(raw)
    except ValueError as exc:
        yield Problem(rel, f"{exc}; re-save it as PDF or convert it to text")
        return
    if found is None:
        yield Problem(rel, "the PDF holds no text (a scanned document?); convert it to text first")
        return
    yield _from_extracted(found, rel)


def load_html_tags(content: str, rel: str) -> Iterator[Article | Problem]:
    """A web page read by its tags: <article> or <main>, without navigation, asides and scripts."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(content, "html.parser")
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = str(tag.get("property") or tag.get("name") or "").lower()
        if key and tag.get("content"):
            meta.setdefault(key, str(tag["content"]))
    story = soup.find("article") or soup.find("main")
    h1 = (story or soup).find("h1")  # before <header> goes: it may hold it
    heading = h1.get_text(strip=True) if h1 else ""
    story_time, first_time = _time_text(story.find("time") if story else None), _time_text(soup.find("time"))
    for tag in soup(["script", "style", "nav", "header", "footer", "aside", "noscript", "iframe", "form", "svg"]):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    published = parse_date(
        meta.get("article:published_time", "")
        or meta.get("date", "")
        or story_time
        or _time_text(root.find("time"))
        or first_time
    )  # the story's own date before the page's
    title = meta.get("og:title") or (soup.title.get_text(strip=True) if soup.title else "") or heading
    names = ["p", "h2", "h3", "li", "blockquote"]
    blocks = [el.get_text(" ", strip=True) for el in root.find_all(names) if not el.find_parent(names)]
    text = "\n".join(b for b in blocks if b)
    full = root.get_text("\n", strip=True)
    if len(text) < len(full) / 2:  # most of the text sits outside paragraphs, e.g. in <div>s
        text = full
    text = _clean(text).strip()
    if not text:
        yield Problem(rel, "no readable text in the HTML page")
        return
    yield Article(
        id=rel,
        title=title or text.split("\n")[0][:120],
        text=text,
        source=meta.get("og:site_name", ""),
        published=published,
        url=meta.get("og:url", ""),
        author=meta.get("author", ""),
        path=rel,
    )


def _from_record(obj: object, rel: str, where: str) -> Article | Problem:
    """One JSON record. Its id is rel#<id>, else rel#<hash of its url, title and text>: never its position, so
    a record added at the top of a feed does not change the ids of the others."""
    if not isinstance(obj, dict):
        return Problem(where, "expected a JSON object with 'title' and 'text'")
    raw = obj.get("text")
    text = _clean(raw).strip() if isinstance(raw, str) else ""
    if not text:
        return Problem(where, "missing or empty 'text'")
    title = _clean(str(obj.get("title") or text.split("\n")[0][:120])).strip()
    url = str(obj.get("url") or "")
    key = obj.get("id") or hashlib.sha256(json.dumps([url, title, text]).encode("utf-8")).hexdigest()[:16]
    published = obj.get("published") or obj.get("date")
    return Article(
        id=f"{rel}#{key}",
        title=title,
        text=text,
        source=str(obj.get("source") or ""),
        published=parse_date(str(published)) if published else None,
        url=url,
        author=str(obj.get("author") or ""),
        path=rel,
    )


def _records(data: object) -> list:
    """The records of a JSON file: a list, one object, or the one list of objects that wraps them
    ({"articles": [...]})."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "text" not in data:
        lists = [
            value
            for value in data.values()
            if isinstance(value, list) and value and all(isinstance(item, dict) for item in value)
        ]
        if len(lists) == 1:
            return lists[0]
    return [data]


def _load_json(content: str, rel: str) -> Iterator[Article | Problem]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        yield Problem(rel, f"invalid JSON at line {exc.lineno}: {exc.msg}")
        return
    items = _records(data)
    if not items:
        yield Problem(rel, "no articles in it: expected an object with 'title' and 'text', or a list of them")
    for i, obj in enumerate(items):
        yield _from_record(obj, rel, f"{rel} item {i + 1}" if len(items) > 1 else rel)


def _load_jsonl(content: str, rel: str) -> Iterator[Article | Problem]:
    for lineno, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Problem(f"{rel} line {lineno}", f"invalid JSON: {exc.msg}")
            continue
        yield _from_record(obj, rel, f"{rel} line {lineno}")


_LOADERS: dict[str, Callable[[str, str], Iterator[Article | Problem]]] = {
    ".txt": _from_text,
    ".md": _load_md,
    ".html": load_html,
    ".htm": load_html,
    ".json": _load_json,
    ".jsonl": _load_jsonl,
}
