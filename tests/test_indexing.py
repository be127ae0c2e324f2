"""Incremental builds with the real embedder, real files and real FAISS."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import rag.index.indexing
import rag.index.stores.folder
from rag.config import Settings
from rag.errors import IndexFormatError, IndexLockedError, NoArticlesError, RagError
from rag.index.indexing import build_index, build_lock
from rag.index.stores.contract import Filters
from rag.index.stores.folder import FolderStore, read_manifest
from rag.ingest.chunking import embedding_text

QUERIES = [
    "Where did European leaders meet for the security summit?",
    "Who won the cup final on penalties at Wembley?",
    "Did the central bank raise interest rates?",
    "How many houses did the wildfire destroy?",
    "state of emergency declared by the governor",
]
ALL = ["budapest.txt", "central_bank.txt", "football.txt", "wildfire.txt"]
EXPECTED_TOP = ["budapest.txt", "football.txt", "central_bank.txt", "wildfire.txt", "wildfire.txt"]


def build(settings, embedder, **kwargs):
    logs: list[str] = []
    report = build_index(settings, embedder=embedder, log=logs.append, progress=False, **kwargs)
    return report, logs


def chunk_set(store):
    return {(c.article_id, c.start, c.end, c.text) for c in store.chunks.values()}


def top(store, embedder, query, k=5):
    hits = store.dense_search(embedder.encode([query])[0], k)
    return [(store.chunks[i].article_id, store.chunks[i].start, score) for i, score in hits]


def all_results(store, embedder):
    return {q: top(store, embedder, q) for q in QUERIES}


def assert_same_results(a, b):
    assert a.keys() == b.keys()
    for q in a:
        assert [(aid, start) for aid, start, _ in a[q]] == [(aid, start) for aid, start, _ in b[q]], q
        np.testing.assert_allclose([s for *_, s in a[q]], [s for *_, s in b[q]], atol=1e-5)


def edit(settings, name, old, new):
    path = settings.seeds_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def index_files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def built(make_settings, embedder, write_articles):
    """Four articles, indexed once."""
    settings = make_settings()
    write_articles(settings.seeds_dir)
    report, _ = build(settings, embedder)
    assert sorted(report.plan.added) == ALL
    return settings


# --- oracle: incremental == full -----------------------------------------------------------------------------

def test_incremental_build_matches_full_build(make_settings, embedder, write_articles):
    inc, full = make_settings("inc"), make_settings("full")
    write_articles(inc.seeds_dir, ["budapest.txt", "football.txt"])
    r1, _ = build(inc, embedder)
    assert sorted(r1.plan.added) == ["budapest.txt", "football.txt"] and r1.chunks_embedded == r1.chunks > 0

    write_articles(inc.seeds_dir, ["central_bank.txt", "wildfire.txt"])
    edit(inc, "football.txt", "five to four on penalties", "four to three on penalties in a tense shoot-out")
    r2, _ = build(inc, embedder)
    assert sorted(r2.plan.added) == ["central_bank.txt", "wildfire.txt"]
    assert r2.plan.changed == ["football.txt"] and r2.plan.unchanged == ["budapest.txt"]

    shutil.copytree(inc.seeds_dir, full.seeds_dir)
    r3, _ = build(full, embedder)
    assert r3.chunks == r2.chunks and r3.articles == r2.articles == 4

    s_inc, s_full = FolderStore.load(inc.index_dir), FolderStore.load(full.index_dir)
    assert chunk_set(s_inc) == chunk_set(s_full)
    assert {k: v["sha256"] for k, v in s_inc.manifest["articles"].items()} == \
           {k: v["sha256"] for k, v in s_full.manifest["articles"].items()}
    res_inc, res_full = all_results(s_inc, embedder), all_results(s_full, embedder)
    assert_same_results(res_inc, res_full)
    # and the results make sense to a reader
    for q, expected in zip(QUERIES, EXPECTED_TOP):
        assert res_inc[q][0][0] == expected, (q, res_inc[q])
    assert any("four to three" in s_inc.chunks[i].text
               for i, _ in s_inc.dense_search(embedder.encode(["penalty shoot-out score"])[0], 3))


def test_an_interrupted_build_keeps_what_it_saved_and_the_next_build_goes_on_from_there(
        make_settings, embedder, write_articles, monkeypatch, counting_embedder):
    monkeypatch.setattr(rag.index.indexing, "GROUP_CHUNKS", 1)  # one article a group
    monkeypatch.setattr(rag.index.indexing, "CHECKPOINT_SECONDS", 0.0)  # save after every group
    settings, whole = make_settings("first"), make_settings("whole")
    write_articles(settings.seeds_dir)
    logs: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, embedder=counting_embedder(interrupt_at=3), log=logs.append, progress=False)
    saved = FolderStore.load(settings.index_dir)
    assert len(saved.manifest["articles"]) == 2 and sum("an interrupted build goes on" in line for line in logs) == 2

    resumed = counting_embedder()
    report, _ = build(settings, resumed)
    assert len(report.plan.added) == 2 and len(report.plan.unchanged) == 2 and len(resumed.calls) == 2
    shutil.copytree(settings.seeds_dir, whole.seeds_dir)
    build(whole, embedder)
    done, reference = FolderStore.load(settings.index_dir), FolderStore.load(whole.index_dir)
    assert chunk_set(done) == chunk_set(reference)
    assert_same_results(all_results(done, embedder), all_results(reference, embedder))


def test_an_interrupted_update_saves_whole_indexes_with_old_or_new_versions(built, embedder, monkeypatch, counting_embedder):
    monkeypatch.setattr(rag.index.indexing, "GROUP_CHUNKS", 1)
    monkeypatch.setattr(rag.index.indexing, "CHECKPOINT_SECONDS", 0.0)
    old = {aid: a["sha256"] for aid, a in read_manifest(built.index_dir)["articles"].items()}
    for name in ALL:
        path = built.seeds_dir / name
        path.write_text(path.read_text(encoding="utf-8") + "The story was updated on Friday.\n", encoding="utf-8")
    (built.seeds_dir / "wildfire.txt").unlink()
    with pytest.raises(KeyboardInterrupt):
        build(built, counting_embedder(interrupt_at=3))
    saved = read_manifest(built.index_dir)["articles"]
    assert sorted(saved) == ALL  # nothing missing while the update ran: the deleted one goes at the end
    assert sum(saved[aid]["sha256"] != old[aid] for aid in saved) == 2  # two new versions so far
    report, _ = build(built, embedder)
    assert sorted(report.plan.changed) == [a for a in ALL if a != "wildfire.txt" and saved[a]["sha256"] == old[a]]
    assert report.plan.removed == ["wildfire.txt"]
    store = FolderStore.load(built.index_dir)
    assert sorted(store.manifest["articles"]) == [a for a in ALL if a != "wildfire.txt"]
    assert sum("updated on Friday" in c.text for c in store.chunks.values()) >= 3


def test_a_full_rebuild_keeps_the_index_whole_until_it_is_done(built, embedder, monkeypatch, counting_embedder):
    monkeypatch.setattr(rag.index.indexing, "GROUP_CHUNKS", 1)
    monkeypatch.setattr(rag.index.indexing, "CHECKPOINT_SECONDS", 0.0)
    generation = read_manifest(built.index_dir)["generation"]
    with pytest.raises(KeyboardInterrupt):
        build(built, counting_embedder(interrupt_at=3), full=True)
    assert read_manifest(built.index_dir)["generation"] == generation  # no partial index replaced the whole one
    assert len(FolderStore.load(built.index_dir).manifest["articles"]) == 4


def test_faiss_search_matches_brute_force(built, embedder):
    store = FolderStore.load(built.index_dir)
    ids = sorted(store.chunks)
    assert store.vectors.ntotal == len(ids) > 4
    matrix = np.stack([store.vectors.reconstruct(i) for i in ids])
    # each stored vector is the embedding of its own chunk (title + passage), so ids map to the right text
    fresh = embedder.encode([embedding_text(store.article_of(i)["title"], store.chunks[i].text) for i in ids])
    np.testing.assert_allclose(matrix, fresh, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    for q in QUERIES:
        vector = embedder.encode([q])[0]
        scores = matrix @ vector
        order = np.argsort(-scores, kind="stable")[:5]
        hits = store.dense_search(vector, 5)
        assert [i for i, _ in hits] == [ids[j] for j in order]
        np.testing.assert_allclose([s for _, s in hits], scores[order], atol=1e-5)
    # search restricted to a date range only returns the chunks of the articles in it
    allowed = [i for i in ids if store.article_of(i)["id"] == "football.txt"]
    hits = store.dense_search(embedder.encode(["interest rates"])[0], 5, Filters(since="2025-05-01",
                                                                                until="2025-05-31"))
    assert hits and {i for i, _ in hits} <= set(allowed) and len(allowed) < len(ids)


# --- edit / delete / no-op -----------------------------------------------------------------------------------

def test_editing_one_article_reembeds_only_its_chunks(built, embedder, counting_embedder):
    before = read_manifest(built.index_dir)
    edit(built, "wildfire.txt", "The governor declared a state of emergency for the affected county.",
         "Heavy rain on Friday finally helped crews contain the fire near the reservoir.")
    counting = counting_embedder()
    report, _ = build(built, counting)
    after = read_manifest(built.index_dir)

    assert report.plan.changed == ["wildfire.txt"]
    assert report.plan.added == report.plan.removed == []
    assert sorted(report.plan.unchanged) == ["budapest.txt", "central_bank.txt", "football.txt"]
    assert report.chunks_embedded == len(after["articles"]["wildfire.txt"]["chunk_ids"]) > 0
    assert sum(counting.calls) == report.chunks_embedded
    for other in ("budapest.txt", "central_bank.txt", "football.txt"):
        assert after["articles"][other] == before["articles"][other]   # same chunk ids: not re-embedded
    assert after["generation"] == before["generation"] + 1

    store = FolderStore.load(built.index_dir)
    texts = " ".join(c.text for c in store.chunks.values() if c.article_id == "wildfire.txt")
    assert "Heavy rain on Friday" in texts and "state of emergency" not in texts
    [(aid, _, _)] = top(store, embedder, "What helped crews contain the fire near the reservoir?", 1)
    assert aid == "wildfire.txt"


def test_deleting_an_article_removes_it_everywhere(built, embedder):
    (built.seeds_dir / "central_bank.txt").unlink()
    report, _ = build(built, embedder)
    assert report.plan.removed == ["central_bank.txt"]
    assert report.chunks_embedded == 0

    manifest = read_manifest(built.index_dir)
    assert "central_bank.txt" not in manifest["articles"]
    store = FolderStore.load(built.index_dir)
    assert all(c.article_id != "central_bank.txt" for c in store.chunks.values())
    assert store.vectors.ntotal == len(store.chunks) == len(store.lexical.ids)
    for q in QUERIES + ["European Central Bank interest rate inflation euro"]:
        hits = top(store, embedder, q, k=store.vectors.ntotal)
        assert len(hits) == store.vectors.ntotal
        assert all(aid != "central_bank.txt" for aid, _, _ in hits)


def test_noop_rebuild_embeds_nothing_and_changes_nothing(built, embedder, monkeypatch, counting_embedder):
    manifest_bytes = (built.index_dir / "manifest.json").read_bytes()
    files = index_files(built.index_dir)
    results = all_results(FolderStore.load(built.index_dir), embedder)

    counting = counting_embedder()
    report, logs = build(built, counting)
    assert report.plan.is_noop and report.chunks_embedded == 0
    assert counting.calls == []
    assert report.articles == 4 and report.chunks == len(FolderStore.load(built.index_dir).chunks)
    assert (built.index_dir / "manifest.json").read_bytes() == manifest_bytes
    assert index_files(built.index_dir) == files
    assert "unchanged 4; 0 chunks embedded" in report.summary()

    # without an embedder passed in, a no-op build does not even load the model
    def no_model(*args, **kwargs):
        raise AssertionError("a no-op build must not load the embedding model")

    monkeypatch.setattr(rag.index.indexing, "make_embedder", no_model)
    report = build_index(built, log=lambda _: None, progress=False)
    assert report.chunks_embedded == 0
    assert (built.index_dir / "manifest.json").read_bytes() == manifest_bytes
    assert_same_results(all_results(FolderStore.load(built.index_dir), embedder), results)


# --- crash safety --------------------------------------------------------------------------------------------

def crash_on_manifest(*args, **kwargs):
    raise RuntimeError("simulated crash before the manifest is written")


def snapshot(settings, embedder):
    store = FolderStore.load(settings.index_dir)
    return store.manifest["generation"], chunk_set(store), all_results(store, embedder)


def test_a_reader_whose_generation_is_removed_by_two_quick_builds_reads_the_newest(built, embedder, monkeypatch):
    stale = rag.index.stores.folder.read_manifest(built.index_dir)  # read just before two builds land
    edit(built, "football.txt", "five to four on penalties", "seven to six on penalties")
    build(built, embedder)
    edit(built, "football.txt", "seven to six on penalties", "eight to seven on penalties")
    build(built, embedder)  # the first generation's files are now removed
    readings = iter([stale])
    real = rag.index.stores.folder.read_manifest
    monkeypatch.setattr(rag.index.stores.folder, "read_manifest", lambda folder: next(readings, None) or real(folder))
    store = FolderStore.load(built.index_dir)
    assert store.manifest["generation"] == real(built.index_dir)["generation"] > stale["generation"]
    assert any("eight to seven" in c.text for c in store.chunks.values())


def test_crash_during_incremental_build_keeps_previous_generation(built, embedder, monkeypatch):
    generation, chunks, results = snapshot(built, embedder)
    edit(built, "football.txt", "five to four on penalties", "seven to six on penalties")

    monkeypatch.setattr(rag.index.stores.folder, "write_json", crash_on_manifest)  # the manifest write
    with pytest.raises(RuntimeError, match="simulated crash"):
        build(built, embedder)
    monkeypatch.undo()

    gen_after, chunks_after, results_after = snapshot(built, embedder)
    assert gen_after == generation
    assert chunks_after == chunks
    assert_same_results(results_after, results)

    report, _ = build(built, embedder)
    assert report.plan.changed == ["football.txt"]
    store = FolderStore.load(built.index_dir)
    assert store.manifest["generation"] > generation
    assert any("seven to six" in c.text for c in store.chunks.values())
    assert not any("five to four" in c.text for c in store.chunks.values())
    # leftovers of the crashed build are cleaned up; only the live and the previous generation remain
    names = index_files(built.index_dir)
    assert not [n for n in names if n.startswith(".tmp-")]
    gens = {n.split(".")[0].split("-")[1] for n in names if n.split("-")[0] in ("vectors", "chunks", "lexical")}
    assert len(gens) <= 2 and f"{store.manifest['generation']:06d}" in gens


@pytest.mark.parametrize("how", ["settings", "full"])
def test_crash_during_full_rebuild_keeps_previous_generation(built, embedder, monkeypatch, make_settings, how):
    """A full rebuild (settings change or --full) must not overwrite the live generation's files either."""
    generation, chunks, results = snapshot(built, embedder)
    edit(built, "football.txt", "five to four on penalties", "seven to six on penalties")
    settings = make_settings(chunk_tokens=32, chunk_overlap=6) if how == "settings" else built

    monkeypatch.setattr(rag.index.stores.folder, "write_json", crash_on_manifest)  # the manifest write
    with pytest.raises(RuntimeError, match="simulated crash"):
        build(settings, embedder, full=(how == "full"))
    monkeypatch.undo()

    gen_after, chunks_after, results_after = snapshot(built, embedder)
    assert gen_after == generation
    assert chunks_after == chunks
    assert_same_results(results_after, results)

    report, _ = build(settings, embedder, full=(how == "full"))
    store = FolderStore.load(built.index_dir)
    assert store.manifest["generation"] > generation
    assert any("seven to six" in c.text for c in store.chunks.values())
    assert report.chunks_embedded == len(store.chunks)


