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
twice, not even across generations, so a reader holding an older manifest skips what it does not list."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from rag.errors import IndexFormatError, IndexNotFoundError, IndexUnavailableError, RagError
from rag.index.stores.contract import NO_FILTERS, RECOVER, UNDATED, ChunkRecord, Filters, article_index, day_number
from rag.index.stores.folder import checked_manifest, new_manifest, versions
from rag.locations import after_scheme, scheme
from rag.text.words import tokenize

PREFIX = "news_rag"
META = f"{PREFIX}_meta"
ALIASES = {"chunks": f"{PREFIX}_chunks", "articles": f"{PREFIX}_articles"}  # the live generation, for readers
INSTALL = "pip install -e '.[milvus]'"
BATCH = 512  # rows a request writes or reads
TEXT_CHARS = 65_535  # Milvus's longest VARCHAR
BM25_K1, BM25_B = 1.5, 0.75  # as bm25s, which the folder store uses
LEGACY_UNDATED = -1  # the undated day number of indexes whose manifest names none (articles before 1970 were lost)
_CLIENTS: dict[str, Any] = {}  # one client per location and process (Milvus Lite locks its file to one process)
_LOADED: set[tuple[str, str]] = set()  # (location, collection) loaded into memory by this process


def tables_of(name: str) -> str | None:
    """The data generation ("g000002") a collection belongs to, None for _meta and others' collections."""
    match = re.fullmatch(rf"{PREFIX}_(g\d{{6,}})_(?:chunks|articles)", name)
    return match.group(1) if match else None


def milvus_filter(filters: Filters, undated: int = UNDATED) -> str:
    """The filters as a Milvus boolean expression over the chunk fields `day` and `source` ("" for none; pure).
    undated is the index's day number of an undated article (LEGACY_UNDATED in indexes written before
    UNDATED, whose undated articles share 1969-12-31's number)."""
    parts = []
    if filters.since or filters.until:
        low = day_number(filters.since) if filters.since else None
        dated = [f"day >= {low}" if low is not None else f"day > {undated}"]
        if low is not None and low <= undated:
            dated.append(f"day != {undated}")
        if filters.until:
            dated.append(f"day <= {day_number(filters.until)}")
        expression = " and ".join(dated)
        parts.append(f"(day == {undated} or ({expression}))" if filters.keep_undated else f"({expression})")
    if filters.sources:
        names = ", ".join(json.dumps(s.lower(), ensure_ascii=False) for s in sorted(set(filters.sources)))
        parts.append(f"source in [{names}]")
    return " and ".join(parts)


def _reason(exc: Exception) -> str:
    """The engine's own words for a failure, on one line."""
    return str(getattr(exc, "message", None) or exc).splitlines()[0][:160]


def connect(location: str) -> Any:
    """A pymilvus client for the location, opened once per process; errors name the fix."""
    if location in _CLIENTS:
        return _CLIENTS[location]
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise RagError(f"the Milvus store needs pymilvus and milvus-lite; install them with: {INSTALL}") from None
    lite = scheme(location) == "milvus"
    uri = after_scheme(location)
    if lite and not uri.endswith(".db"):
        raise RagError(f"{location}: a Milvus Lite index is a file ending in .db, e.g. milvus:index/news.db")
    if lite:
        os.makedirs(os.path.dirname(os.path.abspath(uri)), exist_ok=True)
    try:
        client = MilvusClient(uri=uri, token=os.environ.get("RAG_MILVUS_TOKEN", ""))
    except Exception as exc:  # grpc, connection and lock errors come in many types
        hint = (
            "is another process using it? Milvus Lite lets one process open a file at a time"
            if lite
            else "check that the server is running and reachable, and RAG_MILVUS_TOKEN"
        )
        raise IndexUnavailableError(
            f"cannot open the Milvus index at {location} ({_reason(exc)}); {hint}. Nothing was changed."
        ) from None
    _CLIENTS[location] = client
    return client


def loaded(location: str, name: str) -> str:
    """The collection's name, after making sure this process loaded it (a reopened one starts released)."""
    if (location, name) not in _LOADED:
        _call(location, f"load {name}", connect(location).load_collection, name)
        _LOADED.add((location, name))
    return name


def release(location: str) -> None:
    """Close the location's client; for Milvus Lite also stop its engine, so another process may open the file."""
    _LOADED.difference_update({key for key in _LOADED if key[0] == location})
    client = _CLIENTS.pop(location, None)
    if client is None:
        return
    client.close()
    if scheme(location) == "milvus":
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(os.path.abspath(after_scheme(location)))


