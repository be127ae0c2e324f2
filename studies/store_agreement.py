"""Do the two stores find the same passages? Builds (or reuses) a set's index in the folder store and in
Milvus Lite, asks both every question and reports how often the dense top 5 is identical and how far the hybrid
top 5's articles overlap.

    python studies/store_agreement.py --articles SET/articles.jsonl --questions SET/questions.jsonl

Found (realtimeqa_dev, 102 questions): the dense top 5 identical on 101, the hybrid top 5's articles
overlapping 0.953 (Milvus computes BM25's IDF per segment). The numbers stand in docs/results.md, "Stores"."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from rag.config import Settings
from rag.evaluate.questions import load_questions, sample_questions
from rag.evaluate.report import write_json
from rag.evaluate.set_index import eval_index_settings
from rag.index.embedding import Embedder
from rag.index.stores.contract import ChunkStore

TOP = 5


def agreement(
    first: ChunkStore,
    second: ChunkStore,
    embedder: Embedder,
    questions: Sequence[str],
    settings: Settings,
    k: int = TOP,
) -> dict[str, object]:
    """Dense top-k identical (same chunks, same order) and hybrid top-k article overlap, per question and mean."""
    from rag.search.retrieval import Retriever

    retrievers = [
        Retriever(store, embedder, settings.candidates, settings.max_per_article, settings.dense_weight)
        for store in (first, second)
    ]
    identical, overlaps = [], []
    for question in questions:
        dense = [[hit.chunk_id for hit in r.search(question, k, mode="dense")] for r in retrievers]
        identical.append(dense[0] == dense[1])
        hybrid = [{hit.article_id for hit in r.search(question, k)} for r in retrievers]
        overlaps.append(len(hybrid[0] & hybrid[1]) / max(1, len(hybrid[0])))
    return {
        "questions": len(questions),
        "k": k,
        "dense_identical": sum(identical) / max(1, len(questions)),
        "hybrid_article_overlap": sum(overlaps) / max(1, len(overlaps)),
        "hybrid_overlap_below_1": sum(o < 1 for o in overlaps),
    }


def main(argv: list[str] | None = None) -> int:
    from rag.index.indexing import build_index, indexed_model, make_embedder
    from rag.index.stores import load_store, read_manifest

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--sample", type=int, help="a random sample of N questions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("eval-output") / "store-agreement.json")
    args = parser.parse_args(argv)
    base = Settings.from_env()
    stores = []
    embedder: Embedder | None = None
    for kind in ("folder", "milvus"):
        settings, _ = eval_index_settings(args.articles, base, kind)
        started = time.perf_counter()
        report = build_index(settings, embedder=embedder, log=print)
        print(f"{kind}: {report.summary()} ({time.perf_counter() - started:.1f} s)")
        embedder = embedder or make_embedder(settings, indexed_model(read_manifest(settings.index_dir)))
        stores.append(load_store(settings.index_dir))
    questions = [q["question"] for q in sample_questions(load_questions(args.questions), args.sample, args.seed)]
    assert embedder is not None  # made after the first build
    result = {
        "articles": str(args.articles),
        "chunks": [s.count() for s in stores],
        **agreement(stores[0], stores[1], embedder, questions, base),
    }
    write_json(args.out, result)
    print(
        f"dense top {TOP} identical: {result['dense_identical']:.3f} of {len(questions)} questions; hybrid top "
        f"{TOP} article overlap: {result['hybrid_article_overlap']:.3f} ({result['hybrid_overlap_below_1']} "
        f"questions below 1); wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
