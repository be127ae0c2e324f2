"""The default store: a folder of FAISS vectors, chunk table, BM25 and manifest, saved atomically by generation."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from rag.durable import fsync_dir, write_json
from rag.errors import IndexFormatError, IndexNotFoundError
from rag.index.lexical import LexicalIndex
from rag.index.stores.contract import NO_FILTERS, RECOVER, ChunkRecord, Filters, Part, allowed_ids

FORMAT_VERSION = 1
T = TypeVar("T")
MANIFEST = "manifest.json"


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for name in ("faiss-cpu", "sentence-transformers", "bm25s", "news-rag"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def read_manifest(folder: Path) -> dict | None:
    """The manifest of the index in folder, None when there is no index yet."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFormatError(f"{path} is unreadable ({exc}); {RECOVER}") from None
    return checked_manifest(manifest, str(path))


def checked_manifest(manifest: object, where: str) -> dict:
    """The manifest when it has this version's format and holds what loading and updating read from it."""
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(f"{where} has an unknown format; {RECOVER}")
    if not _well_formed(manifest):
        raise IndexFormatError(f"{where} lacks the articles, settings or chunk ids it should hold; {RECOVER}")
    return manifest


def article_rows(manifest: dict | None) -> list[dict[str, object]]:
    """The indexed articles, newest first: id, title, source, published, url, chunks, indexed (when)."""
    rows = [
        {
            "id": key,
            "title": entry.get("title"),
            "source": entry.get("source"),
            "published": entry.get("published"),
            "url": entry.get("url"),
            "chunks": len(entry.get("chunk_ids", [])),
            "indexed": entry.get("indexed"),
        }
        for key, entry in (manifest or {}).get("articles", {}).items()
    ]
    return sorted(rows, key=lambda row: str(row["published"] or ""), reverse=True)


def _well_formed(manifest: dict) -> bool:
    """True when the manifest holds what loading and updating the index read from it."""
    articles, settings = manifest.get("articles"), manifest.get("settings")
    return (
        isinstance(articles, dict)
        and isinstance(settings, dict)
        and "embedding_model" in settings
        and isinstance(manifest.get("next_chunk_id"), int)
        and all(isinstance(a, dict) and isinstance(a.get("chunk_ids"), list) for a in articles.values())
    )


def new_manifest(dim: int, shape: dict[str, object]) -> dict:
    """The manifest of an empty index."""
    return {
        "format_version": FORMAT_VERSION,
        "generation": 0,
        "settings": dict(shape),
        "dim": dim,
        "next_chunk_id": 0,
        "articles": {},
    }


