"""`rag bench index`: how fast an index is built on this machine. An index over a copy of an articles.jsonl
(default: the realtimeqa_dev set; quick: its first 30 articles) is built in a temporary folder; end-to-end build
throughput is compared with raw encode throughput on the very same embedding texts; a no-op rebuild and
one-article incremental rebuilds are timed."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rag.config import Settings
from rag.errors import RagError
from rag.evaluate.report import markdown_table
from rag.evaluate.set_index import default_articles
from rag.evaluate.speed import Log, peak_memory_mb

if TYPE_CHECKING:
    from rag.index.embedding import Embedder
    from rag.index.indexing import BuildReport

QUICK_ARTICLES = 30
THROUGHPUT_TARGET = 0.85


def _rewrite(path: Path, items: list[dict]) -> None:
    path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")


@dataclass(frozen=True)
class IndexSpeed:
    """Build throughput against a bare encode of the same texts, no-op and one-article rebuilds."""

    articles_file: Path | None
    quick: bool
    log: Log = print
    name: ClassVar[str] = "index"

    def __call__(self) -> dict[str, object]:
        source = self.articles_file or default_articles()
        if not source.is_file():
            raise RagError(f"{source} does not exist; pass --articles FILE.jsonl")
        items = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
        if self.quick:
            items = items[:QUICK_ARTICLES]
        folder = Path(tempfile.mkdtemp(prefix="rag-bench-index-"))
        try:
            return self.measure(source, items, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def measure(self, source: Path, items: list[dict], folder: Path) -> dict[str, object]:
        """The builds over the items, copied into folder."""
        from rag.index.indexing import build_index, make_embedder

        seeds = folder / "seeds"
        seeds.mkdir()
        jsonl = seeds / "articles.jsonl"
        _rewrite(jsonl, items)
        settings = dataclasses.replace(
            Settings.from_env(),
            seeds_dir=seeds,
            index_dir=folder / "index",
            max_file_bytes=max(20_000_000, jsonl.stat().st_size + 1),
        )
        self.log(f"index benchmark: {len(items)} articles from {source} ({jsonl.stat().st_size / 1e6:.1f} MB)")
        t0 = time.perf_counter()
        embedder = make_embedder(settings)
        load_s = time.perf_counter() - t0
        embedder.encode([f"warm-up sentence number {i}" for i in range(16)])

        def build() -> tuple[BuildReport, float]:
            t = time.perf_counter()
            report = build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
            return report, time.perf_counter() - t

        report, build_s = build()
        chunks = report.chunks_embedded
        self.log(f"  build: {chunks} chunks in {build_s:.1f} s")
        texts, encode_s = _raw_encode(settings, embedder, chunks)
        self.log(f"  raw encode of the same {len(texts)} texts: {encode_s:.1f} s")

        noop, noop_s = build()
        assert noop.plan.is_noop, noop.plan.describe()

        changed = dict(items[-1], text=items[-1]["text"] + "\nThis article was updated by the benchmark.")
        _rewrite(jsonl, items[:-1] + [changed])
        modified, modify_s = build()
        added = dict(items[0], id=f"{items[0].get('id', 'first')}-bench-copy")
        _rewrite(jsonl, items[:-1] + [changed, added])
        appended, add_s = build()
        tokens = embedder.count_tokens(texts)
        return {
            "articles_file": str(source),
            "articles": len(items),
            "chunks": chunks,
            "chunk_tokens_mean": round(sum(tokens) / max(1, len(tokens)), 1),
            "index_settings": settings.shape(),
            "threads": settings.threads,
            "batch_size": settings.embed_batch_size,
            "model_load_s": round(load_s, 3),
            "build_s": round(build_s, 3),
            "articles_per_s": round(len(items) / build_s, 2),
            "chunks_per_s": round(chunks / build_s, 2),
            "raw_encode_s": round(encode_s, 3),
            "raw_encode_chunks_per_s": round(chunks / encode_s, 2),
            "build_vs_raw_encode": round((chunks / build_s) / (chunks / encode_s), 3),
            "target": THROUGHPUT_TARGET,
            "meets_target": (chunks / build_s) / (chunks / encode_s) >= THROUGHPUT_TARGET,
            "noop_rebuild_s": round(noop_s, 3),
            "modify_one_rebuild_s": round(modify_s, 3),
            "modify_one_chunks_embedded": modified.chunks_embedded,
            "add_one_rebuild_s": round(add_s, 3),
            "add_one_chunks_embedded": appended.chunks_embedded,
            "peak_memory_mb": peak_memory_mb(),
        }

    @staticmethod
    def table(r: dict) -> str:
        return f"Index build ({r['articles']} articles, {r['chunks']} chunks, {r['threads']} threads)\n\n" + (
            markdown_table(
                [
                    "build s",
                    "articles/s",
                    "chunks/s",
                    "raw encode chunks/s",
                    "build / raw",
                    f"≥ {r['target']}",
                    "no-op rebuild s",
                    "modify-1 rebuild s",
                    "add-1 rebuild s",
                    "model load s",
                ],
                [
                    [
                        r["build_s"],
                        r["articles_per_s"],
                        r["chunks_per_s"],
                        r["raw_encode_chunks_per_s"],
                        r["build_vs_raw_encode"],
                        "yes" if r["meets_target"] else "NO",
                        r["noop_rebuild_s"],
                        r["modify_one_rebuild_s"],
                        r["add_one_rebuild_s"],
                        r["model_load_s"],
                    ]
                ],
            )
        )


def _raw_encode(settings: Settings, embedder: Embedder, chunks: int) -> tuple[list[str], float]:
    """The build's embedding texts, chunked again, and the seconds a bare encode of them takes."""
    from rag.index.indexing import chunk_articles
    from rag.ingest.chunking import embedding_text
    from rag.ingest.documents import load_articles

    loaded, _ = load_articles(settings.seeds_dir, settings.max_file_bytes)
    pieces = chunk_articles(loaded, embedder, settings)
    texts = [embedding_text(a.title, text) for a, chunks_ in zip(loaded, pieces) for text, _, _ in chunks_]
    if len(texts) != chunks:
        raise RagError(f"the re-chunked texts ({len(texts)}) do not match the build ({chunks} chunks)")
    t0 = time.perf_counter()
    embedder.encode(texts)
    return texts, time.perf_counter() - t0
