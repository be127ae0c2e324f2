"""Offline question answering over news articles, with cited answers."""

from rag.config import Settings
from rag.errors import RagError
from rag.indexing import build_index

__all__ = ["Settings", "RagError", "build_index"]
