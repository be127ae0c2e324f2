"""Embeddings from an OpenAI-compatible server (RAG_EMBEDDER=openai:URL), against a real server on loopback
serving the packaged all-MiniLM-L6-v2 (studies/serve_embeddings.py): the same vectors and index as in-process,
retries, clear errors, an index never queried or grown with another embedder's vectors, and a build that a
failing server cuts short going on where it stopped."""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import Settings
from rag.errors import EmbedderMismatchError
from rag.index import indexing, remote_embedding
from rag.index.indexing import build_index
from rag.index.remote_embedding import EmbedderError, OpenAIEmbedder
from rag.index.stores import read_manifest
from studies.serve_embeddings import EmbeddingServer
from tests.fakes import HashingEmbedder

TEXTS = [f"Story {n}: the harbour bridge in Vellmar reopened after {n} weeks of repairs." for n in range(11)]


@pytest.fixture
def server(embedder):
    running = EmbeddingServer(embedder)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(remote_embedding, "BACKOFF_SECONDS", 0.01)


def remote(make_settings, server: EmbeddingServer, name: str = "", **overrides) -> Settings:
    return make_settings(name, embedding_model=f"openai:{server.url}", embed_batch_size=4, **overrides)


def test_the_server_gives_the_in_process_vectors_in_batches_and_order(server, embedder):
    client = OpenAIEmbedder(server.url, "all-MiniLM-L6-v2", batch_size=4, in_flight=3)
    assert client.dim == 384 and client.model_id == f"openai:{server.url} (all-MiniLM-L6-v2)"
    server.requests = 0
    vectors = client.encode(TEXTS)
    assert server.requests == 3  # 11 texts in batches of 4, answered in reverse order and put back in order
    np.testing.assert_allclose(vectors, embedder.encode(TEXTS), atol=1e-5)
    assert client.count_tokens(TEXTS) == embedder.count_tokens(TEXTS)


def test_a_busy_server_is_asked_again(server, embedder):
    server.busy = True
    vectors = OpenAIEmbedder(server.url, batch_size=2).encode(TEXTS)
    np.testing.assert_allclose(vectors, embedder.encode(TEXTS), atol=1e-5)
    assert server.requests == 14  # the dimension probe and 6 batches, each refused once and asked again


def test_what_goes_wrong_is_one_line_naming_the_server_and_the_fix(server, embedder):
    keyed = EmbeddingServer(embedder, key="secret")
    try:
        with pytest.raises(EmbedderError, match=r"refused the request \(401.*set RAG_EMBEDDER_API_KEY"):
            OpenAIEmbedder(keyed.url)
        assert OpenAIEmbedder(keyed.url, api_key="secret").dim == 384
    finally:
        keyed.stop()
    with pytest.raises(EmbedderError, match=r"refused the request \(404.*ending in /v1"):
        OpenAIEmbedder(server.url.removesuffix("/v1"))
    server.fail_after = 0
    with pytest.raises(EmbedderError, match=rf"at {server.url} answered 500 .* 5 times; start it"):
        OpenAIEmbedder(server.url)
    server.stop()
    with pytest.raises(EmbedderError, match=rf"at {server.url} is not answering .*unset RAG_EMBEDDER"):
        OpenAIEmbedder(server.url)
    from rag.answering.doctor import embedding_model

    assert "is not answering" in (embedding_model(Settings(embedding_model=f"openai:{server.url}")) or "")


def test_an_answer_of_another_shape_is_named(server, monkeypatch):
    client = OpenAIEmbedder(server.url)
    monkeypatch.setattr(server.embedder, "encode", lambda texts: np.ones((len(texts), 8), dtype=np.float32))
    with pytest.raises(EmbedderError, match=r"sent \(1, 8\) vectors for 1 texts \(dimension 384 expected\)"):
        client.encode(["one"])


