"""`rag doctor`: read everything the answers depend on in full and say what is wrong, with the fix: the
answering model file (its whole sha256), the embedding model package and the index."""

from __future__ import annotations

from pathlib import Path

from rag.answering.generation import (
    DEFAULT_GGUF,
    DEFAULT_GGUF_SHA256,
    DEFAULT_GGUF_SIZE,
    check_model_file,
    fast_model_path,
)
from rag.config import Settings
from rag.errors import RagError
from rag.index.embedding import packaged_model_path
from rag.index.stores import load_store, read_manifest
from rag.locations import scheme


def answering_model(settings: Settings) -> str | None:
    """What is wrong with the answering model's file, or None."""
    choice = settings.generator
    if scheme(choice) == "openai":
        return None  # a server: reached on the first answer
    if choice.lower() == "default":
        return check_model_file(settings.cache_dir / "models" / DEFAULT_GGUF, DEFAULT_GGUF_SIZE, DEFAULT_GGUF_SHA256)
    try:
        path = fast_model_path() if choice.lower() == "fast" else Path(choice).expanduser()
    except RagError as exc:
        return str(exc)
    return None if path.exists() else f"model {path} not found; check RAG_GENERATOR / --model"


def embedding_model(settings: Settings) -> str | None:
    if settings.embedding_model:
        folder = Path(settings.embedding_model).expanduser()
        return None if folder.is_dir() else f"embedding model folder {folder} not found"
    try:
        packaged_model_path()
    except RagError as exc:
        return str(exc)
    return None


def index(settings: Settings) -> str | None:
    try:
        if read_manifest(settings.index_dir) is None:
            return f"no index in {settings.index_dir} yet; build it with: rag build"
        load_store(settings.index_dir).close()
    except RagError as exc:
        return str(exc)
    return None


CHECKS = {"answering model": answering_model, "embedding model": embedding_model, "index": index}


def diagnose(settings: Settings) -> dict[str, str | None]:
    """Each check's problem (None: fine), in order."""
    return {name: check(settings) for name, check in CHECKS.items()}
