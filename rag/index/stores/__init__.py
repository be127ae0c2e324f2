"""Where the index lives, behind one interface (contract.ChunkStore): a folder of FAISS and BM25 files (the
default, folder.FolderStore) or Milvus (milvus.MilvusStore: a Milvus Lite file "milvus:PATH.db" or a cluster
"http(s)://HOST:19530"). The indexer and the retriever reach a store only through the functions here, which
find the kind of store by the location's scheme in one registry (STORES)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from rag.index.stores.contract import ChunkStore, Part
from rag.index.stores.folder import FolderLocation, article_rows
from rag.index.stores.milvus import MilvusLocation
from rag.locations import PATH, Registry

__all__ = [
    "STORES",
    "ChunkStore",
    "Location",
    "article_rows",
    "empty_store",
    "has_index",
    "index_stamp",
    "load_store",
    "local_folder",
    "lock_file",
    "read_manifest",
    "read_part",
]

Location = Path | str


class StoreKind(Protocol):
    """What a kind of store offers for a location before (load, empty) and beside an open store."""

    def read_manifest(self, location: Location) -> dict | None: ...
    def exists(self, location: Location) -> bool: ...
    def load(self, location: Location) -> ChunkStore: ...
    def empty(self, location: Location, dim: int, shape: dict[str, object]) -> ChunkStore: ...
    def read_part(self, location: Location, choose: Callable[[dict], Iterable[int]]) -> Part: ...
    def stamp(self, location: Location) -> object: ...
    def lock_file(self, location: Location, cache_dir: Path) -> Path: ...
    def local_folder(self, location: Location) -> Path | None: ...


STORES: Registry[StoreKind] = Registry(
    "an index", "use a folder, milvus:PATH.db (Milvus Lite) or http(s)://HOST:19530 (a Milvus cluster)"
)
STORES.add((PATH,), FolderLocation())
STORES.add(("milvus", "http", "https"), MilvusLocation())  # type: ignore[arg-type]


def read_manifest(location: Location) -> dict | None:
    """The index's manifest (settings, articles, chunk ids), None when there is no index there yet."""
    return STORES.of(location).read_manifest(location)


def has_index(location: Location) -> bool:
    """True when something that claims to be an index is there (readable or not)."""
    return STORES.of(location).exists(location)


def load_store(location: Location) -> ChunkStore:
    """The index at location, ready to search and update; errors name the fix."""
    return STORES.of(location).load(location)


def read_part(location: Location, choose: Callable[[dict], Iterable[int]]) -> Part:
    """Only the chunks choose(manifest) names, with their vectors, without loading the whole index (memory
    bounded by what is chosen, not by the index); errors name the fix."""
    return STORES.of(location).read_part(location, choose)


def empty_store(location: Location, dim: int, shape: dict[str, object]) -> ChunkStore:
    """A new, empty index for location; the index readers see stays as it is until the new one's save()."""
    return STORES.of(location).empty(location, dim, shape)


def index_stamp(location: Location) -> object:
    """A value that changes whenever a build saves the index (cheap: read before every question)."""
    return STORES.of(location).stamp(location)


def lock_file(location: Location, cache_dir: Path) -> Path:
    """The file whose lock lets one build at a time write the index."""
    return STORES.of(location).lock_file(location, cache_dir)


def local_folder(location: Location) -> Path | None:
    """The folder of the index's own files (article loading skips it); None where they are not files."""
    return STORES.of(location).local_folder(location)