# --- lock ----------------------------------------------------------------------------------------------------

def test_build_refuses_while_another_build_holds_the_lock(built, embedder):
    (built.seeds_dir / "extra.txt").write_text("Extra story\nSomething happened today.\n", encoding="utf-8")
    before = (built.index_dir / "manifest.json").read_bytes()
    with build_lock(built.index_dir / ".lock"):
        with pytest.raises(IndexLockedError, match="another build .* is running") as info:
            build(built, embedder)
        assert str(os.getpid()) in str(info.value)
    assert (built.index_dir / "manifest.json").read_bytes() == before
    report, _ = build(built, embedder)   # the lock is released afterwards
    assert report.plan.added == ["extra.txt"]


def test_index_folder_inside_the_articles_folder_is_not_read(make_settings, embedder, write_articles, tmp_path,
                                                            monkeypatch):
    news = write_articles(tmp_path / "news")
    monkeypatch.chdir(news)  # cd news && rag build --seeds . : the index folder ./index lies inside
    settings = make_settings(seeds_dir=Path("."), index_dir=Path("index"))
    reports = [build(settings, embedder)[0] for _ in range(3)]
    assert [r.articles for r in reports] == [4, 4, 4]
    assert all(r.problems == [] for r in reports)
    assert reports[1].plan.is_noop and reports[2].plan.is_noop
    assert sorted(read_manifest(news / "index")["articles"]) == ALL


