"""Articles fetched from the web into the index: pages added by URL and the new items of followed feeds are
saved into the articles folder, then the index is updated incrementally (only the new articles embedded)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rag.config import Settings
from rag.errors import FetchError
from rag.index.indexing import BuildReport, build_index
from rag.ingest.web.feeds import Round, update_feeds
from rag.ingest.web.fetching import USER_AGENT, FetchLimits
from rag.ingest.web.pages import Saved, add_url

Build = Callable[[], BuildReport]


def fetch_limits(settings: Settings) -> FetchLimits:
    """How pages are fetched, from the RAG_FETCH_* settings."""
    return FetchLimits(
        timeout=settings.fetch_timeout,
        total_seconds=settings.fetch_total_seconds,
        max_chars=settings.fetch_max_chars,
        items_per_round=settings.feed_items_per_round,
        round_seconds=settings.feed_round_seconds,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        allow_private=settings.fetch_allow_private,
        user_agent=settings.fetch_user_agent or USER_AGENT,
    )


@dataclass(frozen=True)
class Added:
    """What adding URLs did: each saved page, each URL that failed (with why) and the index update (None
    when nothing was saved)."""

    saved: list[Saved]
    failed: list[tuple[str, str]]
    build: BuildReport | None


def add_urls(
    urls: list[str], settings: Settings | None = None, log: Callable[[str], None] = print, build: Build | None = None
) -> Added:
    """Fetch each URL's article into the articles folder (one line each through log), then update the index.
    A URL that fails is named with its reason and leaves every saved article as it was."""
    settings = settings or Settings.from_env()
    limits = fetch_limits(settings)
    saved, failed = [], []
    for url in urls:
        try:
            result = add_url(url, settings.seeds_dir, limits)
        except FetchError as exc:
            failed.append((url, str(exc).removeprefix(f"{url}: ")))
            log(f"{url}: failed, {failed[-1][1]}")
            continue
        saved.append(result)
        log(f"{url} -> {settings.seeds_dir / result.file} ({result.status})")
    changed = any(s.status != "unchanged" for s in saved)
    return Added(saved, failed, _update_index(settings, build) if changed else None)


def update_from_feeds(
    settings: Settings | None = None, log: Callable[[str], None] = print, build: Build | None = None
) -> tuple[list[Round], BuildReport | None]:
    """One round over the followed feeds, then the index updated when anything was saved."""
    settings = settings or Settings.from_env()
    rounds = update_feeds(settings.seeds_dir, fetch_limits(settings), log)
    changed = any(r.new or r.updated for r in rounds)
    return rounds, _update_index(settings, build) if changed else None


def _update_index(settings: Settings, build: Build | None) -> BuildReport:
    return build() if build is not None else build_index(settings, log=lambda _: None, progress=False)
