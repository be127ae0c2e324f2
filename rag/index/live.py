"""The index as a long-running reader sees it: the newest complete generation of the store, the query
embedder the index decides, and the builds and deletes that update it while questions are answered."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from rag.config import Settings
from rag.errors import ArticleNotFoundError, IndexNotFoundError, NoArticlesError, RagError
from rag.index.embedder_identity import check_same
from rag.index.embedding import Embedder, make_embedder
from rag.index.fetched import Added, add_urls, update_from_feeds
from rag.index.indexing import BuildReport, Progress, build_index, index_model, indexed_model
from rag.index.stores import ChunkStore, index_stamp, load_store, read_manifest
from rag.ingest.uploads import delete_article_file
from rag.ingest.web.feeds import Round

Turn = Callable[[], AbstractContextManager[object]]  # taken around an index update (the model's turn)


class LiveIndex:
    """One index location, kept current for its readers; the query embedder loads on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._store: ChunkStore | None = None
        self._generation: object = None
        self._stamp: object = None
        self._lock = threading.Lock()  # the store's generation
        self._embedder_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """The query embedder: the index's model (the settings' only when there is no index yet)."""
        with self._embedder_lock:
            if self._embedder is None:
                manifest = read_manifest(self.settings.index_dir)
                model = index_model(self.settings, None) if manifest is None else indexed_model(manifest)
                embedder = make_embedder(self.settings, model)
                check_same((manifest or {}).get("embedder"), embedder, self.settings.index_dir)  # queries too
                self._embedder = embedder
            return self._embedder

    def store(self) -> ChunkStore:
        """The newest complete generation of the index (reloaded after a build saved another). With no index
        yet, it is built from the articles folder first (progress on stderr), as `rag serve` does."""
        if self._store is None and read_manifest(self.settings.index_dir) is None:
            self._build_first()
        with self._lock:
            stamp = index_stamp(self.settings.index_dir)
            if self._store is not None and stamp == self._stamp:
                return self._store  # no build saved since: same generation
            manifest = read_manifest(self.settings.index_dir)
            generation = None if manifest is None else manifest.get("generation")
            if self._store is None or generation != self._generation:
                self._store = load_store(self.settings.index_dir)
                self._generation = self._store.manifest.get("generation")
            self._stamp = stamp
            return self._store

    def _build_first(self) -> None:
        """Build the missing index; IndexNotFoundError naming the fix when there is nothing to build it from."""
        index, seeds = self.settings.index_dir, self.settings.seeds_dir
        nothing = IndexNotFoundError(
            f"no index yet in {index}/ and no readable article in {seeds}/ to build it "
            f"from; add article files there and run: rag build --index {index}"
        )
        if not seeds.is_dir():
            raise nothing
        try:
            print(self.build(log=lambda line: print(line, file=sys.stderr)).summary(), file=sys.stderr)
        except NoArticlesError:
            raise nothing from None

    def build(
        self,
        full: bool = False,
        log: Callable[[str], None] = print,
        progress: bool = True,
        on_progress: Progress | None = None,
    ) -> BuildReport:
        """Update the index from the articles folder, sharing the query embedder when the model is the same
        (on_progress: see build_index)."""
        try:
            manifest = read_manifest(self.settings.index_dir)
        except RagError:
            manifest = None  # the build reports or repairs it
        wanted = index_model(self.settings, manifest)
        same_model = manifest is None or indexed_model(manifest) == wanted
        report = build_index(
            self.settings,
            full=full,
            embedder=self.embedder if same_model else None,
            log=log,
            progress=progress,
            on_progress=on_progress,
        )
        if not same_model:  # queries now go to the new model's vectors
            with self._embedder_lock, self._lock:
                self._embedder = self._store = None
        return report

    def delete_article(self, article_id: str, on_progress: Progress | None = None) -> tuple[Path, BuildReport]:
        """Delete the file of an indexed article from the articles folder (whole files only, see
        delete_article_file) and update the index: (the deleted file, the build report)."""
        indexed = list((read_manifest(self.settings.index_dir) or {}).get("articles", {}))
        if article_id not in indexed:
            raise ArticleNotFoundError(
                f"no article {article_id!r} in the index; the page's Articles list and GET /v1/articles name them"
            )
        path = delete_article_file(self.settings.seeds_dir, article_id, indexed)
        return path, self.build(log=lambda _: None, progress=False, on_progress=on_progress)

    def add_urls(
        self,
        urls: list[str],
        log: Callable[[str], None] = lambda _: None,
        on_progress: Progress | None = None,
        turn: Turn = nullcontext,
    ) -> Added:
        """Fetch the articles of urls into the articles folder and update the index (see fetched.add_urls).
        turn: held for the index update only (the model's turn in the page and the API), never while fetching."""
        return add_urls(urls, self.settings, log, build=lambda: self._quiet_build(on_progress, turn))

    def update_feeds(
        self, log: Callable[[str], None] = lambda _: None, on_progress: Progress | None = None, turn: Turn = nullcontext
    ) -> tuple[list[Round], BuildReport | None]:
        """One round over the followed feeds, then the index updated (see fetched.update_from_feeds); turn as
        in add_urls."""
        return update_from_feeds(self.settings, log, build=lambda: self._quiet_build(on_progress, turn))

    def _quiet_build(self, on_progress: Progress | None, turn: Turn = nullcontext) -> BuildReport:
        with turn():
            return self.build(log=lambda _: None, progress=False, on_progress=on_progress)
