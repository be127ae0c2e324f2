"""Offline question answering over news articles, with cited answers."""

from rag.config import Settings
from rag.errors import RagError
from rag.indexing import build_index
from rag.qa import QA, Answer, Citation, answer

__all__ = ["QA", "Answer", "Citation", "Settings", "RagError", "answer", "build_index"]
