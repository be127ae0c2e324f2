"""Offline question answering over news articles, with cited answers."""

from rag.answering.qa import QA, answer
from rag.briefing.brief import brief
from rag.config import Settings
from rag.errors import RagError
from rag.index.fetched import add_urls, update_from_feeds
from rag.index.indexing import build_index
from rag.model import Answer, Ask, Citation

__all__ = [
    "QA",
    "Answer",
    "Ask",
    "Citation",
    "RagError",
    "Settings",
    "add_urls",
    "answer",
    "brief",
    "build_index",
    "update_from_feeds",
]
