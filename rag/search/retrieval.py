"""Hybrid retrieval: dense and lexical (BM25) candidates from the store fused by weighted, scaled scores, with
filters; ranking (fusion, number boost, recency, named reports, diversity) is the same for every store."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Literal

import numpy as np

from rag.index.embedding import Embedder
from rag.index.stores.contract import ChunkRecord, ChunkStore, Filters, allowed_ids
from rag.model import Hit
from rag.search.named import NamedReports

Mode = Literal["hybrid", "dense", "lexical"]
DENSE_WEIGHT = 0.6  # share of the dense score in the hybrid score; the lexical score has the rest
RECENCY_HALF_LIFE_DAYS = 14.0
SAME_STORY_MARGIN = 0.1  # candidates this close (cosine) to the best one count as the same story
NAMED_MARGIN = 0.2  # candidates this close to the best one may move up for a source or date the question names
NUMBER_BOOST = 0.5  # a hybrid candidate holding every number the question names scores up to 1 + this times more
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def score_fusion(scored: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float]) -> list[tuple[int, float]]:
    """Fuse (id, score) lists: each list's scores are min-max scaled to [0, 1] (an id missing from a list gets 0
    there) and summed with the list's weight. Best first; ties keep first-seen order."""
    fused: dict[int, float] = {}
    for pairs, weight in zip(scored, weights):
        if not pairs:
            continue
        low, high = min(s for _, s in pairs), max(s for _, s in pairs)
        span = high - low or 1.0
        for item, score in pairs:
            fused[item] = fused.get(item, 0.0) + weight * (score - low) / span
    return sorted(fused.items(), key=lambda pair: -pair[1])


def boost_numbers(
    fused: Sequence[tuple[int, float]], question: str, text_of: Callable[[int], str], boost: float = NUMBER_BOOST
) -> list[tuple[int, float]]:
    """Re-rank fused (id, score) pairs so passages holding the numbers the question names ("the 2018 Nobel
    Prize", "62 home runs") come first: score * (1 + boost * the share of those numbers in text_of(id)).
    Embeddings barely tell 2018 from 2019; in news the number is often the point. Best first."""
    wanted = set(_NUMBER.findall(question))
    if not wanted:
        return list(fused)
    boosted = [
        (item, score * (1 + boost * len(wanted & set(_NUMBER.findall(text_of(item)))) / len(wanted)))
        for item, score in fused
    ]
    return sorted(boosted, key=lambda pair: -pair[1])


def boost_recent(
    candidates: Sequence[tuple[int, float, float, str | None]],
    reference: date,
    half_life_days: float = RECENCY_HALF_LIFE_DAYS,
    margin: float = SAME_STORY_MARGIN,
) -> list[tuple[int, float, float, str | None]]:
    """Re-rank (chunk id, score, similarity, published) so newer articles on the story come first: candidates
    within `margin` cosine of the best one get score * (1 + 0.5 ** (age / half_life)); others keep theirs."""
    if not candidates:
        return []
    floor = max(c[2] for c in candidates) - margin
    boosted = []
    for chunk_id, score, similarity, published in candidates:
        if published and similarity >= floor:
            age = max(0, (reference - date.fromisoformat(published)).days)
            score *= 1 + 0.5 ** (age / half_life_days)
        boosted.append((chunk_id, score, similarity, published))
    return sorted(boosted, key=lambda c: -c[1])


