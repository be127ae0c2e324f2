"""One contract for every store: the folder store (FAISS + BM25 files) and Milvus (a real Milvus Lite file).

Each test builds through the real indexer with the real embedder and reads back through the store interface."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import rag.index.indexing
from rag.config import Settings
from rag.errors import RagError
from studies.store_agreement import agreement
from rag.index.indexing import build_index
from rag.index.stores import index_stamp, load_store, read_manifest
from rag.index.stores.contract import Filters
from rag.index.stores.milvus_client import release
from rag.index.stores.milvus_schema import milvus_filter
from rag.search.retrieval import Retriever

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

STORES = ["folder", "milvus"]


def article(key: str, title: str, source: str, published: str | None, *sentences: str) -> dict:
    return {"id": key, "title": title, "source": source, "published": published, "text": " ".join(sentences)}


ARTICLES = [
    article("summit", "Leaders gather in Budapest for a security summit", "Reuters", "2025-10-14",
            "Heads of government from twelve European countries met in Budapest on Tuesday.",
            "The talks focused on energy supplies, border controls and military aid to Ukraine.",
            "Several leaders called for a common plan to protect gas pipelines from sabotage."),
    article("final", "City win the cup final after a penalty shoot-out", "BBC", "2025-05-24",
            "Manchester City won the cup final at Wembley after beating Arsenal five to four on penalties.",
            "The City goalkeeper saved the decisive penalty from the Arsenal captain."),
    article("rates", "Central bank raises interest rates to fight inflation", "Reuters", "2025-03-06",
            "The European Central Bank raised its main interest rate by a quarter point on Thursday.",
            "Policy makers said consumer prices were still rising faster than the two percent target.",
            "Mortgage holders across the eurozone face higher monthly payments as a result."),
    article("fire", "Wildfire forces thousands to flee in southern California", "AP", "2025-08-02",
            "A fast-moving wildfire forced more than ten thousand residents to leave their homes.",
            "At least two hundred houses were destroyed and three firefighters were injured.",
            "The governor declared a state of emergency for the affected county."),
    article("note", "Undated note on the harbour ferry", "Courier", None,
            "The harbour ferry carries four hundred passengers and leaves every thirty minutes."),
]
QUESTIONS = ["Where did European leaders meet for the security summit?", "Who won the cup final on penalties?",
             "Did the central bank raise interest rates?", "How many houses did the wildfire destroy?",
             "How often does the harbour ferry leave?"]


def write(seeds: Path, articles: list[dict]) -> None:
    seeds.mkdir(parents=True, exist_ok=True)
    for old in seeds.glob("*.json"):
        old.unlink()
    for item in articles:
        (seeds / f"{item['id']}.json").write_text(json.dumps(item), encoding="utf-8")


def location(kind: str, base: Path) -> Path | str:
    return base / "index" if kind == "folder" else f"milvus:{base / 'index.db'}"


@pytest.fixture(params=STORES)
def settings(request, tmp_path) -> Settings:
    """Settings over the articles above, indexed into the store under test (its client released after)."""
    made = Settings(seeds_dir=tmp_path / "seeds", index_dir=location(request.param, tmp_path), chunk_tokens=32,
                    chunk_overlap=4, cache_dir=tmp_path / "cache")
    write(made.seeds_dir, ARTICLES)
    yield made
    release(str(made.index_dir))


def build(settings: Settings, embedder, **options):
    return build_index(settings, embedder=embedder, log=lambda _: None, progress=False, **options)


def every_chunk(store, embedder) -> list[int]:
    """The ids a search over the whole index finds (a stale chunk would show up here)."""
    return [cid for cid, _ in store.dense_search(embedder.encode(["anything"])[0], 10_000)]


def top_article(store, embedder, question: str, mode: str = "hybrid") -> str:
    return Retriever(store, embedder).search(question, 1, mode=mode)[0].article_id.split("#")[1]


def test_build_then_search_finds_each_story(settings, embedder):
    report = build(settings, embedder)
    store = load_store(settings.index_dir)
    assert report.chunks == store.count() > len(ARTICLES)
    assert sorted(every_chunk(store, embedder)) == sorted(c for a in store.manifest["articles"].values()
                                                          for c in a["chunk_ids"])
    for question, expected in zip(QUESTIONS, ["summit", "final", "rates", "fire", "note"]):
        for mode in ("hybrid", "dense", "lexical"):
            assert top_article(store, embedder, question, mode) == expected, (question, mode)
    lexical = store.lexical_search("penalty goalkeeper Arsenal", 3)
    assert lexical and all(score > 0 for _, score in lexical)
    assert store.article_of(lexical[0][0])["title"].startswith("City win")
    record = store.fetch([lexical[0][0]])[lexical[0][0]]
    assert "Arsenal" in record.text or "penalt" in record.text


def test_no_op_rebuild_embeds_nothing(settings, embedder):
    build(settings, embedder)
    stamp = index_stamp(settings.index_dir)
    again = build(settings, embedder)
    assert again.plan.is_noop and again.chunks_embedded == 0
    assert index_stamp(settings.index_dir) == stamp  # readers have nothing to reload


def test_changed_and_deleted_articles_leave_no_stale_chunk(settings, embedder):
    build(settings, embedder)
    shorter = article("summit", "Leaders gather in Budapest for a security summit", "Reuters", "2025-10-14",
                      "The summit in Budapest was cut short by a storm.")
    write(settings.seeds_dir, [shorter] + [a for a in ARTICLES if a["id"] not in ("summit", "fire")])
    report = build(settings, embedder)
    assert (len(report.plan.changed), len(report.plan.removed)) == (1, 1)
    store = load_store(settings.index_dir)
    found = every_chunk(store, embedder)
    assert len(found) == store.count() == len(set(found))
    texts = [record.text for record in store.fetch(found).values()]
    assert any("storm" in t for t in texts) and not any("pipelines" in t or "wildfire" in t for t in texts)
    assert not [cid for cid, _ in store.lexical_search("wildfire firefighters pipelines sabotage", 50)]
    assert sorted(key.split("#")[1] for key in store.manifest["articles"]) == ["final", "note", "rates", "summit"]


def test_filters_are_applied_in_the_store(settings, embedder):
    build(settings, embedder)
    store = load_store(settings.index_dir)
    query = embedder.encode(["news"])[0]

    def articles(found) -> set[str]:
        return {store.article_of(cid)["id"].split("#")[1] for cid, _ in found}

    spring = Filters(since="2025-03-01", until="2025-06-30")
    assert articles(store.dense_search(query, 100, spring)) == {"rates", "final"}
    assert articles(store.dense_search(query, 100, Filters(until="2025-06-30", keep_undated=True))) == {
        "rates", "final", "note"}
    assert articles(store.dense_search(query, 100, Filters(sources=("reuters",)))) == {"summit", "rates"}
    assert articles(store.lexical_search("interest rate raised Thursday", 100, Filters(sources=("AP",)))) == set()
    assert articles(store.lexical_search("houses destroyed", 100, Filters(since="2025-08-01"))) == {"fire"}


def test_reopened_in_a_new_process(settings, embedder):
    build(settings, embedder)
    store = load_store(settings.index_dir)
    expected = [cid for cid, _ in store.dense_search(embedder.encode([QUESTIONS[1]])[0], 3)]
    count = store.count()
    store.close()  # Milvus Lite lets one process hold a file at a time
    script = ("import sys; from rag.index.stores import load_store; from rag.index.embedding import "
              "SentenceTransformerEmbedder as E; s = load_store(sys.argv[1]); q = E().encode([sys.argv[2]])[0]; "
              "print(s.count(), [c for c, _ in s.dense_search(q, 3)])")
    out = subprocess.run([sys.executable, "-c", script, str(settings.index_dir), QUESTIONS[1]], capture_output=True,
                         text=True, timeout=300, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin",
                                                      "HOME": str(Path.home())})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == f"{count} {expected}"


class Crash(Exception):
    pass


def crashing(embedder, after: int):
    """The real embedder, failing on its call number `after` + 1 (a build killed part-way)."""
    calls = []

    class Crashing:
        model_id, dim, max_tokens = embedder.model_id, embedder.dim, embedder.max_tokens

        def count_tokens(self, texts):
            return embedder.count_tokens(texts)

        def encode(self, texts, progress=False):
            calls.append(1)
            if len(calls) > after:
                raise Crash("killed")
            return embedder.encode(texts)

    return Crashing()


def test_an_interrupted_rebuild_leaves_a_usable_index(settings, embedder, monkeypatch):
    build(settings, embedder)
    before = load_store(settings.index_dir)
    expected = [top_article(before, embedder, q) for q in QUESTIONS]
    monkeypatch.setattr(rag.index.indexing, "GROUP_CHUNKS", 1)  # one article a group
    monkeypatch.setattr(rag.index.indexing, "CHECKPOINT_SECONDS", 0.0)  # save after every group
    with pytest.raises(Crash):  # a full rebuild keeps the old index whole until its end
        build(settings, crashing(embedder, after=2), full=True)
    store = load_store(settings.index_dir)
    assert [top_article(store, embedder, q) for q in QUESTIONS] == expected
    added = article("storm", "Storm closes the harbour", "AP", "2025-11-02", "A storm closed the harbour for a day.")
    more = article("vote", "Parliament passes the budget", "BBC", "2025-11-03", "Parliament passed the budget.")
    write(settings.seeds_dir, ARTICLES + [added, more])
    with pytest.raises(Crash):  # an update saves as it goes
        build(settings, crashing(embedder, after=1))
    store = load_store(settings.index_dir)
    found = every_chunk(store, embedder)
    assert len(found) == store.count() == len(set(found))
    assert [top_article(store, embedder, q) for q in QUESTIONS] == expected
    report = build(settings, embedder)  # goes on from there
    assert report.chunks_embedded >= 1
    store = load_store(settings.index_dir)
    found = every_chunk(store, embedder)
    assert len(found) == store.count() == len(set(found)) and len(store.manifest["articles"]) == 7


def test_both_stores_find_the_same_passages(tmp_path, embedder):
    stores = []
    for kind in STORES:
        made = Settings(seeds_dir=tmp_path / "seeds", index_dir=location(kind, tmp_path / kind), chunk_tokens=32,
                        chunk_overlap=4, cache_dir=tmp_path / "cache")
        write(made.seeds_dir, ARTICLES)
        build(made, embedder)
        stores.append(load_store(made.index_dir))
    try:
        agreed = agreement(stores[0], stores[1], embedder, QUESTIONS + ["Who was injured?", "gas prices"],
                           Settings())
        print("store agreement:", agreed)
        assert agreed["dense_identical"] == 1.0
        assert agreed["hybrid_article_overlap"] >= 0.9
    finally:
        release(str(stores[1].location))


def test_milvus_filter_expressions():
    assert milvus_filter(Filters()) == ""
    assert milvus_filter(Filters(since="1970-01-02", until="1970-01-31")) == "(day >= 1 and day <= 30)"
    assert milvus_filter(Filters(until="1970-01-31", keep_undated=True)) == (
        "(day == -10000000 or (day > -10000000 and day <= 30))")
    assert milvus_filter(Filters(since="1969-12-31")) == "(day >= -1)"  # not the undated marker any more
    # an index written before the marker moved keeps -1 for undated articles: they stay out of date ranges
    assert milvus_filter(Filters(since="1965-01-01"), undated=-1) == "(day >= -1826 and day != -1)"
    assert milvus_filter(Filters(sources=("AP", 'The "Post"'))) == 'source in ["ap", "the \\"post\\""]'


def test_a_milvus_location_without_the_extra_or_with_a_bad_name_is_a_clear_error(tmp_path):
    with pytest.raises(RagError, match=r"ending in \.db"):
        read_manifest(f"milvus:{tmp_path / 'index'}")
    script = ("import sys; sys.modules['pymilvus'] = None; from rag.index.stores import read_manifest\n"
              "try:\n read_manifest(sys.argv[1])\nexcept Exception as e: print(e)")
    out = subprocess.run([sys.executable, "-c", script, f"milvus:{tmp_path / 'x.db'}"], capture_output=True,
                         text=True, timeout=120)
    assert "pip install -e '.[milvus]'" in out.stdout, out


def test_an_unreachable_cluster_is_one_clear_error(tmp_path):
    from tests.conftest import free_port

    with pytest.raises(RagError, match="cannot open the Milvus index.*Nothing was changed"):
        read_manifest(f"http://127.0.0.1:{free_port()}")


def test_the_command_line_builds_and_reports_a_milvus_index(tmp_path):
    seeds = tmp_path / "seeds"
    write(seeds, ARTICLES[:2])
    index = f"milvus:{tmp_path / 'news.db'}"

    def rag(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "rag", *args, "--seeds", str(seeds), "--index", index],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    assert "added 2" in rag("build")
    status = rag("status")
    assert f"index {index}: 2 articles" in status and "a build would do nothing" in status


OLD = [article("moon", "Astronauts walk on the Moon", "AP", "1969-07-21", "Two astronauts walked on the Moon."),
       article("eve", "A year of change ends", "AP", "1969-12-31", "The year of the Moon landing ended quietly."),
       article("beatles", "The Beatles arrive in America", "AP", "1964-02-07", "The Beatles landed in New York.")]


def test_articles_before_1970_are_dated_and_apart_from_undated_ones(settings, embedder):
    write(settings.seeds_dir, ARTICLES + OLD)
    build(settings, embedder)
    store = load_store(settings.index_dir)
    query = embedder.encode(["news"])[0]

    def articles(filters: Filters) -> set[str]:
        return {store.article_of(cid)["id"].split("#")[1] for cid, _ in store.dense_search(query, 100, filters)}

    assert articles(Filters(until="1970-06-01")) == {"moon", "eve", "beatles"}
    assert articles(Filters(since="1969-12-31", until="2025-04-01")) == {"eve", "rates"}
    assert articles(Filters(until="1969-12-31", keep_undated=True)) == {"moon", "eve", "beatles", "note"}
    assert articles(Filters(since="1964-01-01", until="1964-12-31")) == {"beatles"}


def test_a_part_of_the_index_is_read_alone_with_the_same_texts_and_vectors(settings, embedder):
    """read_part (the briefing's reader) hands back only the chosen chunks, as the whole store holds them."""
    import numpy as np

    from rag.index.stores import read_part

    build(settings, embedder)
    store = load_store(settings.index_dir)
    try:
        summit = next(e for a, e in store.manifest["articles"].items() if a.endswith("#summit"))
        chosen = summit["chunk_ids"]
        whole_records, whole_vectors = store.fetch(chosen), store.vectors_of(chosen)
    finally:
        store.close()
    part = read_part(settings.index_dir, lambda manifest: chosen)
    assert part.manifest["articles"].keys() == read_manifest(settings.index_dir)["articles"].keys()
    assert part.records == whole_records and sorted(part.vectors) == sorted(chosen)
    assert all(np.allclose(part.vectors[c], whole_vectors[c]) for c in chosen)
    assert read_part(settings.index_dir, lambda manifest: []).records == {}


def test_a_reader_opened_before_an_update_keeps_answering_during_and_after_it(settings, embedder):
    build(settings, embedder)
    reader = Retriever(load_store(settings.index_dir), embedder)
    listed = set(reader.store.manifest["articles"])
    shorter = article("summit", "Leaders gather in Budapest for a security summit", "Reuters", "2025-10-14",
                      "The summit in Budapest was cut short by a storm.")
    write(settings.seeds_dir, [shorter] + [a for a in ARTICLES if a["id"] not in ("summit", "fire")])
    build(settings, embedder)  # changes one article and removes another under the reader
    for question in QUESTIONS + ["What did the firefighters do?"]:
        for mode in ("hybrid", "dense", "lexical"):
            hits = reader.search(question, 5, mode=mode)
            assert {hit.article_id for hit in hits} <= listed and all(hit.text for hit in hits)


def test_passages_that_vanish_between_search_and_fetch_are_left_out(settings, embedder):
    from rag.model import Answer
    from rag.answering.finishing import with_reports

    build(settings, embedder)
    store = load_store(settings.index_dir)

    class Vanishing:
        """The store, as a build removing chunks between a reader's search and its reads would show it."""

        def __init__(self, inner, gone: set[int]) -> None:
            self.inner, self.gone = inner, gone

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def vectors_of(self, ids):
            return {cid: v for cid, v in self.inner.vectors_of(ids).items() if cid not in self.gone}

    first = Retriever(store, embedder).search(QUESTIONS[0], 3)
    gone = {first[0].chunk_id}
    retriever = Retriever(Vanishing(store, gone), embedder)
    hits = retriever.search(QUESTIONS[0], 3)
    assert hits and gone.isdisjoint(hit.chunk_id for hit in hits)
    answered = with_reports(Answer("Q", "Budapest [1]."), QUESTIONS[0], first, retriever, embedder)
    assert all(gone.isdisjoint(report.citations) for report in answered.reports) or not answered.reports


def test_chunks_left_by_a_delete_cut_short_are_deleted_by_the_next_build(tmp_path, embedder, monkeypatch):
    from rag.index.stores.milvus_client import connect

    made = Settings(seeds_dir=tmp_path / "seeds", index_dir=location("milvus", tmp_path), chunk_tokens=32,
                    chunk_overlap=4, cache_dir=tmp_path / "cache")
    write(made.seeds_dir, ARTICLES)
    try:
        build(made, embedder)
        client = connect(str(made.index_dir))
        real_delete = client.delete

        def cut_short(collection_name, **kwargs):
            if collection_name.endswith("_chunks"):
                raise Crash("killed between the article's entry and its chunks")
            return real_delete(collection_name, **kwargs)

        write(made.seeds_dir, [a for a in ARTICLES if a["id"] != "fire"])
        monkeypatch.setattr(client, "delete", cut_short)
        with pytest.raises(Exception, match="killed between"):
            build(made, embedder)
        monkeypatch.setattr(client, "delete", real_delete)
        store = load_store(made.index_dir)
        listed = {c for a in store.manifest["articles"].values() for c in a["chunk_ids"]}
        assert "fire" not in {key.split("#")[1] for key in store.manifest["articles"]}
        assert set(every_chunk(store, embedder)) > listed  # the fire's chunks are still found: orphans
        report = build(made, embedder)  # nothing to embed: it finishes the delete
        assert report.plan.is_noop and report.chunks_embedded == 0
        store = load_store(made.index_dir)
        assert set(every_chunk(store, embedder)) == listed and "deleting" not in store.manifest
    finally:
        release(str(made.index_dir))


def test_a_reader_follows_a_full_rebuild_without_an_error(tmp_path, embedder):
    made = Settings(seeds_dir=tmp_path / "seeds", index_dir=location("milvus", tmp_path), chunk_tokens=32,
                    chunk_overlap=4, cache_dir=tmp_path / "cache")
    write(made.seeds_dir, ARTICLES)
    try:
        build(made, embedder)
        reader = Retriever(load_store(made.index_dir), embedder)
        old_ids = {c for a in reader.store.manifest["articles"].values() for c in a["chunk_ids"]}
        assert top_article(reader.store, embedder, QUESTIONS[1]) == "final"
        build(made, embedder, full=True)  # a new generation; the old one's collections are dropped
        for question in QUESTIONS:  # the reader's aliases moved with it: no unavailable collection mid-answer
            assert {hit.article_id for hit in reader.search(question, 5)} <= set(reader.store.manifest["articles"])
        fresh = load_store(made.index_dir)
        new_ids = {c for a in fresh.manifest["articles"].values() for c in a["chunk_ids"]}
        assert old_ids.isdisjoint(new_ids)  # ids are never handed out twice
        assert [top_article(fresh, embedder, q) for q in QUESTIONS] == ["summit", "final", "rates", "fire", "note"]
    finally:
        release(str(made.index_dir))
