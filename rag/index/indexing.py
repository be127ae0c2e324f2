"""Incremental index builds: plan what changed against the manifest, then embed only that."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.config import Settings
from rag.errors import IndexLockedError, NoArticlesError, RagError
from rag.index.embedder_identity import check_same, identity, same_vectors
from rag.index.embedding import Embedder, make_embedder
from rag.index.stores import empty_store, has_index, load_store, local_folder, lock_file, read_manifest
from rag.index.stores.contract import ChunkRecord, ChunkStore
from rag.ingest import duplicates
from rag.ingest.chunking import TITLE_TOKENS, chunk_text, embedding_text
from rag.ingest.documents import Article, Problem, load_articles

Log = Callable[[str], None]
GROUP_CHUNKS = 1024  # chunks embedded in one call
Progress = Callable[[int, int], None]  # (chunks embedded so far, chunks to embed)
CHECKPOINT_SECONDS = 120.0  # a build saves about this often (after a group), so an interrupted one loses little


@dataclass(frozen=True)
class Plan:
    """What a build would do. full_reason is set when the whole index must be rebuilt."""

    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]
    full_reason: str | None = None

    @property
    def is_noop(self) -> bool:
        return not (self.added or self.changed or self.removed or self.full_reason)

    def describe(self) -> str:
        head = f"full rebuild ({self.full_reason}); " if self.full_reason else ""
        return (
            f"{head}{len(self.added)} to add, {len(self.changed)} changed, {len(self.removed)} to remove, "
            f"{len(self.unchanged)} unchanged"
        )


@dataclass(frozen=True)
class BuildReport:
    """The outcome of one build."""

    plan: Plan
    chunks_embedded: int
    seconds: float
    articles: int
    chunks: int
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        p = self.plan
        return (
            f"added {len(p.added)}, changed {len(p.changed)}, removed {len(p.removed)}, "
            f"unchanged {len(p.unchanged)}; {self.chunks_embedded} chunks embedded in {self.seconds:.1f} s "
            f"({self.articles} articles, {self.chunks} chunks indexed"
            f"{f', {len(self.problems)} files skipped' if self.problems else ''})"
        )


def plan_update(articles: list[Article], manifest: dict | None, shape: dict[str, object], full: bool = False) -> Plan:
    """Diff the articles against the manifest by content hash (pure)."""
    indexed = (manifest or {}).get("articles", {})
    reason = None
    if full:
        reason = "requested with --full"
    elif manifest is not None and manifest.get("settings") != shape:
        old, new = manifest.get("settings", {}), shape
        changed = ", ".join(f"{k} {old.get(k)!r} -> {new[k]!r}" for k in new if old.get(k) != new[k])
        reason = f"index settings changed: {changed}"
    if reason:
        return Plan([a.id for a in articles], [], [], [], reason)
    current = {a.id: a.sha256 for a in articles}
    return Plan(
        added=[i for i in current if i not in indexed],
        changed=[i for i in current if i in indexed and indexed[i]["sha256"] != current[i]],
        removed=[i for i in indexed if i not in current],
        unchanged=[i for i in current if i in indexed and indexed[i]["sha256"] == current[i]],
    )


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def build_lock(path: Path, log: Log = lambda _: None, index: Path | str | None = None) -> Iterator[None]:
    """Exclusive lock on the index (its lock file, see stores.lock_file). The OS releases it when the holder
    dies, so a killed build never blocks the next one; the pid it left in the lock file is reported and cleared."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise IndexLockedError(
            f"another build of {index or path.parent} is running (pid {holder}); "
            "wait for it to finish and run the command again"
        ) from None
    try:
        handle.seek(0)
        left = handle.read().strip()
        if left.isdigit() and int(left) != os.getpid() and not _running(int(left)):
            log(f"cleared a stale lock: build {left} stopped without finishing; its unfinished files are ignored")
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.truncate(0)  # a clean exit leaves no pid behind; only an interrupted build does
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def chunk_articles(articles: list[Article], embedder: Embedder, settings: Settings) -> list[list[tuple[str, int, int]]]:
    """Per article, its chunks as (text, start, end)."""
    result = []
    for article in articles:
        chunks = chunk_text(
            article.id, article.text, embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap
        )
        result.append([(c.text, c.start, c.end) for c in chunks])
    return result


PACKAGED_MODEL = "default"  # --embedding-model default: back to the packaged all-MiniLM-L6-v2