def test_an_articles_folder_inside_the_index_folder_is_read(make_settings, embedder, write_articles, tmp_path):
    settings = make_settings(seeds_dir=tmp_path / "news" / "articles", index_dir=tmp_path / "news")
    write_articles(settings.seeds_dir)
    report, _ = build(settings, embedder)
    assert report.articles == 4 and sorted(read_manifest(settings.index_dir)["articles"]) == ALL


def test_the_same_folder_for_articles_and_index_is_refused(tmp_path):
    with pytest.raises(RagError, match="same.*--index DIR"):
        Settings(seeds_dir=tmp_path / "news", index_dir=tmp_path / "news" / ".." / "news")


def test_other_files_in_the_index_folder_survive_builds(built, embedder):
    keep = ["chunks-2024.txt", "lexical-notes", "vectors-1.faiss.bak", "notes.md"]
    for name in keep:
        (built.index_dir / name).write_text("mine\n", encoding="utf-8")
    edit(built, "budapest.txt", "Budapest", "Vienna")
    build(built, embedder)
    build(built, embedder, full=True)
    assert all((built.index_dir / name).read_text(encoding="utf-8") == "mine\n" for name in keep)
    assert not (built.index_dir / "vectors-000001.faiss").exists()  # the index's own old files do go


def test_a_record_added_at_the_top_of_a_feed_embeds_only_that_record(make_settings, fake_embedder):
    settings = make_settings()
    settings.seeds_dir.mkdir(parents=True)
    feed = settings.seeds_dir / "feed.jsonl"
    records = [{"title": f"Story {i}", "text": f"Body of story {i}. It has two sentences."} for i in range(5)]
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    build(settings, fake_embedder)
    newest = {"title": "Breaking", "text": "A new story. Just one."}
    feed.write_text(json.dumps(newest) + "\n" + feed.read_text(encoding="utf-8"), encoding="utf-8")
    fake_embedder.calls.clear()
    report, _ = build(settings, fake_embedder)
    assert (len(report.plan.added), report.plan.changed, report.plan.removed) == (1, [], [])
    assert len(report.plan.unchanged) == 5
    assert report.chunks_embedded == sum(fake_embedder.calls) == 1