def test_rag_embedder_builds_the_index_the_in_process_model_builds(server, make_settings, embedder, write_articles,
                                                                  monkeypatch):  # fmt: skip
    local = make_settings("local")
    write_articles(local.seeds_dir)
    build_index(local, embedder=embedder, log=lambda _: None, progress=False)
    monkeypatch.setenv("RAG_EMBEDDER", f"openai:{server.url}")
    over_http = Settings.from_env(seeds_dir=local.seeds_dir, index_dir=local.index_dir.parent / "http",
                                  chunk_tokens=64, chunk_overlap=12)  # fmt: skip
    assert over_http.embedding_model == f"openai:{server.url}"
    build_index(over_http, log=lambda _: None, progress=False)
    ours, theirs = read_manifest(local.index_dir), read_manifest(over_http.index_dir)
    assert theirs["embedder"]["model"] == f"openai:{server.url}" and theirs["embedder"]["dim"] == 384
    assert {k: v["chunk_ids"] for k, v in ours["articles"].items()} == {
        k: v["chunk_ids"] for k, v in theirs["articles"].items()}  # the same chunks
    from rag.answering.qa import QA

    question = "When did the bridge reopen?"
    assert [h.chunk_id for h in QA(over_http).retrieve(question)] == [
        h.chunk_id for h in QA(local, embedder=embedder).retrieve(question)]  # queries go to the server too
    server.embedder.encode(["warm"])
    asked = server.requests
    QA(over_http).retrieve(question)
    assert server.requests > asked


def test_an_index_is_never_queried_or_grown_with_another_embedders_vectors(server, make_settings, embedder,
                                                                           write_articles, monkeypatch):  # fmt: skip
    settings = remote(make_settings, server)
    write_articles(settings.seeds_dir, ["budapest.txt"])
    build_index(settings, log=lambda _: None, progress=False)
    monkeypatch.setattr(server, "embedder", HashingEmbedder())  # the server now serves another model, same size
    from rag.answering.doctor import index as doctor_index
    from rag.answering.qa import QA

    with pytest.raises(EmbedderMismatchError, match=r"holds vectors of openai:.* gives other vectors .* rag build --full"):
        QA(settings).retrieve("Where will the summit be?")
    write_articles(settings.seeds_dir)  # more articles: an incremental build would mix the two
    with pytest.raises(EmbedderMismatchError, match="must never be mixed"):
        build_index(settings, log=lambda _: None, progress=False)
    assert "gives other vectors" in (doctor_index(settings) or "")
    assert build_index(settings, full=True, log=lambda _: None, progress=False).chunks_embedded > 0
    assert QA(settings).retrieve("Where will the summit be?")  # rebuilt by the new embedder, queried by it


def test_the_same_vectors_from_a_new_address_embed_nothing_again(server, make_settings, embedder, write_articles):
    local = make_settings(embedding_model="")
    write_articles(local.seeds_dir)
    build_index(local, embedder=embedder, log=lambda _: None, progress=False)
    logged: list[str] = []
    report = build_index(remote(make_settings, server), log=logged.append, progress=False)
    assert report.chunks_embedded == 0 and "gives the index's vectors: nothing to embed again" in "\n".join(logged)
    assert read_manifest(local.index_dir)["settings"]["embedding_model"] == f"openai:{server.url}"


def test_a_build_cut_short_by_the_server_goes_on_where_it_stopped(server, make_settings, write_articles,
                                                                  monkeypatch):  # fmt: skip
    monkeypatch.setattr(indexing, "GROUP_CHUNKS", 4)  # small groups, a save after each
    monkeypatch.setattr(indexing, "CHECKPOINT_SECONDS", 0.0)
    settings = remote(make_settings, server)
    write_articles(settings.seeds_dir)
    server.fail_after = 3  # the probe and two batches, then the server breaks
    with pytest.raises(EmbedderError, match="answered 500"):
        build_index(settings, log=lambda _: None, progress=False)
    saved = read_manifest(settings.index_dir)
    kept = sum(len(entry["chunk_ids"]) for entry in saved["articles"].values())
    assert saved["articles"] and kept > 0
    server.fail_after, server.texts = None, 0
    report = build_index(settings, log=lambda _: None, progress=False)
    total = sum(len(entry["chunk_ids"]) for entry in read_manifest(settings.index_dir)["articles"].values())
    assert report.chunks_embedded == total - kept  # nothing embedded twice
    assert server.texts == total - kept + 2  # the chunks left, the dimension asked and the index's probe compared


def test_a_model_with_other_vectors_named_for_the_build_embeds_everything_again(make_settings, embedder,
                                                                                write_articles, fake_embedder):  # fmt: skip
    local = make_settings()
    write_articles(local.seeds_dir)
    build_index(local, embedder=embedder, log=lambda _: None, progress=False)
    other = make_settings(embedding_model=fake_embedder.location)
    report = build_index(other, log=lambda _: None, progress=False)
    assert report.plan.full_reason and report.chunks_embedded == report.chunks  # never two embedders in one index
    assert read_manifest(local.index_dir)["embedder"]["model"] == fake_embedder.model_id
