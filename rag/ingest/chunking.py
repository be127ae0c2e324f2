"""Sentence-aware chunking with token budgets and character offsets (pure logic)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.text.sentences import sentence_spans

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Chunk:
    """A window of whole sentences of one article: text == article.text[start:end]."""

    article_id: str
    ordinal: int
    start: int
    end: int
    text: str


def _split_long(text: str, start: int, end: int, count_tokens: TokenCounter, budget: int) -> list[tuple[int, int, int]]:
    """(start, end, tokens) pieces of one over-long sentence: its words, a word longer than the budget cut."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    pieces = []
    for (s, e), n in zip(words, count_tokens([text[s:e] for s, e in words])):
        pieces.extend(_cut_word(text, s, e, n, count_tokens, budget) if n > budget else [(s, e, n)])
    return pieces


def _cut_word(
    text: str, start: int, end: int, tokens: int, count_tokens: TokenCounter, budget: int
) -> list[tuple[int, int, int]]:
    """Runs of characters, each within the budget, of a word longer than it (CJK, a long URL or table row)."""
    runs = []
    size = max(1, (end - start) * budget // tokens)  # characters of about budget tokens
    while start < end:
        stop = min(start + size, end)
        [n] = count_tokens([text[start:stop]])
        while n > budget and stop - start > 1:
            stop = start + max(1, (stop - start) * budget // n)
            [n] = count_tokens([text[start:stop]])
        runs.append((start, stop, n))
        start = stop
    return runs


def chunk_text(
    article_id: str, text: str, count_tokens: TokenCounter, max_tokens: int = 128, overlap: int = 24
) -> list[Chunk]:
    """Windows of consecutive sentences of at most max_tokens, overlapping by about overlap tokens."""
    if overlap >= max_tokens:
        raise ValueError(f"chunk overlap ({overlap}) must be smaller than the chunk size ({max_tokens})")
    spans = sentence_spans(text)
    if not spans:
        return []
    counts = count_tokens([text[s:e] for s, e in spans])
    units: list[tuple[int, int, int]] = []
    for (start, end), n in zip(spans, counts):
        units.extend(_split_long(text, start, end, count_tokens, max_tokens) if n > max_tokens else [(start, end, n)])
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= max_tokens):
            total += units[j][2]
            j += 1
        start, end = units[i][0], units[j - 1][1]
        chunks.append(Chunk(article_id, len(chunks), start, end, text[start:end]))
        if j >= len(units):
            break
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][2] <= overlap:
            back -= 1
            carried += units[back][2]
        i = back
    return chunks


TITLE_TOKENS = 64  # what the title and the model's special tokens may take beside a chunk in embedding_text


def embedding_text(title: str, chunk_text_: str) -> str:
    """What the embedder sees: the article title, then the passage."""
    return f"{title}\n{chunk_text_}" if title else chunk_text_
