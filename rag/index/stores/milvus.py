"""The Milvus store: the same index in a Milvus Lite file ("milvus:PATH.db") or on a cluster ("http(s)://HOST:19530",
token from RAG_MILVUS_TOKEN), through pymilvus (`pip install -e '.[milvus]'`).

Collections (prefix news_rag): `_meta` holds the manifest's settings and counters, and for each data generation
`_gNNNNNN_articles` (one manifest entry per article) and `_gNNNNNN_chunks` (int64 chunk id, article id, dense
vector searched by inner product, the passage's BM25 terms analysed by a Milvus BM25 function, the published
day and the lowercased source for filters in the engine, offsets and text). A chunk is written before its
article's entry and deleted after it, so the manifest never lists a chunk that is not there (ids are saved as
pending before use: an interrupted write's chunks are deleted by id on the next write); a full rebuild
writes a new generation and `_meta` moves to it only in save(), so an interrupted one leaves the old index.
Readers (and incremental builds) use the aliases `news_rag_chunks` and `news_rag_articles`, which save()
moves to a new generation in one switch each before the old one is dropped; chunk ids are never handed out
twice, not even across generations, so a reader holding an older manifest skips what it does not list.

The collections' names and fields are in milvus_schema, the client and its errors in milvus_client."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from rag.errors import IndexFormatError, IndexNotFoundError
from rag.index.stores.contract import (
    NO_FILTERS,
    RECOVER,
    UNDATED,
    ChunkRecord,
    Filters,
    Part,
    article_index,
    day_number,
)
from rag.index.stores.folder import checked_manifest, new_manifest, versions
from rag.index.stores.milvus_client import call, connect, loaded, release, unloaded
from rag.index.stores.milvus_schema import (
    ALIASES,
    LEGACY_UNDATED,
    META,
    PREFIX,
    TEXT_CHARS,
    chunk_collection,
    keyed_collection,
    milvus_filter,
    tables_of,
)
from rag.locations import after_scheme, scheme
from rag.text.words import tokenize

BATCH = 512  # rows a request writes or reads


class MilvusStore:
    """One generation of the index in Milvus; the manifest is held in memory as the folder store holds it."""

    def __init__(self, location: str, manifest: dict, tables: str, saved: dict[str, dict] | None = None) -> None:
        self.location = location
        self.client = connect(location)
        self.manifest = manifest
        self.tables = tables
        self.chunks_table, self.articles_table = f"{PREFIX}_{tables}_chunks", f"{PREFIX}_{tables}_articles"
        # a live index is read and written through the aliases a full rebuild moves; a new generation directly
        live = saved is not None
        self.chunks_name = ALIASES["chunks"] if live else self.chunks_table
        self.articles_name = ALIASES["articles"] if live else self.articles_table
        self._saved = json.loads(json.dumps(saved or {}))  # article entries as Milvus holds them
        self._article_ids = article_index(manifest)
        self._live = bool(saved is not None)  # _meta points at these collections
        self.undated = int(manifest.get("undated_day", LEGACY_UNDATED))

    # --- opening -------------------------------------------------------------------------------------------

    @staticmethod
    def _meta(location: str) -> dict | None:
        client = connect(location)
        if not call(location, "list its collections", client.has_collection, META):
            return None
        rows = call(
            location,
            "read the index settings",
            client.query,
            loaded(location, META),
            filter="key == 0",
            output_fields=["manifest"],
        )
        return rows[0]["manifest"] if rows else None

    @classmethod
    def exists(cls, location: str) -> bool:
        return cls._meta(location) is not None

    @classmethod
    def stamp(cls, location: str) -> object:
        meta = cls._meta(location)
        return None if meta is None else (meta.get("tables"), meta.get("generation"))

    @classmethod
    def read_manifest(cls, location: str) -> dict | None:
        meta = cls._meta(location)
        if meta is None:
            return None
        articles = cls._read_articles(location, f"{PREFIX}_{meta.get('tables')}_articles")
        return checked_manifest({**meta, "articles": articles}, f"the Milvus index at {location}")

    @classmethod
    def _read_articles(cls, location: str, name: str) -> dict[str, dict]:
        client = connect(location)
        if not call(location, "list its collections", client.has_collection, name):
            raise IndexFormatError(f"the Milvus index at {location} lacks its collection {name}; {RECOVER}")
        iterator = call(
            location,
            "read the articles",
            client.query_iterator,
            loaded(location, name),
            batch_size=BATCH,
            filter='id != ""',
            output_fields=["entry"],
        )
        articles: dict[str, dict] = {}
        while rows := call(location, "read the articles", iterator.next):
            articles.update((row["id"], row["entry"]) for row in rows)
        iterator.close()
        return articles

    @classmethod
    def load(cls, location: str) -> MilvusStore:
        manifest = cls.read_manifest(location)
        if manifest is None:
            raise IndexNotFoundError(f"no index in {location}; build it with: rag build --index {location}")
        store = cls(location, manifest, manifest["tables"], saved=manifest["articles"])
        store._point_aliases()  # an index from before the aliases, or a save cut short between _meta and them
        loaded(location, store.chunks_name)
        return store

    @classmethod
    def empty(cls, location: str, dim: int, shape: dict[str, object]) -> MilvusStore:
        """A new generation's empty collections; leftovers of interrupted rebuilds are dropped first."""
        meta = cls._meta(location) or {}
        live = meta.get("tables")
        generation = max(int(meta.get("generation", 0)), cls._highest(location)) + 1
        tables = f"g{generation:06d}"
        fresh = {**new_manifest(dim, shape), "generation": meta.get("generation", 0), "tables": tables}
        # ids go on from the live generation's: a reader that still holds it never takes a new chunk for an old one
        fresh["next_chunk_id"] = int(meta.get("next_chunk_id", 0))
        store = cls(location, {**fresh, "undated_day": UNDATED}, tables)
        store._drop_generations(keep={live})
        store._create(dim)
        return store

    def _point_aliases(self) -> None:
        """Point the readers' aliases at this generation's collections (one atomic switch each)."""
        for kind, table in (("chunks", self.chunks_table), ("articles", self.articles_table)):
            alias = ALIASES[kind]
            try:
                current = self.client.describe_alias(alias).get("collection_name")
            except Exception:  # no such alias yet
                current = None
            if current != table:
                move = self.client.alter_alias if current else self.client.create_alias
                call(self.location, f"point {alias} at {table}", move, table, alias)
                unloaded(self.location, alias)  # the alias names another collection now

    @staticmethod
    def _highest(location: str) -> int:
        names = call(location, "list its collections", connect(location).list_collections)
        return max((int(tables[1:]) for tables in map(tables_of, names) if tables), default=0)

    def _drop_generations(self, keep: set[str | None]) -> None:
        for name in call(self.location, "list its collections", self.client.list_collections):
            if tables_of(name) and tables_of(name) not in keep:
                call(self.location, "drop an old collection", self.client.drop_collection, name)
                unloaded(self.location, name)

    def _create(self, dim: int) -> None:
        from pymilvus import DataType

        client = self.client
        self._create_collection("create the chunk collection", self.chunks_name, *chunk_collection(client, dim))
        articles = self.articles_name
        self._create_collection(f"create {articles}", articles, *keyed_collection(client, articles, DataType.VARCHAR))
        if not call(self.location, "list its collections", client.has_collection, META):
            self._create_collection(f"create {META}", META, *keyed_collection(client, META, DataType.INT64))

    def _create_collection(self, action: str, name: str, schema: Any, index: Any) -> None:
        create = self.client.create_collection
        call(self.location, action, create, name, schema=schema, index_params=index, consistency_level="Strong")

    # --- reading -------------------------------------------------------------------------------------------

    def count(self) -> int:
        return len(self._article_ids)

    def article_of(self, chunk_id: int) -> dict | None:
        article_id = self._article_ids.get(chunk_id)
        return None if article_id is None else self.manifest["articles"][article_id]

    def dense_search(self, query: np.ndarray, k: int, filters: Filters = NO_FILTERS) -> list[tuple[int, float]]:
        if k <= 0 or not self._article_ids:
            return []
        found = call(
            self.location,
            "search",
            self.client.search,
            self.chunks_name,
            data=[np.asarray(query, dtype=np.float32).tolist()],
            anns_field="vector",
            limit=k,
            filter=milvus_filter(filters, self.undated),
            output_fields=["id"],
            search_params={"metric_type": "IP"},
        )
        return [(int(hit["id"]), float(hit["distance"])) for hit in found[0]]

    def lexical_search(self, question: str, k: int, filters: Filters = NO_FILTERS) -> list[tuple[int, float]]:
        terms = tokenize(question)
        if k <= 0 or not terms or not self._article_ids:
            return []
        found = call(
            self.location,
            "search",
            self.client.search,
            self.chunks_name,
            data=[" ".join(terms)],
            anns_field="sparse",
            limit=k,
            filter=milvus_filter(filters, self.undated),
            output_fields=["id"],
            search_params={"metric_type": "BM25"},
        )
        # a plain BM25 search returns the scores negated (the order is right)
        scored = [(int(hit["id"]), abs(float(hit["distance"]))) for hit in found[0]]
        return [(cid, score) for cid, score in scored if score > 0]

    def _get(self, ids: Iterable[int], fields: list[str]) -> list[dict]:
        wanted = sorted({int(i) for i in ids})
        rows: list[dict] = []
        for start in range(0, len(wanted), BATCH):
            rows += call(
                self.location,
                "read chunks",
                self.client.get,
                self.chunks_name,
                ids=wanted[start : start + BATCH],
                output_fields=fields,
            )
        return rows

    def fetch(self, ids: Iterable[int]) -> dict[int, ChunkRecord]:
        return {
            int(r["id"]): ChunkRecord(
                int(r["id"]), r["article_id"], int(r["ordinal"]), int(r["start"]), int(r["end"]), r["text"]
            )
            for r in self._get(ids, ["id", "article_id", "ordinal", "start", "end", "text"])
        }

    def vectors_of(self, ids: Iterable[int]) -> dict[int, np.ndarray]:
        return {int(r["id"]): np.asarray(r["vector"], dtype=np.float32) for r in self._get(ids, ["id", "vector"])}

    # --- writing -------------------------------------------------------------------------------------------

    def allocate_ids(self, count: int) -> list[int]:
        """Fresh ids. The range is saved as pending before any chunk is written with it, so the chunks of an
        article whose write was interrupted (never listed in the manifest) are found and deleted by id."""
        first, last = self.manifest.get("pending") or (0, 0)
        orphans = [cid for cid in range(first, last) if cid not in self._article_ids]
        if orphans:
            call(self.location, "delete chunks", self.client.delete, self.chunks_name, ids=orphans)
        start = self.manifest["next_chunk_id"]
        self.manifest.update(next_chunk_id=start + count, pending=[start, start + count])
        if self._live:  # ids are never handed out twice, even after a crash (a new generation starts afresh)
            self._write_meta(self.manifest.get("generation", 0))
        return list(range(start, start + count))

    def add_article(self, entry: dict, records: list[ChunkRecord], vectors: np.ndarray) -> None:
        article_id = entry["id"]
        day, source = day_number(entry.get("published"), self.undated), str(entry.get("source") or "").lower()[:1024]
        rows = [
            {
                "id": r.id,
                "article_id": r.article_id,
                "ordinal": r.ordinal,
                "start": r.start,
                "end": r.end,
                "text": r.text[:TEXT_CHARS],
                "terms": " ".join(tokenize(f"{entry['title']}\n{r.text}"))[:TEXT_CHARS],
                "vector": np.asarray(v, dtype=np.float32).tolist(),
                "day": day,
                "source": source,
            }
            for r, v in zip(records, vectors)
        ]
        for start in range(0, len(rows), BATCH):
            call(self.location, "write chunks", self.client.upsert, self.chunks_name, rows[start : start + BATCH])
        stored = {**entry, "chunk_ids": [r.id for r in records]}
        self._write_entries({article_id: stored})
        self.manifest["articles"][article_id] = stored
        self._article_ids.update((r.id, article_id) for r in records)

    def remove_article(self, article_id: str) -> None:
        """Delete the article's entry, then its chunks; the chunk ids go on record first, so chunks a crash
        leaves behind (no longer listed, still found by searches) are deleted by the next build's save."""
        entry = self.manifest["articles"].pop(article_id)
        if entry["chunk_ids"] and self._live:
            self.manifest["deleting"] = sorted({*self.manifest.get("deleting", []), *entry["chunk_ids"]})
            self._write_meta(int(self.manifest.get("generation", 0)))
        call(self.location, "delete an article", self.client.delete, self.articles_name, ids=[article_id])
        self._saved.pop(article_id, None)
        if entry["chunk_ids"]:  # by primary key: a delete by expression scans the collection
            call(self.location, "delete chunks", self.client.delete, self.chunks_name, ids=entry["chunk_ids"])
        for chunk_id in entry["chunk_ids"]:
            self._article_ids.pop(chunk_id, None)

    def _write_entries(self, entries: dict[str, dict]) -> None:
        rows = [{"id": key, "entry": entry, "unused": [0.0, 0.0]} for key, entry in entries.items()]
        for start in range(0, len(rows), BATCH):
            call(self.location, "write articles", self.client.upsert, self.articles_name, rows[start : start + BATCH])
        self._saved.update((key, json.loads(json.dumps(entry))) for key, entry in entries.items())

    def _write_meta(self, generation: int) -> None:
        meta = {key: value for key, value in self.manifest.items() if key != "articles"}
        meta.update(generation=generation, tables=self.tables)
        call(
            self.location,
            "write the index settings",
            self.client.upsert,
            META,
            [{"key": 0, "manifest": meta, "unused": [0.0, 0.0]}],
        )

    def save(self) -> None:
        """Write the manifest entries that changed (near-duplicate marks), then point _meta at this generation
        with a new generation number (readers reload), then drop other generations' collections."""
        changed = {key: entry for key, entry in self.manifest["articles"].items() if self._saved.get(key) != entry}
        if changed:
            self._write_entries(changed)
        left = [cid for cid in self.manifest.pop("deleting", []) if cid not in self._article_ids]
        if left:  # chunks of removed articles an interrupted build did not delete
            call(self.location, "delete chunks", self.client.delete, self.chunks_name, ids=left)
        generation = int(self.manifest.get("generation", 0)) + 1
        self.manifest.update(generation=generation, versions=versions(), updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        call(self.location, "flush", self.client.flush, self.chunks_name)
        self._write_meta(generation)
        self._live = True
        self._point_aliases()  # readers move to this generation at once, mid-answer or not
        self.chunks_name, self.articles_name = ALIASES["chunks"], ALIASES["articles"]
        self._drop_generations(keep={self.tables})

    def close(self) -> None:
        release(self.location)


class MilvusLocation:
    """The Milvus store's side of the store registry: "milvus:PATH.db" (Milvus Lite) or "http(s)://HOST:PORT"."""

    read_manifest = staticmethod(MilvusStore.read_manifest)
    exists = staticmethod(MilvusStore.exists)
    load = staticmethod(MilvusStore.load)
    empty = staticmethod(MilvusStore.empty)
    stamp = staticmethod(MilvusStore.stamp)

    @staticmethod
    def read_part(location: str, choose: Callable[[dict], Iterable[int]]) -> Part:
        """The chosen chunks, queried by id (the server holds the rest)."""
        store = MilvusStore.load(location)
        try:
            ids = list(choose(store.manifest))
            return Part(store.manifest, store.fetch(ids), store.vectors_of(ids))
        finally:
            store.close()

    @staticmethod
    def lock_file(location: str, cache_dir: Path) -> Path:
        """Beside the Milvus Lite file, or (a cluster) in the cache folder, which keeps builds on this machine
        apart but not other machines'."""
        if scheme(location) == "milvus":
            db = Path(after_scheme(location))
            return db.with_name(db.name + ".lock")
        parts = urlsplit(location)
        key = hashlib.sha1(location.encode()).hexdigest()[:8]
        return cache_dir / "locks" / f"milvus-{parts.hostname}-{parts.port or 19530}-{key}.lock"

    @staticmethod
    def local_folder(location: str) -> Path | None:
        return None  # its files are not article files
