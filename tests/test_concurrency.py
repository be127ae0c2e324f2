"""Several threads at once: searches with different filters never share ids, the models load once, and
default_qa() gives every thread the same QA (test backends for the models; the real store and indexer)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import pytest

from rag.index.indexing import build_index
from rag.index.stores.folder import FolderStore
from rag.search.retrieval import Filters


def run_together(*jobs, repeat: int = 1) -> list[BaseException]:
    """Run each job in its own thread, `repeat` times, starting together; the errors they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job):
        start.wait()
        try:
            for _ in range(repeat):
                job()
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def two_sources(make_settings, fake_embedder):
    settings = make_settings()
    settings.seeds_dir.mkdir(parents=True)
    records = [{"id": f"{source}-{n}", "title": f"{source} story {n}", "source": source,
                "text": f"The harbour ferry story number {n} as told by {source}."}
               for source in ("Reuters", "AP") for n in range(20)]  # fmt: skip
    (settings.seeds_dir / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    build_index(settings, embedder=fake_embedder, log=lambda _: None, progress=False)
    return FolderStore.load(settings.index_dir)


def test_searches_with_other_filters_at_the_same_time_keep_their_own_sources(two_sources, fake_embedder):
    store = two_sources
    source_of = {cid: store.article_of(cid)["source"] for cid in store.chunks}
    query = fake_embedder.encode(["harbour ferry story"])[0]
    comparing, other_done = threading.Event(), threading.Event()

    @dataclasses.dataclass(frozen=True)
    class SameFiltersSlowly(Filters):
        """Filters equal to the last search's, whose comparison lets another search run meanwhile."""

        def __ne__(self, other: object) -> bool:
            comparing.set()
            other_done.wait(timeout=1.0)  # with the cache locked the other search waits, and this times out
            fields = ("since", "until", "sources", "keep_undated")
            return any(getattr(self, name) != getattr(other, name) for name in fields)

    def reuters():
        hits = store.dense_search(query, 40, SameFiltersSlowly(sources=("Reuters",)))
        assert {source_of[cid] for cid, _ in hits} == {"Reuters"}

    def ap():
        comparing.wait(timeout=1.0)  # the Reuters search is comparing its filters with the cached ones
        hits = store.dense_search(query, 40, Filters(sources=("AP",)))
        assert {source_of[cid] for cid, _ in hits} == {"AP"}
        other_done.set()

    store.dense_search(query, 40, Filters(sources=("Reuters",)))  # the cache holds Reuters' ids
    assert run_together(reuters, ap) == []


def test_the_models_load_once_when_two_threads_ask_at_once(make_settings, scripted, fake_embedder):
    from rag.answering.qa import QA

    model = scripted("x")
    model.load_seconds = fake_embedder.load_seconds = 0.2  # long enough for the other thread to ask too
    qa = QA(make_settings(generator=model.location, embedding_model=fake_embedder.location))
    got: list[object] = []
    assert run_together(lambda: got.append(qa.generator), lambda: got.append(qa.generator)) == []
    assert run_together(lambda: got.append(qa.embedder), lambda: got.append(qa.embedder)) == []
    assert model.loads == fake_embedder.loads == 1 and got == [model, model, fake_embedder, fake_embedder]


def test_default_qa_is_one_qa_for_every_thread(monkeypatch):
    import rag.answering.qa as qa_module

    made: list[object] = []
    made_now = qa_module.QA.__init__

    def slowly(qa, *args, **kwargs):
        made.append(qa)
        time.sleep(0.2)
        made_now(qa, *args, **kwargs)

    monkeypatch.setattr(qa_module, "_default", None)
    monkeypatch.setattr(qa_module.QA, "__init__", slowly)
    got: list[object] = []
    assert run_together(*[lambda: got.append(qa_module.default_qa())] * 4) == []
    assert len(made) == 1 and all(qa is made[0] for qa in got)