def index_model(settings: Settings, manifest: dict | None) -> str:
    """The embedding model a build uses ("" for the packaged one): the one asked for (RAG_EMBEDDING_MODEL,
    --embedding-model), else the one the index was built with, so a build that names none keeps it."""
    if settings.embedding_model:
        return "" if settings.embedding_model == PACKAGED_MODEL else settings.embedding_model
    return indexed_model(manifest)


def indexed_model(manifest: dict | None) -> str:
    """The embedding model an index was built with ("" for the packaged one, or for no index)."""
    named = str((manifest or {}).get("settings", {}).get("embedding_model", ""))
    return "" if named.startswith("packaged:") else named


def build_index(
    settings: Settings | None = None,
    full: bool = False,
    embedder: Embedder | None = None,
    log: Log = print,
    progress: bool = True,
    on_progress: Progress | None = None,
) -> BuildReport:
    """Bring the index in settings.index_dir up to date with the articles in settings.seeds_dir. progress
    draws a bar on stderr; on_progress(done, total) hears of every group of chunks embedded (for a page)."""
    settings = settings or Settings.from_env()
    settings = replace(settings, embedding_model=index_model(settings, _readable_manifest(settings.index_dir)))
    started = time.perf_counter()
    if not settings.seeds_dir.is_dir():
        raise RagError(f"articles folder {settings.seeds_dir} does not exist; create it or pass --seeds DIR")
    location = settings.index_dir
    with build_lock(lock_file(location, settings.cache_dir), log, location):
        articles, problems = load_articles(settings.seeds_dir, settings.max_file_bytes, local_folder(location))
        for problem in problems:
            log(str(problem))
        indexed = has_index(location)
        if not articles and not indexed:
            raise NoArticlesError(
                f"no readable articles in {settings.seeds_dir}; add .txt, .md, .html, .json or "
                ".jsonl files and run rag build again"
            )
        shape = settings.shape()
        manifest = read_manifest(location) if not full else None
        moved = False  # the embedder's location changed, its vectors did not (a server at a new address)
        if manifest and manifest.get("embedder") and _only_the_embedder_changed(manifest, shape):
            embedder = embedder or make_embedder(settings)
            if same_vectors(manifest["embedder"], embedder):
                log(f"{embedder.model_id} gives the index's vectors: nothing to embed again")
                manifest, moved = {**manifest, "settings": shape}, True
        plan = plan_update(articles, manifest, shape, full=full)
        if plan.full_reason and not full:
            log(f"rebuilding the whole index: {plan.full_reason}")
        if plan.is_noop:
            total = sum(len(a["chunk_ids"]) for a in manifest["articles"].values()) if manifest else 0
            stale_duplicates = manifest and manifest.get("duplicates") != duplicates.VERSION
            if moved or stale_duplicates or (manifest and manifest.get("deleting")):  # a cut-short delete too
                if stale_duplicates:
                    log("working out near-duplicate articles again (the index was built by an older version)")
                store = load_store(location)
                store.manifest["settings"] = shape
                mark_duplicates(store, articles)
                store.save()
            return BuildReport(plan, 0, time.perf_counter() - started, len(articles), total, problems)
        embedder = embedder or make_embedder(settings)
        readable = embedder.max_tokens - TITLE_TOKENS
        if settings.chunk_tokens > readable:
            raise RagError(
                f"RAG_CHUNK_TOKENS={settings.chunk_tokens} is more than the embedding model reads beside "
                f"a title ({embedder.max_tokens} - {TITLE_TOKENS} = {readable} tokens); set it to "
                f"{readable} or less"
            )
        if plan.full_reason or manifest is None:
            store = empty_store(location, embedder.dim, shape)
            store.manifest["duplicates"] = duplicates.VERSION  # every entry gets today's fingerprint
            store.manifest["embedder"] = identity(embedder)
        else:
            store = load_store(location)
            check_same(store.manifest.get("embedder"), embedder, location)  # never two embedders' vectors
            if "embedder" not in store.manifest:  # an index built before the record
                store.manifest["embedder"] = identity(embedder)
            store.manifest["settings"] = shape
        wanted = set(plan.added) | set(plan.changed)
        todo = [a for a in articles if a.id in wanted]

        def checkpoint(done: int, total: int) -> None:
            mark_duplicates(store, articles)
            store.save()
            log(f"saved {done:,} of {total:,} new chunks; an interrupted build goes on from here")

        # A rebuild that replaces a usable index keeps it whole until the end; other builds save as they go,
        # each save a whole index: a changed article is swapped for its new version as that is embedded.
        replacing = bool(plan.full_reason) and indexed
        embedded = _embed_articles(
            store, todo, embedder, settings, progress, None if replacing else checkpoint, on_progress
        )
        for article_id in plan.removed:  # only now: every save until here answers from them too
            store.remove_article(article_id)
        mark_duplicates(store, articles)
        store.save()
        return BuildReport(plan, embedded, time.perf_counter() - started, len(articles), store.count(), problems)