def _call(location: str, action: str, operation: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one client operation; a failure becomes one clear error (the index stays as it was last saved)."""
    try:
        return operation(*args, **kwargs)
    except RagError:
        raise
    except Exception as exc:
        raise IndexUnavailableError(
            f"Milvus at {location} failed to {action} ({_reason(exc)}); "
            "the index keeps what was last saved: run the command again when it is "
            "reachable"
        ) from None


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
        if not _call(location, "list its collections", client.has_collection, META):
            return None
        rows = _call(
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
        if not _call(location, "list its collections", client.has_collection, name):
            raise IndexFormatError(f"the Milvus index at {location} lacks its collection {name}; {RECOVER}")
        iterator = _call(
            location,
            "read the articles",
            client.query_iterator,
            loaded(location, name),
            batch_size=BATCH,
            filter='id != ""',
            output_fields=["entry"],
        )
        articles: dict[str, dict] = {}
        while rows := _call(location, "read the articles", iterator.next):
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
                _call(self.location, f"point {alias} at {table}", move, table, alias)
                _LOADED.discard((self.location, alias))  # the alias names another collection now

    @staticmethod
    def _highest(location: str) -> int:
        names = _call(location, "list its collections", connect(location).list_collections)
        return max((int(tables[1:]) for tables in map(tables_of, names) if tables), default=0)

    def _drop_generations(self, keep: set[str | None]) -> None:
        for name in _call(self.location, "list its collections", self.client.list_collections):
            if tables_of(name) and tables_of(name) not in keep:
                _call(self.location, "drop an old collection", self.client.drop_collection, name)
                _LOADED.discard((self.location, name))

    def _create(self, dim: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        client = self.client
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("article_id", DataType.VARCHAR, max_length=1024)
        schema.add_field("ordinal", DataType.INT64)
        schema.add_field("start", DataType.INT64)
        schema.add_field("end", DataType.INT64)
        schema.add_field("text", DataType.VARCHAR, max_length=TEXT_CHARS)
        # the terms the folder store's BM25 reads (tokenize), so both stores score the same words
        schema.add_field(
            "terms",
            DataType.VARCHAR,
            max_length=TEXT_CHARS,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "standard", "filter": ["lowercase"]},
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("day", DataType.INT64)
        schema.add_field("source", DataType.VARCHAR, max_length=1024)
        schema.add_function(
            Function(
                name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"], output_field_names=["sparse"]
            )
        )
        index = client.prepare_index_params()
        index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        index.add_index(
            field_name="sparse",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
        )
        _call(
            self.location,
            "create the chunk collection",
            client.create_collection,
            self.chunks_name,
            schema=schema,
            index_params=index,
            consistency_level="Strong",
        )
        self._create_keyed(self.articles_name, DataType.VARCHAR)
        if not _call(self.location, "list its collections", client.has_collection, META):
            self._create_keyed(META, DataType.INT64)

    def _create_keyed(self, name: str, key_type: Any) -> None:
        """A collection of JSON documents by key (Milvus wants a vector field in every collection: a dummy)."""
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False)
        key_name, value_name = ("key", "manifest") if name == META else ("id", "entry")
        schema.add_field(
            key_name, key_type, is_primary=True, **({"max_length": 1024} if key_type == DataType.VARCHAR else {})
        )
        schema.add_field(value_name, DataType.JSON)
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
        index = self.client.prepare_index_params()
        index.add_index(field_name="unused", index_type="FLAT", metric_type="L2")
        _call(
            self.location,
            f"create {name}",
            self.client.create_collection,
            name,
            schema=schema,
            index_params=index,
            consistency_level="Strong",
        )

    # --- reading -------------------------------------------------------------------------------------------

    def count(self) -> int:
        return len(self._article_ids)

    def article_of(self, chunk_id: int) -> dict | None:
        article_id = self._article_ids.get(chunk_id)
        return None if article_id is None else self.manifest["articles"][article_id]

    def dense_search(self, query: np.ndarray, k: int, filters: Filters = NO_FILTERS) -> list[tuple[int, float]]:
        if k <= 0 or not self._article_ids:
            return []
        found = _call(
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
        found = _call(
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
            rows += _call(
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
            _call(self.location, "delete chunks", self.client.delete, self.chunks_name, ids=orphans)
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
            _call(self.location, "write chunks", self.client.upsert, self.chunks_name, rows[start : start + BATCH])
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
        _call(self.location, "delete an article", self.client.delete, self.articles_name, ids=[article_id])
        self._saved.pop(article_id, None)
        if entry["chunk_ids"]:  # by primary key: a delete by expression scans the collection
            _call(self.location, "delete chunks", self.client.delete, self.chunks_name, ids=entry["chunk_ids"])
        for chunk_id in entry["chunk_ids"]:
            self._article_ids.pop(chunk_id, None)

    def _write_entries(self, entries: dict[str, dict]) -> None:
        rows = [{"id": key, "entry": entry, "unused": [0.0, 0.0]} for key, entry in entries.items()]
        for start in range(0, len(rows), BATCH):
            _call(self.location, "write articles", self.client.upsert, self.articles_name, rows[start : start + BATCH])
        self._saved.update((key, json.loads(json.dumps(entry))) for key, entry in entries.items())

    def _write_meta(self, generation: int) -> None:
        meta = {key: value for key, value in self.manifest.items() if key != "articles"}
        meta.update(generation=generation, tables=self.tables)
        _call(
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
            _call(self.location, "delete chunks", self.client.delete, self.chunks_name, ids=left)
        generation = int(self.manifest.get("generation", 0)) + 1
        self.manifest.update(generation=generation, versions=versions(), updated=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        _call(self.location, "flush", self.client.flush, self.chunks_name)
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
