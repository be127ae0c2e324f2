"""Locations by scheme: one registry finds the store and the answering model a location names (pure), and
`rag serve` finds the chat page through the entry point the project installs."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answering.models import GENERATORS, OpenAICompatibleGenerator, load_generator
from rag.config import Settings
from rag.errors import ModelNotFoundError, RagError
from rag.index.embedding import EMBEDDERS, SentenceTransformers
from rag.index.stores import STORES, lock_file, local_folder
from rag.index.stores.folder import FolderLocation
from rag.index.stores.milvus import MilvusLocation
from rag.locations import PATH, Registry, after_scheme, scheme


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("openai:http://127.0.0.1:8080/v1", "openai"),
        ("OpenAI:http://host/v1", "openai"),
        ("milvus:index/news.db", "milvus"),
        ("http://milvus:19530", "http"),
        ("https://milvus.example:443", "https"),
        ("index", PATH),
        ("C:/index", PATH),
        ("news.gguf", PATH),
        (Path("milvus:odd-folder"), PATH),  # a Path is always a path
    ],
)
def test_a_location_is_read_by_its_scheme(location, expected):
    assert scheme(location) == expected


def test_the_scheme_prefix_is_dropped_only_where_it_is_not_part_of_the_address():
    assert after_scheme("milvus:index/news.db") == "index/news.db"
    assert after_scheme("openai:http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"
    assert after_scheme("http://host:19530") == "http://host:19530"


def test_a_registry_names_what_it_takes_for_an_unknown_scheme():
    registry: Registry[str] = Registry("a thing", "write it as milvus:PATH.db")
    registry.add(("milvus",), "lite")
    assert registry.of("milvus:x.db") == "lite"
    with pytest.raises(RagError, match=r"'openai:http://x' is not a location of a thing: write it as milvus:PATH.db"):
        registry.of("openai:http://x")


def test_the_store_registry_finds_each_kind_of_index_location(tmp_path):
    assert isinstance(STORES.of(tmp_path / "index"), FolderLocation)
    assert isinstance(STORES.of("milvus:index/news.db"), MilvusLocation)
    assert isinstance(STORES.of("https://milvus.example:19530"), MilvusLocation)
    with pytest.raises(RagError, match="use a folder, milvus:PATH.db"):
        STORES.of("openai:http://127.0.0.1:8080/v1")
    assert lock_file(tmp_path / "index", tmp_path) == tmp_path / "index" / ".lock"
    assert lock_file("milvus:data/news.db", tmp_path) == Path("data/news.db.lock")
    assert lock_file("http://host:19530", tmp_path).parent == tmp_path / "locks"
    assert local_folder(tmp_path / "index") == tmp_path / "index" and local_folder("milvus:x.db") is None


def test_settings_keep_a_milvus_location_as_text_and_a_folder_as_a_path(tmp_path):
    assert Settings(index_dir="milvus:x.db").index_dir == "milvus:x.db"
    assert Settings(index_dir=str(tmp_path / "index")).index_dir == tmp_path / "index"


def test_the_answering_model_registry_finds_a_server_or_a_local_model(tmp_path):
    server = load_generator(Settings(generator="openai:http://127.0.0.1:9/v1", index_dir=tmp_path / "i"))
    assert isinstance(server, OpenAICompatibleGenerator) and server.base_url == "http://127.0.0.1:9/v1"
    with pytest.raises(ModelNotFoundError, match="unknown answering model 'nothing-here': use 'default', 'fast'"):
        load_generator(Settings(generator="nothing-here", index_dir=tmp_path / "i"))
    assert GENERATORS.of("openai:x") is not GENERATORS.of("default")


def test_the_embedder_registry_finds_the_packaged_model_or_a_folder_and_names_what_it_takes(tmp_path):
    assert isinstance(EMBEDDERS.of(""), SentenceTransformers) and EMBEDDERS.of(str(tmp_path)) is EMBEDDERS.of("")
    assert EMBEDDERS.of("").check(str(tmp_path / "nothing"), Settings()) == f"embedding model folder {tmp_path / 'nothing'} not found"
    with pytest.raises(ModelNotFoundError, match="is not a location of an embedding model: leave RAG_EMBEDDING_MODEL"):
        EMBEDDERS.of("milvus:x.db")


def test_a_new_scheme_is_one_add(tmp_path, scripted):
    model = scripted("x")
    assert model.location.startswith("scripted:") and scheme(model.location) == "scripted"
    assert load_generator(Settings(generator=model.location, index_dir=tmp_path / "i")) is model


def test_rag_serve_finds_the_chat_page_through_its_entry_point():
    from rag import cli
    from ui.app import serve

    assert cli.front_end("chat") is serve
    with pytest.raises(RagError, match=r"no front end 'kiosk' is installed; install the project with: pip install -e \."):
        cli.front_end("kiosk")
