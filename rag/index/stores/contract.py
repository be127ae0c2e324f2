"""What every store offers the indexer and the retriever: chunk records, filters and the ChunkStore interface.

Fusion, diversity, named reports, recency and the number boost stay above the store, so every store ranks the
same way; a store only finds candidates (dense and BM25, filtered in the engine) and hands back what it holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

RECOVER = "rebuild it with: rag build --full"


@dataclass(frozen=True)
class ChunkRecord:
    """One indexed passage; text == article.text[start:end]."""

    id: int
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Part:
    """Some chunks of an index with their vectors, and the manifest of the generation they were read from."""

    manifest: dict
    records: dict[int, ChunkRecord]
    vectors: dict[int, np.ndarray]


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to articles published in [since, until] (ISO dates) and/or from some sources.
    Undated articles pass a date range only with keep_undated (set when the range comes from the question)."""

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()
    keep_undated: bool = False

    def allows(self, article: dict) -> bool:
        published = article.get("published")
        if not published:
            if (self.since or self.until) and not self.keep_undated:
                return False
        elif (self.since and published < self.since) or (self.until and published > self.until):
            return False
        return not self.sources or article.get("source", "").lower() in {s.lower() for s in self.sources}

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.sources)


NO_FILTERS = Filters()
UNDATED = -10_000_000  # the day number of an article without a date: below any day of the calendar (year 1: -719,162)


def day_number(published: str | None, undated: int = UNDATED) -> int:
    """An ISO date as days since 1970-01-01 (negative before it; undated for none or an unreadable one)."""
    try:
        return (date.fromisoformat(str(published)[:10]) - date(1970, 1, 1)).days if published else undated
    except ValueError:
        return undated


def allowed_ids(manifest: dict, filters: Filters) -> set[int] | None:
    """The chunk ids of the manifest's articles that pass the filters (None: no filter, all pass)."""
    if not filters.active:
        return None
    return {cid for article in manifest["articles"].values() if filters.allows(article) for cid in article["chunk_ids"]}


def article_index(manifest: dict) -> dict[int, str]:
    """chunk id -> article id, from the manifest's per-article chunk lists."""
    return {cid: article_id for article_id, entry in manifest["articles"].items() for cid in entry["chunk_ids"]}


class ChunkStore(Protocol):
    """One index: its manifest (settings, per-article entries with hashes and chunk ids) and its chunks."""

    manifest: dict

    def count(self) -> int:
        """Chunks of the articles the manifest lists."""

    def article_of(self, chunk_id: int) -> dict | None:
        """The manifest entry of the chunk's article; None for a chunk this view of the index does not list."""

    def dense_search(self, query: np.ndarray, k: int, filters: Filters = NO_FILTERS) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the k nearest chunks that pass the filters, best first."""

    def lexical_search(self, question: str, k: int, filters: Filters = NO_FILTERS) -> list[tuple[int, float]]:
        """(chunk id, BM25 score > 0) of the k best chunks for the question's terms that pass the filters."""

    def fetch(self, ids: Iterable[int]) -> dict[int, ChunkRecord]:
        """The records of those chunks that exist."""

    def vectors_of(self, ids: Iterable[int]) -> dict[int, np.ndarray]:
        """The stored (normalised) vectors of those chunks that exist."""

    def allocate_ids(self, count: int) -> list[int]:
        """Fresh chunk ids, never handed out before in this index."""

    def add_article(self, entry: dict, records: list[ChunkRecord], vectors: np.ndarray) -> None:
        """Add one article's chunks (ids from allocate_ids) and its manifest entry; an article already indexed
        under that id must be removed first."""

    def remove_article(self, article_id: str) -> None:
        """Remove an article's chunks and its manifest entry."""

    def save(self) -> None:
        """Make everything written so far the index readers see (atomically)."""

    def close(self) -> None:
        """Let go of files and connections."""
