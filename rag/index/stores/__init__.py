"""Where the index lives, behind one interface (contract.ChunkStore): a folder of FAISS and BM25 files (the
default, folder.FolderStore) or Milvus (milvus.MilvusStore: a Milvus Lite file "milvus:PATH.db" or a cluster
"http(s)://HOST:19530"). The indexer and the retriever reach a store only through the functions here."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from rag.config import MILVUS_LITE, is_milvus
from rag.index.stores.contract import ChunkStore
from rag.index.stores.folder import MANIFEST, FolderStore, article_rows
from rag.index.stores.folder import read_manifest as read_folder_manifest

Location = Path | str


def read_manifest(location: Location) -> dict | None:
    """The index's manifest (settings, articles, chunk ids), None when there is no index there yet."""
    if is_milvus(location):
        from rag.index.stores.milvus import MilvusStore

        return MilvusStore.read_manifest(str(location))
    return read_folder_manifest(Path(location))


def has_index(location: Location) -> bool:
    """True when something that claims to be an index is there (readable or not)."""
    if is_milvus(location):
        from rag.index.stores.milvus import MilvusStore

        return MilvusStore.exists(str(location))
    return (Path(location) / MANIFEST).exists()


def load_store(location: Location) -> ChunkStore:
    """The index at location, ready to search and update; errors name the fix."""
    if is_milvus(location):
        from rag.index.stores.milvus import MilvusStore

        return MilvusStore.load(str(location))
    return FolderStore.load(Path(location))


def empty_store(location: Location, dim: int, shape: dict[str, object]) -> ChunkStore:
    """A new, empty index for location; the index readers see stays as it is until the new one's save()."""
    if is_milvus(location):
        from rag.index.stores.milvus import MilvusStore

        return MilvusStore.empty(str(location), dim, shape)
    return FolderStore.empty(dim, shape, Path(location))


def index_stamp(location: Location) -> object:
    """A value that changes whenever a build saves the index (cheap: read before every question)."""
    if is_milvus(location):
        from rag.index.stores.milvus import MilvusStore

        return MilvusStore.stamp(str(location))
    try:
        stat = (Path(location) / MANIFEST).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def lock_file(location: Location, cache_dir: Path) -> Path:
    """The file whose lock lets one build at a time write the index: in the folder, beside the Milvus Lite
    file, or (a cluster) in the cache folder, which keeps builds on this machine apart but not other machines'."""
    if not is_milvus(location):
        return Path(location) / ".lock"
    text = str(location)
    if text.startswith(MILVUS_LITE):
        db = Path(text[len(MILVUS_LITE) :])
        return db.with_name(db.name + ".lock")
    parts = urlsplit(text)
    key = hashlib.sha1(text.encode()).hexdigest()[:8]
    return cache_dir / "locks" / f"milvus-{parts.hostname}-{parts.port or 19530}-{key}.lock"


def local_folder(location: Location) -> Path | None:
    """The folder of the index's own files (article loading skips it); None for Milvus, whose files are not
    article files."""
    return None if is_milvus(location) else Path(location)
