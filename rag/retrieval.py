"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates fused by reciprocal rank, with filters."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, Sequence

import numpy as np

from rag.embedding import Embedder
from rag.store import IndexStore

Mode = Literal["hybrid", "dense", "lexical"]
RRF_K = 60


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its article's metadata and scores."""

    chunk_id: int
    article_id: str
    title: str
    source: str
    published: str | None
    url: str
    text: str
    start: int
    end: int
    score: float  # fused rank score (higher is better)
    similarity: float  # cosine similarity of question and passage

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to articles published in [since, until] (ISO dates) and/or from some sources."""

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()

    def allows(self, article: dict) -> bool:
        published = article.get("published")
        if (self.since or self.until) and not published:
            return False
        if self.since and published < self.since:
            return False
        if self.until and published > self.until:
            return False
        if self.sources and article.get("source", "").lower() not in {s.lower() for s in self.sources}:
            return False
        return True

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.sources)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Fuse ranked id lists: score(id) = sum of 1 / (k + rank). Ties keep first-seen order."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


class Retriever:
    """Searches one loaded index generation."""

    def __init__(self, store: IndexStore, embedder: Embedder, candidates: int = 50) -> None:
        import faiss

        faiss.omp_set_num_threads(1)
        self.store = store
        self.embedder = embedder
        self.candidates = candidates

    def search(self, question: str, k: int = 5, mode: Mode = "hybrid", filters: Filters = Filters(),
               min_similarity: float = -1.0) -> list[Hit]:
        """Top-k passages for the question, best first; passages below min_similarity are dropped."""
        query = self.embedder.encode([question])[0]
        allowed = self._allowed(filters)
        rankings: list[list[int]] = []
        if mode in ("hybrid", "dense"):
            rankings.append([cid for cid, _ in self.store.search(query, self.candidates, allowed)])
        if mode in ("hybrid", "lexical"):
            rankings.append(self._lexical(question, allowed))
        hits = []
        for chunk_id, score in reciprocal_rank_fusion(rankings):
            similarity = float(self.store.vectors.reconstruct(chunk_id) @ query)
            if similarity >= min_similarity:
                hits.append(self._hit(chunk_id, score, similarity))
            if len(hits) == k:
                break
        return hits

    def _allowed(self, filters: Filters) -> set[int] | None:
        if not filters.active:
            return None
        return {cid for article in self.store.manifest["articles"].values() if filters.allows(article)
                for cid in article["chunk_ids"]}

    def _lexical(self, question: str, allowed: set[int] | None) -> list[int]:
        lexical = self.store.lexical
        scores = lexical.scores(question)
        if allowed is not None:
            scores = np.where(np.isin(lexical.ids, list(allowed)), scores, 0.0)
        top = np.argsort(-scores, kind="stable")[: self.candidates]
        return [int(lexical.ids[i]) for i in top if scores[i] > 0]

    def _hit(self, chunk_id: int, score: float, similarity: float) -> Hit:
        record = self.store.chunks[chunk_id]
        article = self.store.article_of(chunk_id)
        return Hit(chunk_id, record.article_id, article["title"], article.get("source", ""),
                   article.get("published"), article.get("url", ""), record.text, record.start, record.end,
                   score, similarity)