def test_no_readable_article_and_no_index_is_an_error(make_settings, fake_embedder):
    settings = make_settings()
    settings.seeds_dir.mkdir(parents=True)
    (settings.seeds_dir / "feed.json").write_text("{not json", encoding="utf-8")
    logs: list[str] = []
    with pytest.raises(NoArticlesError) as info:
        build_index(settings, embedder=fake_embedder, log=logs.append, progress=False)
    assert str(info.value) == (f"no readable articles in {settings.seeds_dir}; add .txt, .md, .html, .json or "
                               ".jsonl files and run rag build again")
    assert [line.split(":")[0] for line in logs] == ["skipped feed.json"]  # the reason the file was skipped


def test_deleting_every_article_empties_the_index(built, embedder):
    for path in built.seeds_dir.iterdir():
        path.unlink()
    report, _ = build(built, embedder)
    assert sorted(report.plan.removed) == ALL and report.articles == report.chunks == 0
    assert FolderStore.load(built.index_dir).manifest["articles"] == {}


# --- settings change -----------------------------------------------------------------------------------------

def test_a_build_that_names_no_model_keeps_the_index_model(built, embedder, tmp_path):
    from dataclasses import replace

    from rag.answering.qa import QA
    from rag.index.embedding import packaged_model_path

    copy = shutil.copytree(packaged_model_path(), tmp_path / "my-model")  # a local model folder of its own
    custom = replace(built, embedding_model=str(copy))
    report, _ = build(custom, None)  # the same vectors (a copy): the index is kept, now under the copy's name
    assert report.chunks_embedded == 0 and read_manifest(built.index_dir)["settings"]["embedding_model"] == str(copy)
    qa = QA(built)  # RAG_EMBEDDING_MODEL unset, as for rag serve or an upload
    assert qa.embedder.model_id == str(copy)
    assert qa.index.build(log=lambda line: None, progress=False).plan.is_noop
    report = qa.index.build(full=True, log=lambda line: None, progress=False)
    assert report.chunks_embedded > 0 and read_manifest(built.index_dir)["settings"]["embedding_model"] == str(copy)
    back = QA(replace(built, embedding_model="default"))
    back.embedder  # loaded for the custom index it finds ...
    assert back.index.build(log=lambda line: None, progress=False).chunks_embedded == 0  # same vectors again
    assert read_manifest(built.index_dir)["settings"]["embedding_model"] == "packaged:all-MiniLM-L6-v2"
    assert back.embedder.model_id == "packaged:all-MiniLM-L6-v2"  # ... and swapped with the index
    assert back.retrieve("Where will the summit be held?")  # queries and vectors in one space