class FolderStore:
    """In-memory view of one index generation of a folder: vectors, chunks, lexical index and manifest."""

    def __init__(
        self,
        manifest: dict,
        vectors: Any,  # a faiss.IndexIDMap2 (faiss ships no type hints)
        chunks: dict[int, ChunkRecord],
        lexical: LexicalIndex | None = None,
        folder: Path | None = None,
    ) -> None:
        self.manifest = manifest
        self.vectors = vectors
        self.chunks = chunks
        self.lexical = lexical if lexical is not None else self._build_lexical()
        self.folder = folder
        self._allowed: tuple[Filters, set[int] | None] | None = None  # the last filters' ids (hybrid asks twice)
        self._allowed_lock = threading.Lock()  # concurrent searches with other filters never share ids

    @classmethod
    def empty(cls, dim: int, shape: dict[str, object], folder: Path | None = None) -> FolderStore:
        import faiss

        return cls(
            new_manifest(dim, shape), faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), {}, LexicalIndex([], None), folder
        )

    @classmethod
    def load(cls, folder: Path) -> FolderStore:
        """Load the generation the manifest names; errors name the bad file and the recovery command."""
        return _of_live_generation(folder, lambda manifest: cls._load_generation(folder, manifest))

    @classmethod
    def _load_generation(cls, folder: Path, manifest: dict) -> FolderStore:
        files = manifest.get("files", {})
        vec_path, chunk_path, lex_path = (folder / files.get(k, "?") for k in ("vectors", "chunks", "lexical"))
        vectors = _read_vectors(vec_path)
        chunks = _read_chunks(chunk_path)
        expected = sum(len(a["chunk_ids"]) for a in manifest["articles"].values())
        if vectors.ntotal != len(chunks) or len(chunks) != expected:
            raise IndexFormatError(
                f"{folder} is inconsistent ({vectors.ntotal} vectors, {len(chunks)} chunks, "
                f"manifest lists {expected}); {RECOVER}"
            )
        try:
            lexical = LexicalIndex.load(lex_path)
        except Exception as exc:  # bm25s raises many kinds of errors on damaged files
            raise IndexFormatError(f"{lex_path} is missing or corrupt ({exc}); {RECOVER}") from None
        if len(lexical.ids) != len(chunks):
            raise IndexFormatError(f"{lex_path} does not match the chunk table; {RECOVER}")
        return cls(manifest, vectors, chunks, lexical, folder)

    def _build_lexical(self) -> LexicalIndex:
        ids = sorted(self.chunks)
        return LexicalIndex.build(ids, [self.passage_text(i) for i in ids])

    def passage_text(self, chunk_id: int) -> str:
        """Title and passage, as embedded and searched."""
        record = self.chunks[chunk_id]
        title = self.manifest["articles"][record.article_id]["title"]
        return f"{title}\n{record.text}"

    def article_of(self, chunk_id: int) -> dict | None:
        record = self.chunks.get(chunk_id)
        return None if record is None else self.manifest["articles"][record.article_id]

    def count(self) -> int:
        return len(self.chunks)

    def fetch(self, ids: Iterable[int]) -> dict[int, ChunkRecord]:
        return {i: self.chunks[i] for i in ids if i in self.chunks}

    def vectors_of(self, ids: Iterable[int]) -> dict[int, np.ndarray]:
        return {i: self.vectors.reconstruct(i) for i in ids if i in self.chunks}

    def remove_article(self, article_id: str) -> None:
        import faiss

        entry = self.manifest["articles"].pop(article_id)
        self._allowed = None
        ids = np.asarray(entry["chunk_ids"], dtype=np.int64)
        if len(ids):
            self.vectors.remove_ids(faiss.IDSelectorBatch(ids))
        for chunk_id in entry["chunk_ids"]:
            del self.chunks[chunk_id]

    def add_article(self, entry: dict, records: list[ChunkRecord], vectors: np.ndarray) -> None:
        """Add one article's chunks; the records' ids must come from allocate_ids."""
        ids = np.asarray([r.id for r in records], dtype=np.int64)
        if len(ids):
            self.vectors.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        self.chunks.update((r.id, r) for r in records)
        self.manifest["articles"][entry["id"]] = {**entry, "chunk_ids": ids.tolist()}
        self._allowed = None

    def allocate_ids(self, count: int) -> list[int]:
        start = self.manifest["next_chunk_id"]
        self.manifest["next_chunk_id"] = start + count
        return list(range(start, start + count))

    def dense_search(self, query: np.ndarray, k: int, filters: Filters = NO_FILTERS) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the k nearest chunks that pass the filters (an id selector inside FAISS)."""
        import faiss

        if self.vectors.ntotal == 0 or k <= 0:
            return []
        params = None
        allowed = self._allowed_ids(filters)
        if allowed is not None:
            if not allowed:
                return []
            selector = faiss.IDSelectorBatch(np.fromiter(allowed, dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]  # faiss sets it by keyword
        scores, ids = self.vectors.search(
            query.reshape(1, -1).astype(np.float32), min(k, self.vectors.ntotal), params=params
        )
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def lexical_search(self, question: str, k: int, filters: Filters = NO_FILTERS) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the k best-scoring chunks that pass the filters (scores above 0 only)."""
        lexical = self.lexical
        scores = lexical.scores(question)
        allowed = self._allowed_ids(filters)
        if allowed is not None:
            scores = np.where(np.isin(lexical.ids, list(allowed)), scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(lexical.ids[i]), float(scores[i])) for i in top if scores[i] > 0]

    def _allowed_ids(self, filters: Filters) -> set[int] | None:
        """The chunk ids that pass the filters, remembered for the next search with the same filters."""
        with self._allowed_lock:
            if self._allowed is None or self._allowed[0] != filters:
                self._allowed = (filters, allowed_ids(self.manifest, filters))
            return self._allowed[1]

    def close(self) -> None:
        """Nothing to let go: the files are read whole into memory."""

    def save(self, folder: Path | None = None) -> None:
        """Write a new generation, then the manifest (atomically, last), then drop old generations."""
        import faiss

        folder = folder or self.folder
        if folder is None:
            raise ValueError("save() needs the index folder")
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.lexical = self._build_lexical()
        # Never reuse a generation number present on disk: a full rebuild starts from an empty store
        # (generation 0) and must not overwrite the live generation's files before the manifest moves.
        generation = max(int(self.manifest.get("generation", 0)), _highest_generation(folder)) + 1
        live = _live_generation(folder)
        names = {
            "vectors": f"vectors-{generation:06d}.faiss",
            "chunks": f"chunks-{generation:06d}.jsonl",
            "lexical": f"lexical-{generation:06d}",
        }
        tmp = folder / f".tmp-{generation:06d}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        faiss.write_index(self.vectors, str(tmp / names["vectors"]))
        with (tmp / names["chunks"]).open("w", encoding="utf-8") as handle:
            for chunk_id in sorted(self.chunks):
                handle.write(json.dumps(asdict(self.chunks[chunk_id]), ensure_ascii=False) + "\n")
        self.lexical.save(tmp / names["lexical"])
        _fsync_tree(tmp)
        for name in names.values():
            target = folder / name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(tmp / name, target)
        fsync_dir(folder)  # the moved files survive a power cut before the manifest names them
        manifest = {
            **self.manifest,
            "generation": generation,
            "files": names,
            "versions": versions(),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        write_json(folder / MANIFEST, manifest)
        self.manifest = manifest
        shutil.rmtree(tmp, ignore_errors=True)
        remove_stale(folder, keep={generation, live})  # readers may still be loading the live one


def read_part(folder: Path, choose: Callable[[dict], Iterable[int]]) -> Part:
    """Some chunks of the live generation and their vectors (choose: their ids, from the manifest), without
    reading the rest: the vectors are mapped from their file, the chunk table is streamed."""

    def read(manifest: dict) -> Part:
        files = manifest.get("files", {})
        wanted = set(choose(manifest))
        vectors = _read_vectors(folder / files.get("vectors", "?"), mapped=True)
        records = _read_chunks(folder / files.get("chunks", "?"), wanted)
        return Part(manifest, records, {i: vectors.reconstruct(i) for i in records})

    return _of_live_generation(folder, read)


def _of_live_generation(folder: Path, read: Callable[[dict], T]) -> T:
    """read(manifest) of the generation the manifest names; when a build replaces that generation while its
    files are read (and cleans them up), the newer one is read."""
    manifest = read_manifest(folder)
    while True:
        if manifest is None:
            raise IndexNotFoundError(f"no index in {folder}; build it with: rag build --index {folder}")
        try:
            return read(manifest)
        except IndexFormatError:
            newer = read_manifest(folder)
            if newer is None or newer.get("generation") == manifest.get("generation"):
                raise
            manifest = newer


def _read_vectors(path: Path, mapped: bool = False) -> Any:
    """The FAISS file (mapped: its vectors stay on disk, read as they are used)."""
    import faiss

    try:
        if mapped:
            return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
        return faiss.read_index(str(path))
    except (RuntimeError, OSError) as exc:
        raise IndexFormatError(f"{path} is missing or corrupt ({str(exc).splitlines()[0][:120]}); {RECOVER}") from None


_LEADING_ID = re.compile(r'\{"id": (\d+),')


def _read_chunks(path: Path, wanted: set[int] | None = None) -> dict[int, ChunkRecord]:
    """The chunk table (wanted: only these ids; the other lines are skipped unparsed)."""
    chunks: dict[int, ChunkRecord] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if wanted is not None:
                    leading = _LEADING_ID.match(line)
                    if leading and int(leading.group(1)) not in wanted:
                        continue
                record = ChunkRecord(**json.loads(line))
                if wanted is None or record.id in wanted:
                    chunks[record.id] = record
    except (OSError, ValueError, TypeError) as exc:
        raise IndexFormatError(f"{path} is missing or corrupt ({exc}); {RECOVER}") from None
    return chunks


def _fsync_tree(folder: Path) -> None:
    """fsync every file below folder, then every directory (the lexical index is a folder of files: its
    entries must survive a power cut as the files do)."""
    folders = [folder]
    for path in folder.rglob("*"):
        if path.is_dir():
            folders.append(path)
        elif path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    for directory in reversed(folders):  # the deepest first
        fsync_dir(directory)


def _live_generation(folder: Path) -> int | None:
    """The generation the current manifest names, None when there is none or it is unreadable."""
    try:
        manifest = read_manifest(folder)
    except IndexFormatError:
        return None
    return None if manifest is None else manifest.get("generation")


_INDEX_FILE = re.compile(r"vectors-(\d{6,})\.faiss|chunks-(\d{6,})\.jsonl|lexical-(\d{6,})")


def _generation_of(path: Path) -> int | None:
    """The generation number of an index file (vectors-N.faiss, chunks-N.jsonl, lexical-N, N of 6 or more
    digits), else None: other files in the folder are never taken for index files, nor deleted."""
    match = _INDEX_FILE.fullmatch(path.name)
    return int(next(group for group in match.groups() if group)) if match else None


def _highest_generation(folder: Path) -> int:
    """The highest generation number of any index file in folder (0 when there is none)."""
    return max((g for g in map(_generation_of, folder.iterdir()) if g is not None), default=0)


def remove_stale(folder: Path, keep: set[int | None]) -> None:
    """Delete generations other than those kept, and leftovers of interrupted builds."""
    for path in folder.iterdir():
        generation = _generation_of(path)
        if path.name.startswith(".tmp-") or (generation is not None and generation not in keep):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


class FolderLocation:
    """The folder store's side of the store registry: an index in a folder of its own files."""

    @staticmethod
    def read_manifest(location: Path | str) -> dict | None:
        return read_manifest(Path(location))

    @staticmethod
    def exists(location: Path | str) -> bool:
        return (Path(location) / MANIFEST).exists()

    @staticmethod
    def load(location: Path | str) -> FolderStore:
        return FolderStore.load(Path(location))

    @staticmethod
    def empty(location: Path | str, dim: int, shape: dict[str, object]) -> FolderStore:
        return FolderStore.empty(dim, shape, Path(location))

    @staticmethod
    def read_part(location: Path | str, choose: Callable[[dict], Iterable[int]]) -> Part:
        return read_part(Path(location), choose)

    @staticmethod
    def stamp(location: Path | str) -> object:
        try:
            stat = (Path(location) / MANIFEST).stat()
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    @staticmethod
    def lock_file(location: Path | str, cache_dir: Path) -> Path:
        return Path(location) / ".lock"

    @staticmethod
    def local_folder(location: Path | str) -> Path | None:
        return Path(location)
