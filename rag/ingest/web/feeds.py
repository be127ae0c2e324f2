"""Followed RSS/Atom feeds: the list lives beside the articles (a hidden JSON file the loaders skip), and an
update round fetches each feed with a conditional GET, saves its new items' pages as articles, and, when an
item's page cannot be fetched, the feed's own summary of it, marked as such."""

from __future__ import annotations

import calendar
import fcntl
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from rag.durable import write_json
from rag.errors import FetchError
from rag.ingest.extraction import Extracted
from rag.ingest.web.fetching import FetchLimits, check_url, fetch, web_address
from rag.ingest.web.pages import canonical_url, fetch_article, save_article, saved_files

FEEDS_FILE = ".feeds.json"  # in the articles folder; hidden, so it is never read as an article


@dataclass
class Feed:
    """A followed feed, its validators for the next conditional GET, and what its last round did."""

    url: str
    title: str = ""
    etag: str = ""
    last_modified: str = ""
    updated: str = ""  # when its last round ended (UTC, ISO)
    new: int = 0  # articles its last round saved
    failed: int = 0  # items its last round could not save
    items: dict[str, str] = field(default_factory=dict)  # item id (guid or link) -> its file


@dataclass(frozen=True)
class Round:
    """What one update round did to one feed."""

    feed: str
    new: int = 0
    updated: int = 0
    failed: int = 0
    not_modified: bool = False
    error: str = ""
    not_reached: bool = False  # the round's time was up before this feed's turn

    def line(self) -> str:
        if self.not_reached:
            return f"{self.feed}: not reached in this round's time; waits for the next round (RAG_FEED_ROUND_SECONDS)"
        if self.error:
            return f"{self.feed}: failed ({self.error})"
        if self.not_modified:
            return f"{self.feed}: not modified"
        return f"{self.feed}: {self.new} new, {self.updated} updated, {self.failed} failed"


def read_feeds(seeds_dir: Path) -> list[Feed]:
    """The followed feeds (none when the file is missing); FetchError naming the file when it is unreadable."""
    path = seeds_dir / FEEDS_FILE
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Feed(**entry) for entry in data["feeds"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FetchError(
            f"cannot read the feed list {path} ({exc}); fix or delete it and add the feeds again"
        ) from None


def write_feeds(seeds_dir: Path, feeds: list[Feed]) -> None:
    """Save the feed list atomically."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    write_json(seeds_dir / FEEDS_FILE, {"feeds": [asdict(feed) for feed in feeds]})


_CHANGING = threading.Lock()  # this process's writers of a feed list; the lock file orders processes


def change_feeds(seeds_dir: Path, change: Callable[[list[Feed]], list[Feed]]) -> None:
    """Read, change and save the feed list as one step: a writer in another thread or process (the page, the
    API, `rag update`) waits for it, so no change is lost."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    with _CHANGING, (seeds_dir / f"{FEEDS_FILE}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        write_feeds(seeds_dir, change(read_feeds(seeds_dir)))


_DECLARES_ENTITIES = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE)  # "billion laughs", XXE


def parse_feed(body: bytes, url: str) -> Any:
    """The feed feedparser reads from body; FetchError when it is no RSS or Atom feed."""
    import feedparser

    if _DECLARES_ENTITIES.search(body):
        raise FetchError(f"{url}: the feed declares entities of its own (<!ENTITY ...>), which no feed needs; refused")
    parsed = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        raise FetchError(
            f"{url}: not an RSS or Atom feed; give the feed's own address (it often ends in /feed or .xml)"
        )
    return parsed


def add_feed(seeds_dir: Path, url: str, limits: FetchLimits) -> Feed:
    """Follow a feed: it is fetched once to check that it is one; its items are saved by the next update."""
    url = check_url(url, limits.allow_private)
    _check_not_followed(read_feeds(seeds_dir), url)
    parsed = parse_feed(fetch(url, limits).body, url)
    feed = Feed(url=url, title=str(parsed.feed.get("title", "")).strip())

    def followed(feeds: list[Feed]) -> list[Feed]:
        _check_not_followed(feeds, url)  # again: another writer may have added it while this one fetched
        return [*feeds, feed]

    change_feeds(seeds_dir, followed)
    return feed


def _check_not_followed(feeds: list[Feed], url: str) -> None:
    if any(canonical_url(feed.url) == canonical_url(url) for feed in feeds):
        raise FetchError(f"{url} is already followed; `rag feed list` shows the feeds")


def remove_feed(seeds_dir: Path, url: str) -> Feed:
    """Stop following a feed (the articles it brought stay in the folder)."""
    removed: list[Feed] = []

    def unfollowed(feeds: list[Feed]) -> list[Feed]:
        kept = [feed for feed in feeds if canonical_url(feed.url) != canonical_url(url)]
        if len(kept) == len(feeds):
            raise FetchError(f"{url} is not followed; `rag feed list` shows the feeds")
        removed.extend(feed for feed in feeds if feed not in kept)
        return kept

    change_feeds(seeds_dir, unfollowed)
    return removed[0]