def test_changed_chunk_size_triggers_full_rebuild(built, embedder, make_settings, counting_embedder):
    old = FolderStore.load(built.index_dir)
    smaller = make_settings(chunk_tokens=32, chunk_overlap=6)
    counting = counting_embedder()
    report, logs = build(smaller, counting)

    assert report.plan.full_reason and "chunk_tokens" in report.plan.full_reason
    assert "64" in report.plan.full_reason and "32" in report.plan.full_reason
    assert any("rebuilding the whole index" in line for line in logs)
    store = FolderStore.load(built.index_dir)
    assert report.chunks_embedded == len(store.chunks) == sum(counting.calls)
    assert len(store.chunks) > len(old.chunks)
    assert store.manifest["settings"]["chunk_tokens"] == 32
    assert sorted(store.manifest["articles"]) == ALL
    assert max(len(c.text.split()) for c in store.chunks.values()) < max(len(c.text.split())
                                                                        for c in old.chunks.values())
    report, _ = build(smaller, embedder)
    assert report.plan.is_noop


def test_chunks_longer_than_the_model_reads_are_refused(make_settings, embedder, write_articles):
    settings = make_settings(chunk_tokens=1000, chunk_overlap=10)
    write_articles(settings.seeds_dir)
    with pytest.raises(RagError) as info:
        build(settings, embedder)
    assert str(info.value) == ("RAG_CHUNK_TOKENS=1000 is more than the embedding model reads beside a title "
                               "(256 - 64 = 192 tokens); set it to 192 or less")
    assert read_manifest(settings.index_dir) is None  # nothing was written
    report, _ = build(make_settings(chunk_tokens=192, chunk_overlap=10), embedder)
    assert report.articles == 4


