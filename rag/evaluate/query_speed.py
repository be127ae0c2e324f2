"""`rag bench query`: retrieval latency (median, p95) at 1k / 10k / 100k synthetic chunks (quick: 1k), dense,
lexical and hybrid, with the question embedding excluded (precomputed) and included (1 thread), for each store."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from rag.config import Settings
from rag.evaluate.evaluators import MODES
from rag.evaluate.report import markdown_table
from rag.evaluate.speed import Log, latency, peak_memory_mb
from rag.index.stores.contract import ChunkStore
from rag.locations import MILVUS_LITE

QUERY_SIZES = (1_000, 10_000, 100_000)
# Typical news questions for the query benchmark (their words are mixed into the synthetic passages).
QUERY_QUESTIONS = [
    "Who won the presidential election in Brazil?",
    "Why did the central bank raise interest rates again?",
    "How many people were killed in the earthquake?",
    "What did the prime minister say about the energy crisis?",
    "Which company announced layoffs this week?",
    "When will the new climate law take effect?",
    "Where did the hurricane make landfall?",
    "What is the price of gas in California?",
    "Which team won the World Cup final?",
    "What did the court decide about the abortion ban?",
]
# Where the query benchmark puts a store of each kind `--store` names, in its temporary folder (the location's
# scheme tells the store registry the kind).
BENCH_STORES: dict[str, Callable[[Path], Path | str]] = {
    "folder": lambda folder: folder / "index",
    "milvus": lambda folder: f"{MILVUS_LITE}{folder / 'milvus.db'}",
}


class PrecomputedEmbedder:
    """Returns question vectors computed beforehand, so search timings exclude embedding."""

    def __init__(self, vectors: dict[str, np.ndarray], dim: int) -> None:
        self.vectors, self.dim = vectors, dim
        self.model_id, self.max_tokens = "precomputed", 256

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return np.stack([self.vectors[t] for t in texts])


def synthetic_articles(
    size: int, dim: int, seed: int = 0, words_per_chunk: int = 90, per_article: int = 10
) -> list[tuple[dict, list[str], np.ndarray]]:
    """`size` synthetic chunks in articles of per_article: (manifest entry, chunk texts of Zipf-distributed
    words, random unit vectors)."""
    from rag.text.words import tokenize

    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((size, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vocabulary = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(3, 10))) for _ in range(30_000)]
    for word in sorted({w for q in QUERY_QUESTIONS for w in tokenize(q)}):  # question words at realistic ranks
        vocabulary[int(rng.integers(50, 5_000))] = word
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    picks = rng.choice(len(vocabulary), size=(size, words_per_chunk), p=weights / weights.sum())
    articles = []
    for start in range(0, size, per_article):
        number = start // per_article
        entry = {
            "id": f"synthetic-{number:06d}.txt",
            "sha256": "",
            "title": f"Synthetic article {number}",
            "source": "synthetic",
            "published": "2025-01-01",
            "url": "",
            "path": f"synthetic-{number:06d}.txt",
        }
        end = min(size, start + per_article)
        articles.append(
            (entry, [" ".join(vocabulary[i] for i in picks[c]) for c in range(start, end)], vectors[start:end])
        )
    return articles


def fill_store(store: ChunkStore, articles: list[tuple[dict, list[str], np.ndarray]]) -> None:
    """Write the synthetic articles into the store through the indexer's interface, then save it."""
    from rag.index.stores.contract import ChunkRecord

    for entry, texts, vectors in articles:
        ids = store.allocate_ids(len(texts))
        records = [
            ChunkRecord(cid, entry["id"], n, 0, len(text), text) for n, (cid, text) in enumerate(zip(ids, texts))
        ]
        store.add_article(entry, records, vectors)
    store.save()


