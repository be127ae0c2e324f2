"""`rag bench`: indexing throughput, retrieval latency and answer latency on this machine.

index   build an index over a copy of an articles.jsonl (default: the realtimeqa_dev set; --quick: its first 30
        articles) in a temporary folder; compare end-to-end build throughput with raw encode throughput on the
        very same embedding texts; time a no-op rebuild and one-article incremental rebuilds.
query   retrieval latency (median, p95) at 1k / 10k / 100k synthetic chunks (--quick: 1k), dense, lexical and
        hybrid, with the question embedding excluded (precomputed) and included (1 thread).
answer  warm answer latency (time to sources, first token, total) with the answering model over the seed
        articles (indexed into a temporary folder), prompt tokens and decode speed as the model counts them,
        peak memory.
prompt  whole passages against selected sentences on an evaluation set's questions (rag.evaluate.prompt_bench).
runtime llama.cpp's prompt-reading and decode speed with flash attention on / off and other batch sizes, on
        prompts of news text as long as the answers' (a fixed instructions prefix, as in use).

Numbers go to a JSON file (default bench-output/bench.json); sections already in that file from other runs are kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.config import Settings
from rag.errors import RagError
from rag.evaluate.evaluation import command_line, machine_info, markdown_table, settings_dict, write_json
from rag.evaluate.scoring import percentile
from rag.index.stores.contract import ChunkStore
from rag.locations import MILVUS_LITE
from rag.search.retrieval import Mode

if TYPE_CHECKING:
    from rag.index.indexing import BuildReport

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ARTICLES = [REPO.parent / "shared" / "eval" / "realtimeqa_dev" / "articles.jsonl"]
QUICK_ARTICLES = 30
THROUGHPUT_TARGET = 0.85
QUERY_SIZES = (1_000, 10_000, 100_000)
MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
SECTIONS = ("index", "query", "answer", "prompt", "runtime")
# (flash attention, physical batch, threads reading the prompt, threads writing the reply); the first is the default
RUNTIME_VARIANTS = (
    ("auto", 512, 2, 2),
    ("off", 512, 2, 2),
    ("on", 512, 2, 2),
    ("auto", 128, 2, 2),
    ("auto", 2048, 2, 2),
    ("auto", 512, 1, 2),
    ("auto", 512, 2, 1),
)
RUNTIME_PROMPT_WORDS = 450  # about 600 tokens with the instructions, as an answer's prompt
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
# Questions about the seed article (seeds/), for the answer benchmark; the last one is not answered there.
ANSWER_QUESTIONS = [
    "Is a meeting between Trump and Putin planned?",  # warm-up
    "What conditions did Russia set for a summit with the United States?",
    "Which meeting between Rubio and Lavrov was postponed, and why?",
    "Where did Trump say the two leaders would meet?",
    "What did the European Central Bank decide about interest rates?",
]
Log = Callable[[str], None]


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def latency(values: Sequence[float]) -> dict[str, float | int | None]:
    """Median and p95 in milliseconds."""
    ms = [v * 1000 for v in values]
    return {"median_ms": _median(ms), "p95_ms": _round(percentile(ms, 95)), "n": len(ms)}


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _median(values: Sequence[float | None], digits: int = 3) -> float | None:
    return _round(percentile(values, 50), digits)


def default_articles() -> Path:
    for path in DEFAULT_ARTICLES:
        if path.is_file():
            return path
    raise RagError("the realtimeqa_dev evaluation set was not found beside the repository; pass --articles FILE.jsonl")


# --- index -------------------------------------------------------------------------------------------------


def _rewrite(path: Path, items: list[dict]) -> None:
    path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")


def bench_index(articles_file: Path | None, quick: bool, log: Log = print) -> dict[str, object]:
    from rag.index.indexing import build_index, chunk_articles, make_embedder
    from rag.ingest.chunking import embedding_text
    from rag.ingest.documents import load_articles

    source = articles_file or default_articles()
    if not source.is_file():
        raise RagError(f"{source} does not exist; pass --articles FILE.jsonl")
    items = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    if quick:
        items = items[:QUICK_ARTICLES]
    folder = Path(tempfile.mkdtemp(prefix="rag-bench-index-"))
    try:
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
        log(f"index benchmark: {len(items)} articles from {source} ({jsonl.stat().st_size / 1e6:.1f} MB)")
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
        log(f"  build: {chunks} chunks in {build_s:.1f} s")

        loaded, _ = load_articles(seeds, settings.max_file_bytes)
        pieces = chunk_articles(loaded, embedder, settings)
        texts = [embedding_text(a.title, text) for a, chunks_ in zip(loaded, pieces) for text, _, _ in chunks_]
        if len(texts) != chunks:
            raise RagError(f"the re-chunked texts ({len(texts)}) do not match the build ({chunks} chunks)")
        t0 = time.perf_counter()
        embedder.encode(texts)
        encode_s = time.perf_counter() - t0
        log(f"  raw encode of the same {len(texts)} texts: {encode_s:.1f} s")

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
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- query -------------------------------------------------------------------------------------------------


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


def store_location(kind: str, folder: Path) -> str | Path:
    """Where the query benchmark puts a store of that kind."""
    return folder / "index" if kind == "folder" else f"{MILVUS_LITE}{folder / 'milvus.db'}"


def bench_query(quick: bool, stores: Sequence[str] = ("folder",), log: Log = print) -> dict[str, object]:
    """Retrieval latency on synthetic indexes of QUERY_SIZES chunks, for each store, and the stores' build
    throughput (writing precomputed vectors: embedding is measured by the index benchmark)."""
    from rag.index.indexing import make_embedder
    from rag.index.stores import empty_store
    from rag.search.retrieval import Retriever

    settings = Settings.from_env()
    embedder = make_embedder(settings)
    questions = QUERY_QUESTIONS[:5] if quick else QUERY_QUESTIONS
    rounds = 1 if quick else 3
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
        "stores": list(stores),
        "sizes": {},
    }
    for size in QUERY_SIZES[:1] if quick else QUERY_SIZES:
        articles = synthetic_articles(size, embedder.dim)
        for kind in stores:
            folder = Path(tempfile.mkdtemp(prefix=f"rag-bench-query-{kind}-"))
            try:
                store = empty_store(store_location(kind, folder), embedder.dim, {})
                t0 = time.perf_counter()
                fill_store(store, articles)
                build_s = time.perf_counter() - t0
                row: dict[str, Any] = {
                    "chunks": size,
                    "store": kind,
                    "build_s": round(build_s, 2),
                    "build_chunks_per_s": round(size / build_s, 1),
                }
                for label, used in (
                    ("excluded", PrecomputedEmbedder(precomputed, embedder.dim)),
                    ("included", embedder),
                ):
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
                result["sizes"][f"{size} {kind}"] = row
                log(f"query benchmark: {size} chunks in the {kind} store done (written in {build_s:.1f} s)")
                store.close()
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    result["peak_memory_mb"] = peak_memory_mb()
    return result


# --- answer ------------------------------------------------------------------------------------------------


def bench_answer(model: str | None, seeds: Path | None, quick: bool, log: Log = print) -> dict[str, object]:
    from rag.answering.qa import QA
    from rag.index.indexing import build_index

    seeds = seeds or REPO / "seeds"
    if not seeds.is_dir():
        raise RagError(f"articles folder {seeds} does not exist; pass --seeds DIR")
    folder = Path(tempfile.mkdtemp(prefix="rag-bench-answer-"))
    try:
        settings = dataclasses.replace(Settings.from_env(generator=model), seeds_dir=seeds, index_dir=folder / "index")
        build = build_index(settings, log=lambda _: None, progress=False)
        qa = QA(settings)
        t0 = time.perf_counter()
        _ = qa.embedder
        embedder_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        generator = qa.generator
        load_s = time.perf_counter() - t0
        log(
            f"answer benchmark: model {generator.name} loaded in {load_s:.1f} s; {build.articles} articles, "
            f"{build.chunks} chunks from {seeds}"
        )
        warm_up, *questions = ANSWER_QUESTIONS[:3] if quick else ANSWER_QUESTIONS
        t0 = time.perf_counter()
        qa.answer(warm_up)
        warm_up_s = time.perf_counter() - t0
        rows: list[dict[str, Any]] = []
        for question in questions:
            answer = qa.answer(question)
            rows.append(
                {
                    "question": question,
                    "sources_s": round(answer.timings.retrieve_s, 4),
                    "first_token_s": _round(answer.timings.first_token_s),
                    "total_s": round(answer.timings.total_s, 3),
                    "abstained": answer.abstained,
                    "citations": len(answer.citations),
                    "answer_chars": len(answer.text),
                    "prompt_tokens": answer.timings.prompt_tokens,
                    "decode_tokens_per_s": answer.timings.decode_tokens_per_s,
                    "answer": answer.text,
                }
            )
            log(f"  {rows[-1]['total_s']:.1f} s: {question}")

        def stat(key: str) -> dict[str, float | int | None]:
            return latency([r[key] for r in rows if r[key] is not None])

        return {
            "model": settings.generator,
            "model_file": generator.name,
            "seeds": str(seeds),
            "articles": build.articles,
            "chunks": build.chunks,
            "threads": settings.threads,
            "top_k": settings.top_k,
            "max_new_tokens": settings.max_new_tokens,
            "prompt_budget_tokens": settings.prompt_tokens,
            "embedder_load_s": round(embedder_s, 3),
            "model_load_s": round(load_s, 3),
            "warm_up_s": round(warm_up_s, 3),
            "sources": stat("sources_s"),
            "first_token": stat("first_token_s"),
            "total": stat("total_s"),
            "prompt_tokens": _median([r["prompt_tokens"] for r in rows]),
            "decode_tokens_per_s": _median([r["decode_tokens_per_s"] for r in rows]),
            "questions": rows,
            "peak_memory_mb": peak_memory_mb(),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_runtime(model: str | None, articles_file: Path | None, quick: bool, log: Log = print) -> dict[str, object]:
    """Prompt-reading and decode tokens/s of each RUNTIME_VARIANTS entry, medians over distinct prompts."""
    from rag.answering.models import LlamaCppGenerator, gguf_file, read_all
    from rag.answering.prompting import instructions

    settings = Settings.from_env(generator=model)
    path = gguf_file(settings)
    if path is None:
        raise RagError("the runtime benchmark measures llama.cpp: pick a GGUF model (default, fast or a .gguf file)")
    words = " ".join(
        json.loads(line).get("text", "")
        for line in (articles_file or default_articles()).read_text(encoding="utf-8").splitlines()[:60]
    ).split()
    repeats = 2 if quick else 5

    def messages(number: int) -> list[dict[str, str]]:  # a new text each time: nothing of it is cached
        start = number * RUNTIME_PROMPT_WORDS
        text = " ".join(words[start : start + RUNTIME_PROMPT_WORDS])
        return [
            {"role": "system", "content": instructions(5)},
            {"role": "user", "content": f"[1] A news article\n{text}\n\nQuestion: What happened?"},
        ]

    rows, prompt = [], 0
    for flash_attention, batch, reading, writing in RUNTIME_VARIANTS[:2] if quick else RUNTIME_VARIANTS:
        generator = LlamaCppGenerator(
            path,
            min(writing, settings.threads),
            settings.context_tokens,
            flash_attention,
            batch,
            min(reading, settings.threads),
        )
        list(generator.stream(messages(prompt), 4))  # warm-up; caches the instructions
        prompt += 1
        read_speeds, decoding, tokens = [], [], []
        for _ in range(repeats):
            _, usage = read_all(generator.stream(messages(prompt), 32))
            prompt += 1
            if usage is None:
                raise RagError("the model runtime reported no timings")
            read_speeds.append((usage.prompt_tokens - usage.cached_tokens) / usage.prompt_s)
            decoding.append(usage.decode_tokens_per_s)
            tokens.append(usage.prompt_tokens)
        rows.append(
            {
                "flash_attention": flash_attention,
                "batch": batch,
                "reading_threads": reading,
                "writing_threads": writing,
                "prompt_tokens": _median(tokens, 1),
                "prompt_tokens_per_s": _median(read_speeds, 1),
                "decode_tokens_per_s": _median(decoding, 1),
            }
        )
        log(
            f"  flash attention {flash_attention}, batch {batch}, threads {reading} reading / {writing} writing: "
            f"reads {rows[-1]['prompt_tokens_per_s']} tokens/s, writes {rows[-1]['decode_tokens_per_s']} tokens/s"
        )
        del generator
    return {"model_file": path.name, "threads": settings.threads, "repeats": repeats, "variants": rows}


# --- output ------------------------------------------------------------------------------------------------


def tables(results: dict[str, dict]) -> str:
    parts = []
    if "index" in results:
        r = results["index"]
        parts.append(
            f"Index build ({r['articles']} articles, {r['chunks']} chunks, {r['threads']} threads)\n\n"
            + markdown_table(
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
    if "query" in results:
        r = results["query"]
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
        parts.append(
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
    if "answer" in results:
        r = results["answer"]
        parts.append(
            f"Answers, warm ({r['model_file']}, {len(r['questions'])} questions, {r['threads']} threads, "
            f"prompt {r['prompt_tokens']} tokens, decode {r['decode_tokens_per_s']} tokens/s, medians)\n\n"
            + markdown_table(
                ["", "sources s", "first token s", "total s"],
                [
                    [
                        "median",
                        _s(r["sources"]["median_ms"]),
                        _s(r["first_token"]["median_ms"]),
                        _s(r["total"]["median_ms"]),
                    ],
                    ["p95", _s(r["sources"]["p95_ms"]), _s(r["first_token"]["p95_ms"]), _s(r["total"]["p95_ms"])],
                ],
            )
            + f"\n\nmodel load {r['model_load_s']} s, peak memory {r['peak_memory_mb']} MB"
        )
    if "runtime" in results:
        r = results["runtime"]
        parts.append(
            f"llama.cpp runtime ({r['model_file']}, at most {r['threads']} threads, medians of "
            f"{r['repeats']} prompts)\n\n"
            + markdown_table(
                [
                    "flash attention",
                    "batch",
                    "threads reading / writing",
                    "prompt tokens",
                    "prompt tokens/s (read)",
                    "decode tokens/s",
                ],
                [
                    [
                        v["flash_attention"],
                        v["batch"],
                        f"{v['reading_threads']} / {v['writing_threads']}",
                        v["prompt_tokens"],
                        v["prompt_tokens_per_s"],
                        v["decode_tokens_per_s"],
                    ]
                    for v in r["variants"]
                ],
            )
        )
    if "prompt" in results:
        from rag.evaluate.prompt_bench import table

        parts.append(table(results["prompt"]))
    return "\n\n".join(parts)


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def run_from_cli(args: argparse.Namespace) -> int:
    what = ["index", "query", "answer"] if args.what == "all" else [args.what]
    out: Path = args.out or Path("bench-output") / "bench.json"
    meta = {
        "command": command_line(args),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick": args.quick,
        "machine": machine_info(),
        "settings": settings_dict(Settings.from_env()),
    }
    results: dict[str, dict] = {}
    for name in what:
        started = time.perf_counter()
        if name == "index":
            section = bench_index(args.articles, args.quick)
        elif name == "query":
            section = bench_query(args.quick, getattr(args, "store", None) or ("folder",))
        elif name == "runtime":
            section = bench_runtime(args.model, args.articles, args.quick)
        elif name == "prompt":
            from rag.evaluate.prompt_bench import DEFAULTS, WHOLE, bench_prompt

            section = bench_prompt(
                args.articles,
                getattr(args, "questions", None),
                args.sample,
                args.seed,
                out.parent,
                getattr(args, "config", None) or (WHOLE, DEFAULTS),
                args.model,
            )
        else:
            section = bench_answer(args.model, getattr(args, "seeds", None), args.quick)
        results[name] = {**section, "seconds": round(time.perf_counter() - started, 1), **meta}
    previous: dict = {}
    if out.exists():
        try:
            previous = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            previous = {}
    data = {
        **{k: v for k, v in previous.items() if k in SECTIONS},
        **results,
        "updated": meta["date"],
        "machine": meta["machine"],
    }
    write_json(out, data)
    print()
    print(tables(results))
    kept = sorted(set(data) & set(SECTIONS) - set(results))
    print(f"\nwrote {out}" + (f" (kept the {', '.join(kept)} section(s) of an earlier run)" if kept else ""))
    return 0