def _summary(entry: Any, link: str, feed_title: str) -> Extracted | None:
    """The feed's own text of an item (its content, else its summary) as an article; None when it has none."""
    from bs4 import BeautifulSoup

    html = (entry.get("content") or [{}])[0].get("value") or entry.get("summary") or ""
    text = BeautifulSoup(html, "html.parser").get_text("\n", strip=True)
    if not text:
        return None
    return Extracted(
        str(entry.get("title", "")).strip(), text, feed_title, str(entry.get("author", "")), _date(entry), link
    )


def _date(entry: Any) -> str | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(stamp), UTC).date().isoformat() if stamp else None


def update_feed(
    seeds_dir: Path, feed: Feed, limits: FetchLimits, log: Callable[[str], None], deadline: float = math.inf
) -> tuple[Feed, Round]:
    """One round of one feed: its new items saved until the round's share of items or its deadline
    (time.monotonic()) is reached; the items left wait for the next round, which fetches the feed again in full.
    The caller records the feed once; a round cut short before that is finished by the next one without
    duplicates (each saved page is found again by its address)."""
    try:
        page = fetch(feed.url, limits, feed.etag, feed.last_modified)
        if page.not_modified:
            return replace(feed, updated=_now(), new=0, failed=0), Round(feed.url, not_modified=True)
        parsed = parse_feed(page.body, feed.url)
    except FetchError as exc:
        return feed, Round(feed.url, error=str(exc).removeprefix(f"{feed.url}: "))
    title = str(parsed.feed.get("title", "")).strip() or feed.title
    items = dict(feed.items)
    new = updated = failed = tried = 0
    waiting = False
    for position, entry in enumerate(parsed.entries):
        given = str(entry.get("link", "")).strip()
        item = str(entry.get("id", "") or given).strip()
        if not item or item in items:
            continue  # seen in an earlier round, or listed twice in this one
        if tried == limits.items_per_round or (tried and time.monotonic() > deadline):  # one item at least
            setting = "RAG_FEED_ITEMS_PER_ROUND" if tried == limits.items_per_round else "RAG_FEED_ROUND_SECONDS"
            log(f"  {len(parsed.entries) - position} more items wait for the next round ({setting})")
            waiting = True
            break
        tried += 1
        link = web_address(given) if given else ""
        if link is None:  # never saved as an article's address
            failed += 1
            log(f"  {given[:200]!r}: not a web address (http or https, no spaces); left out")
            continue
        known = saved_files(seeds_dir, link) if link else []
        if known:  # saved by `rag add`, another feed, or an interrupted round
            items[item] = known[0].relative_to(seeds_dir).as_posix()
            continue
        try:
            if not link:
                raise FetchError("the item has no link")
            found = fetch_article(link, limits)
            if not found.published and _date(entry):
                found = replace(found, published=_date(entry))
            done = save_article(found, seeds_dir, link)
        except FetchError as exc:
            summary = _summary(entry, link, title) if link else None
            if summary is None:
                failed += 1
                log(f"  {link or item}: {str(exc).removeprefix(f'{link}: ')}")
                continue
            done = save_article(summary, seeds_dir, link, extraction="feed summary")
            log(f"  {link}: {str(exc).removeprefix(f'{link}: ')}; saved the feed's summary instead")
        items[item] = done.file
        new += done.status == "added"
        updated += done.status == "updated"
    finished = replace(
        feed,
        title=title,
        etag=feed.etag if waiting else page.etag,  # items wait: the next round must not be told "not modified"
        last_modified=feed.last_modified if waiting else page.last_modified,
        updated=_now(),
        new=new,
        failed=failed,
        items=items,
    )
    return finished, Round(feed.url, new, updated, failed)


def _with(feeds: list[Feed], changed: Feed) -> list[Feed]:
    return [changed if canonical_url(feed.url) == canonical_url(changed.url) else feed for feed in feeds]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def update_feeds(seeds_dir: Path, limits: FetchLimits, log: Callable[[str], None] = print) -> list[Round]:
    """One update round over every followed feed (one line each through log); the feed list saved after each.
    A round ends after limits.round_seconds: the feeds not reached by then are reported as waiting, and the next
    round starts with the feeds updated longest ago."""
    rounds: list[Round] = []
    deadline = time.monotonic() + limits.round_seconds
    for feed in sorted(read_feeds(seeds_dir), key=lambda f: f.updated or ""):
        if rounds and time.monotonic() > deadline:
            rounds.append(Round(feed.url, not_reached=True))
            log(rounds[-1].line())
            continue
        done, result = update_feed(seeds_dir, feed, limits, log, deadline)
        change_feeds(seeds_dir, partial(_with, changed=done))
        log(result.line())
        rounds.append(result)
    return rounds