class Retriever:
    """Searches one loaded index generation."""

    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        candidates: int = 50,
        max_per_article: int = 1,
        dense_weight: float = DENSE_WEIGHT,
    ) -> None:
        import faiss

        faiss.omp_set_num_threads(1)
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.max_per_article = max_per_article
        self.dense_weight = dense_weight
        articles = store.manifest["articles"]
        self.sources = sorted({a.get("source") or "" for a in articles.values()} - {""})
        self.story_of = {aid: a.get("duplicate_of", aid) for aid, a in articles.items()}
        self.copies: dict[str, list[str]] = {}
        for aid, story in self.story_of.items():
            self.copies.setdefault(story, []).append(aid)

    def search(
        self,
        question: str,
        k: int = 5,
        mode: Mode = "hybrid",
        filters: Filters = Filters(),
        min_similarity: float = -1.0,
        recent_first: date | None = None,
        news_aware: bool = True,
        named: NamedReports = NamedReports(),
    ) -> list[Hit]:
        """Top-k passages for the question, best first; passages below min_similarity are dropped.

        recent_first (a reference date) ranks newer articles on the story first. Articles with the sources and
        dates the question names come first (see pin_named). news_aware keeps one copy of
        near-duplicate articles (the others become also_reported_by) and fills the slots with up to
        max_per_article passages an article before any article gets more, so one story does not fill them all."""
        query = self.embedder.encode([question])[0]
        scored: list[list[tuple[int, float]]] = []
        if mode in ("hybrid", "dense"):
            scored.append(self.store.dense_search(query, self.candidates, filters))
        if mode in ("hybrid", "lexical"):
            scored.append(self.store.lexical_search(question, self.candidates, filters))
        weights = (self.dense_weight, 1 - self.dense_weight) if mode == "hybrid" else (1.0,)
        # chunks this view of the index does not list (written by a build after it was loaded) are left out
        fused = [(cid, score) for cid, score in score_fusion(scored, weights) if self.store.article_of(cid)]
        records = self.store.fetch(cid for cid, _ in fused)
        fused = [(cid, score) for cid, score in fused if cid in records]
        if mode == "hybrid":
            fused = boost_numbers(fused, question, lambda cid: self._text_with_title(records[cid]))
        vectors = self.store.vectors_of(records)  # a chunk a build removed since the fetch is left out
        candidates = [
            (cid, score, float(vectors[cid] @ query), (self.store.article_of(cid) or {}).get("published"))
            for cid, score in fused
            if cid in vectors
        ]
        if recent_first is not None:
            candidates = boost_recent(candidates, recent_first)
        if named.any:
            candidates = self.pin_named(candidates, named, query, allowed_ids(self.store.manifest, filters))
            records.update(self.store.fetch(c[0] for c in candidates if c[0] not in records))
        kept = []  # (candidate, its article's count so far); one copy of each near-duplicate story
        taken: dict[str, int] = {}
        story_article: dict[str, str] = {}
        for candidate in candidates:
            if candidate[0] not in records:
                continue
            article_id = records[candidate[0]].article_id
            if candidate[2] < min_similarity:
                continue
            if (
                news_aware
                and story_article.setdefault(self.story_of.get(article_id, article_id), article_id) != article_id
            ):
                continue
            kept.append((candidate, taken.get(article_id, 0)))
            taken[article_id] = taken.get(article_id, 0) + 1
        if news_aware:  # diverse first: up to max_per_article passages an article, then the rest in order
            kept.sort(key=lambda pair: pair[1] >= self.max_per_article)
        return [
            self._hit(records[chunk_id], score, similarity, news_aware)
            for (chunk_id, score, similarity, _), _ in kept[:k]
        ]

    def pin_named(
        self,
        candidates: list[tuple[int, float, float, str | None]],
        named: NamedReports,
        query: np.ndarray,
        allowed: set[int] | None,
    ) -> list[tuple[int, float, float, str | None]]:
        """Candidates on the story (within NAMED_MARGIN cosine of the best) that match a named source or date
        come first, and before them those that match a named (source, date) pair; the order is kept
        otherwise. An article matching a pair is the report the question asks about: it comes first even
        off the story, and its chunks join the candidates (by similarity) if the search missed them."""
        floor = max((c[2] for c in candidates), default=0.0) - NAMED_MARGIN
        if named.pairs:
            present = {c[0] for c in candidates}
            missed = {
                cid: article.get("published")
                for article in self.store.manifest["articles"].values()
                if named.matches(article) == 2
                for cid in article["chunk_ids"]
                if cid not in present and (allowed is None or cid in allowed)
            }
            vectors = self.store.vectors_of(missed)
            candidates = candidates + sorted(
                ((cid, 0.0, float(vectors[cid] @ query), missed[cid]) for cid in vectors), key=lambda c: -c[2]
            )

        def rank(candidate: tuple[int, float, float, str | None]) -> int:
            matched = named.matches(self.store.article_of(candidate[0]) or {})
            return matched if matched == 2 or candidate[2] >= floor else 0

        return sorted(candidates, key=lambda c: -rank(c))

    def _text_with_title(self, record: ChunkRecord) -> str:
        return f"{self.store.manifest['articles'][record.article_id].get('title', '')} {record.text}"

    def _hit(self, record: ChunkRecord, score: float, similarity: float, with_copies: bool) -> Hit:
        article = self.store.manifest["articles"][record.article_id]
        copies: tuple[dict[str, str | None], ...] = ()
        if with_copies:
            story = self.story_of.get(record.article_id, record.article_id)
            copies = tuple(
                {key: self.store.manifest["articles"][aid].get(key) for key in ("title", "source", "published", "url")}
                for aid in self.copies.get(story, [])
                if aid != record.article_id
            )
        return Hit(
            record.id,
            record.article_id,
            article["title"],
            article.get("source", ""),
            article.get("published"),
            article.get("url", ""),
            record.text,
            record.start,
            record.end,
            score,
            similarity,
            copies,
        )