# --- damaged index -------------------------------------------------------------------------------------------

def test_corrupt_manifest_is_reported_and_full_build_recovers(built, embedder):
    (built.index_dir / "manifest.json").write_text('{"format_version": 1, "articles": {', encoding="utf-8")
    with pytest.raises(IndexFormatError) as info:
        FolderStore.load(built.index_dir)
    assert "manifest.json" in str(info.value) and "rag build --full" in str(info.value)
    with pytest.raises(IndexFormatError, match="rag build --full"):
        build(built, embedder)

    report, _ = build(built, embedder, full=True)
    assert report.plan.full_reason and report.chunks_embedded == report.chunks > 0
    store = FolderStore.load(built.index_dir)
    assert top(store, embedder, QUERIES[1], 1)[0][0] == "football.txt"


@pytest.mark.parametrize("damage", [lambda m: m.pop("articles"), lambda m: m.pop("next_chunk_id"),
                                    lambda m: next(iter(m["articles"].values())).pop("chunk_ids"),
                                    lambda m: m["settings"].pop("embedding_model")],
                         ids=["articles", "next_chunk_id", "chunk_ids", "embedding_model"])
def test_a_manifest_missing_what_it_should_hold_is_reported(built, damage):
    path = built.index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    damage(manifest)
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="lacks the articles, settings or chunk ids.*rag build --full"):
        FolderStore.load(built.index_dir)