@dataclass(frozen=True)
class QuerySpeed:
    """Retrieval latency on synthetic indexes of QUERY_SIZES chunks, for each store, and the stores' build
    throughput (writing precomputed vectors: embedding is measured by the index benchmark)."""

    quick: bool
    stores: Sequence[str] = ("folder",)
    log: Log = print
    name: ClassVar[str] = "query"

    def __call__(self) -> dict[str, object]:
        from rag.index.indexing import make_embedder

        settings = Settings.from_env()
        embedder = make_embedder(settings)
        questions = QUERY_QUESTIONS[:5] if self.quick else QUERY_QUESTIONS
        rounds = 1 if self.quick else 3
        embedder.encode(questions[:1])  # warm-up
        embed_times = []
        precomputed = {}
        for _ in range(rounds):
            for question in questions:
                t0 = time.perf_counter()
                precomputed[question] = embedder.encode([question])[0]
                embed_times.append(time.perf_counter() - t0)
        result: dict[str, Any] = {
            "questions": len(questions),
            "rounds": rounds,
            "k": settings.top_k,
            "candidates": settings.candidates,
            "embed_question": latency(embed_times),
            "stores": list(self.stores),
            "sizes": {},
        }
        searched = (PrecomputedEmbedder(precomputed, embedder.dim), embedder)
        for size in QUERY_SIZES[:1] if self.quick else QUERY_SIZES:
            articles = synthetic_articles(size, embedder.dim)
            for kind in self.stores:
                row = self.store_row(kind, articles, size, settings, searched, questions, rounds)
                result["sizes"][f"{size} {kind}"] = row
        result["peak_memory_mb"] = peak_memory_mb()
        return result

    def store_row(
        self,
        kind: str,
        articles: list[tuple[dict, list[str], np.ndarray]],
        size: int,
        settings: Settings,
        searched: tuple[Any, Any],
        questions: Sequence[str],
        rounds: int,
    ) -> dict[str, Any]:
        """One store of that kind filled with the articles, then searched in each mode, the question embedding
        excluded (searched[0], precomputed) and included (searched[1])."""
        from rag.index.stores import empty_store
        from rag.search.retrieval import Retriever

        dim = searched[1].dim
        folder = Path(tempfile.mkdtemp(prefix=f"rag-bench-query-{kind}-"))
        try:
            store = empty_store(BENCH_STORES[kind](folder), dim, {})
            t0 = time.perf_counter()
            fill_store(store, articles)
            build_s = time.perf_counter() - t0
            row: dict[str, Any] = {
                "chunks": size,
                "store": kind,
                "build_s": round(build_s, 2),
                "build_chunks_per_s": round(size / build_s, 1),
            }
            for label, used in zip(("excluded", "included"), searched):
                retriever = Retriever(store, used, settings.candidates, dense_weight=settings.dense_weight)
                for mode in MODES:
                    retriever.search(questions[0], k=settings.top_k, mode=mode)  # warm-up
                    times = []
                    for _ in range(rounds):
                        for question in questions:
                            t0 = time.perf_counter()
                            retriever.search(question, k=settings.top_k, mode=mode)
                            times.append(time.perf_counter() - t0)
                    row.setdefault(mode, {})[f"embedding_{label}"] = latency(times)
            self.log(f"query benchmark: {size} chunks in the {kind} store done (written in {build_s:.1f} s)")
            store.close()
            return row
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def table(r: dict) -> str:
        rows: list[list[Any]] = []
        for row in r["sizes"].values():
            for mode in MODES:
                ex, inc = row[mode]["embedding_excluded"], row[mode]["embedding_included"]
                rows.append(
                    [
                        row["chunks"],
                        row.get("store", "folder"),
                        mode,
                        ex["median_ms"],
                        ex["p95_ms"],
                        inc["median_ms"],
                        inc["p95_ms"],
                        row.get("build_chunks_per_s"),
                    ]
                )
        embed = r["embed_question"]
        return (
            f"Retrieval latency, top {r['k']} (question embedding alone: median "
            f"{embed['median_ms']:.1f} ms, p95 {embed['p95_ms']:.1f} ms)\n\n"
            + markdown_table(
                [
                    "chunks",
                    "store",
                    "mode",
                    "median ms (no embed)",
                    "p95 ms (no embed)",
                    "median ms (with embed)",
                    "p95 ms (with embed)",
                    "written chunks/s",
                ],
                rows,
            )
        )
