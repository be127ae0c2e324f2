"""`rag doctor`: read everything the answers depend on in full and say what is wrong, with the fix: the
answering model and the embedding model (each asked of the backend its setting names, in GENERATORS and
EMBEDDERS: the default model's file is read whole) and the index."""

from __future__ import annotations

from rag.answering.models import GENERATORS
from rag.config import Settings
from rag.errors import RagError
from rag.index.embedder_identity import check_same
from rag.index.embedding import EMBEDDERS, make_embedder
from rag.index.indexing import index_model
from rag.index.stores import load_store, read_manifest


def answering_model(settings: Settings) -> str | None:
    """What is wrong with the answering model (its file, read whole), or None."""
    try:
        return GENERATORS.of(settings.generator).check(settings)
    except RagError as exc:
        return str(exc)


def embedding_model(settings: Settings) -> str | None:
    """What is wrong with the embedding model the settings name, or None."""
    try:
        return EMBEDDERS.of(settings.embedding_model).check(settings.embedding_model, settings)
    except RagError as exc:
        return str(exc)


def index(settings: Settings) -> str | None:
    """What is wrong with the index: missing, unreadable, or made by another embedder than queries would use."""
    try:
        manifest = read_manifest(settings.index_dir)
        if manifest is None:
            return f"no index in {settings.index_dir} yet; build it with: rag build"
        load_store(settings.index_dir).close()
        embedder = make_embedder(settings, index_model(settings, manifest))
        check_same(manifest.get("embedder"), embedder, settings.index_dir)
    except RagError as exc:
        return str(exc)
    return None


CHECKS = {"answering model": answering_model, "embedding model": embedding_model, "index": index}


def diagnose(settings: Settings) -> dict[str, str | None]:
    """Each check's problem (None: fine), in order."""
    return {name: check(settings) for name, check in CHECKS.items()}
