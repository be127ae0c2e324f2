"""A question set's articles indexed once into settings.cache_dir/eval-index/<hash>/ (hash of the articles file and
the index settings), never the user's index; the QA over it; the set the benchmarks read by default."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import Settings
from rag.durable import file_sha256
from rag.errors import RagError
from rag.evaluate.records import fingerprint
from rag.locations import MILVUS_LITE

if TYPE_CHECKING:
    from rag.answering.qa import QA
    from rag.index.embedding import Embedder

ARTICLES_FILE = "articles.jsonl"
ID_PREFIX = ARTICLES_FILE + "#"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_ARTICLES = [REPO.parent / "shared" / "eval" / "realtimeqa_dev" / "articles.jsonl"]
DEFAULT_STORE = "folder"
# Where each store `rag eval --store` names keeps a set's index in the set's cache folder: a location whose scheme
# tells the store registry (rag.index.stores.STORES) the kind of store, so nothing below branches on the name.
SET_INDEX: dict[str, Callable[[Path], Path | str]] = {
    "folder": lambda root: root / "index",
    "milvus": lambda root: f"{MILVUS_LITE}{root / 'milvus' / 'index.db'}",
}


def default_articles() -> Path:
    for path in DEFAULT_ARTICLES:
        if path.is_file():
            return path
    raise RagError("the realtimeqa_dev evaluation set was not found beside the repository; pass --articles FILE.jsonl")


def article_id(indexed_id: str) -> str:
    """The set's article id of an indexed article ("articles.jsonl#abc" -> "abc")."""
    return indexed_id.removeprefix(ID_PREFIX)


class LazyEmbedder:
    """The index's embedder, loaded on first use (a fully resumed run or a no-op build never loads it)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._inner: Embedder | None = None

    @property
    def inner(self):
        if self._inner is None:
            from rag.index.indexing import make_embedder

            self._inner = make_embedder(self._settings)
        return self._inner

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    def count_tokens(self, texts):
        return self.inner.count_tokens(texts)

    def encode(self, texts, progress: bool = False):
        return self.inner.encode(texts, progress=progress)


def eval_index_settings(articles: Path, base: Settings, store: str = DEFAULT_STORE) -> tuple[Settings, str]:
    """Settings whose seeds_dir holds a copy of the articles file and whose index (a folder, or a Milvus Lite
    file with store "milvus") is keyed by its hash."""
    keyed: dict[str, object] = {"articles_sha256": file_sha256(articles), "shape": base.shape()}
    if store != DEFAULT_STORE:  # records of one store are never taken for another's
        keyed["store"] = store
    key = fingerprint(keyed)
    root = base.cache_dir / "eval-index" / key
    seeds = root / "articles"
    target = seeds / ARTICLES_FILE
    if not target.exists():  # a copy (not a link): the folder's content must match its hash forever
        seeds.mkdir(parents=True, exist_ok=True)
        tmp = seeds / f".{ARTICLES_FILE}.tmp-{os.getpid()}"  # hidden: load_articles skips dot files
        shutil.copyfile(articles, tmp)
        os.replace(tmp, target)
    size = target.stat().st_size
    settings = dataclasses.replace(
        base, seeds_dir=seeds, index_dir=SET_INDEX[store](root), max_file_bytes=max(base.max_file_bytes, size + 1)
    )
    return settings, key


def set_qa(articles: Path) -> QA:
    """A QA over a question set's articles, their cached index built or brought up to date first."""
    from rag.answering.qa import QA
    from rag.index.indexing import build_index

    settings, _ = eval_index_settings(articles, Settings.from_env())
    embedder = LazyEmbedder(settings)
    build_index(settings, embedder=embedder, log=lambda _: None, progress=True)
    return QA(settings, embedder=embedder)