def test_wrong_format_version_is_reported(built):
    path = built.index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 999
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="rag build --full"):
        FolderStore.load(built.index_dir)


@pytest.mark.parametrize("kind", ["vectors", "chunks"])
def test_truncated_index_file_is_reported_and_full_build_recovers(built, embedder, kind):
    name = read_manifest(built.index_dir)["files"][kind]
    path = built.index_dir / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 3])
    with pytest.raises(IndexFormatError) as info:
        FolderStore.load(built.index_dir)
    assert name in str(info.value) and "rag build --full" in str(info.value)

    report, _ = build(built, embedder, full=True)
    assert report.chunks == report.chunks_embedded > 0
    store = FolderStore.load(built.index_dir)
    assert sorted(store.manifest["articles"]) == ALL
    assert top(store, embedder, QUERIES[2], 1)[0][0] == "central_bank.txt"


def test_missing_lexical_index_is_reported(built):
    name = read_manifest(built.index_dir)["files"]["lexical"]
    shutil.rmtree(built.index_dir / name)
    with pytest.raises(IndexFormatError) as info:
        FolderStore.load(built.index_dir)
    assert name in str(info.value) and "rag build --full" in str(info.value)


def test_a_build_reports_its_progress_to_a_page_group_by_group(make_settings, embedder, write_articles,
                                                               monkeypatch):
    settings = make_settings()
    write_articles(settings.seeds_dir, ["budapest.txt", "football.txt", "central_bank.txt"])
    monkeypatch.setattr(rag.index.indexing, "GROUP_CHUNKS", 1)  # one article a group
    heard: list[tuple[int, int]] = []
    report = build_index(settings, embedder=embedder, log=lambda _: None, progress=False,
                         on_progress=lambda done, total: heard.append((done, total)))
    total = report.chunks_embedded
    assert heard[0] == (0, total) and heard[-1] == (total, total) and len(heard) == 4
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)
    heard.clear()
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False,
                on_progress=lambda done, total: heard.append((done, total)))
    assert heard == []  # nothing to embed: nothing to report


def test_a_saved_generation_fsyncs_the_lexical_folder_as_well_as_its_files(make_settings, write_articles,
                                                                            fake_embedder, monkeypatch):
    import rag.index.stores.folder as folder

    synced: list[Path] = []
    real = folder.fsync_dir
    monkeypatch.setattr(folder, "fsync_dir", lambda path: (synced.append(Path(path)), real(path))[1])
    settings = make_settings()
    write_articles(settings.seeds_dir)
    build(settings, fake_embedder)
    assert any(path.name.startswith("lexical-") for path in synced), synced  # its entries survive a power cut
    assert settings.index_dir in synced