def _only_the_embedder_changed(manifest: dict, shape: dict[str, object]) -> bool:
    old = manifest.get("settings", {})
    return old != shape and {k: v for k, v in old.items() if k != "embedding_model"} == {
        k: v for k, v in shape.items() if k != "embedding_model"
    }


def _readable_manifest(location: Path | str) -> dict | None:
    """The index's manifest, None when there is none or it cannot be read (the build reports or repairs it)."""
    try:
        return read_manifest(location)
    except RagError:
        return None


def mark_duplicates(store: ChunkStore, articles: list[Article]) -> None:
    """Record in each manifest entry which earlier article it near-duplicates ("duplicate_of"), if any."""
    entries = store.manifest["articles"]
    current = store.manifest.get("duplicates") == duplicates.VERSION
    texts = {a.id: a.text for a in articles}
    for article_id, entry in entries.items():
        if not (current and "facts" in entry) and article_id in texts:  # fingerprinted by an older rule
            entry.update(duplicates.fingerprint(texts[article_id]))
    original_of = duplicates.group_duplicates(entries)
    for article_id, entry in entries.items():
        entry.pop("duplicate_of", None)
        if article_id in original_of:
            entry["duplicate_of"] = original_of[article_id]
    store.manifest["duplicates"] = duplicates.VERSION


def _embed_articles(
    store: ChunkStore,
    articles: list[Article],
    embedder: Embedder,
    settings: Settings,
    progress: bool,
    checkpoint: Callable[[int, int], None] | None = None,
    on_progress: Progress | None = None,
) -> int:
    """Chunk and embed the articles into the store, a group of about GROUP_CHUNKS chunks at a time; with a
    checkpoint, save the index whenever CHECKPOINT_SECONDS of embedding have passed since the last save."""
    from tqdm import tqdm

    pieces = chunk_articles(articles, embedder, settings)
    total = sum(len(chunks) for chunks in pieces)
    bar = tqdm(total=total, desc="embedding", unit="chunk", disable=not progress or total <= 64)
    done, start, group, saved_at = 0, 0, 0, time.perf_counter()
    if on_progress:
        on_progress(0, total)
    for end, chunks in enumerate(pieces, start=1):
        group += len(chunks)
        if group < GROUP_CHUNKS and end < len(articles):
            continue
        done += _embed_group(store, articles[start:end], pieces[start:end], embedder)
        bar.update(group)
        if on_progress:
            on_progress(done, total)
        start, group = end, 0
        if checkpoint and end < len(articles) and time.perf_counter() - saved_at >= CHECKPOINT_SECONDS:
            checkpoint(done, total)
            saved_at = time.perf_counter()
    bar.close()
    return done


def _embed_group(
    store: ChunkStore, articles: list[Article], pieces: list[list[tuple[str, int, int]]], embedder: Embedder
) -> int:
    """Embed some articles' chunks into the store, each replacing its older version; the chunks embedded."""
    texts = [embedding_text(a.title, text) for a, chunks in zip(articles, pieces) for text, _, _ in chunks]
    vectors = embedder.encode(texts)
    offset = 0
    for article, chunks in zip(articles, pieces):
        if article.id in store.manifest["articles"]:
            store.remove_article(article.id)
        ids = store.allocate_ids(len(chunks))
        records = [
            ChunkRecord(cid, article.id, n, start, end, text)
            for n, (cid, (text, start, end)) in enumerate(zip(ids, chunks))
        ]
        entry = {
            "id": article.id,
            "sha256": article.sha256,
            "title": article.title,
            "source": article.source,
            "published": article.published,
            "url": article.url,
            "path": article.path,
            "indexed": time.strftime("%Y-%m-%d %H:%M"),
            **duplicates.fingerprint(article.text),
        }
        store.add_article(entry, records, vectors[offset : offset + len(chunks)])
        offset += len(chunks)
    return len(texts)
