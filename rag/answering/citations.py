"""Parse [n] markers in an answer back to its numbered sources and check them (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.markers import MARKER
from rag.text.sentences import sentence_spans
from rag.text.words import tokenize

_MAX_RANGE = 20  # "[1-3]" is 1, 2 and 3; a wider span is read as its two ends
_LEADING_MARKERS = re.compile(r"^(?:\s*\[[^\]]*\]\s*[.,;]?)+")


@dataclass(frozen=True)
class CitationCheck:
    """The answer text with bad markers removed, the valid numbers cited, and what is wrong."""

    text: str
    cited: list[int]  # valid source numbers, in order of first appearance
    invalid: int  # markers that pointed to no source (removed from text)
    uncited_sentences: list[str]


def parse_citations(text: str, source_count: int) -> CitationCheck:
    """Keep markers 1..source_count, drop and count the others, flag sentences without a marker."""
    cited: list[int] = []
    invalid = 0

    def keep_valid(match: re.Match[str]) -> str:
        nonlocal invalid
        numbers = marker_numbers(match)
        valid = [n for n in numbers if 1 <= n <= source_count]
        invalid += len(numbers) - len(valid)
        for n in valid:
            if n not in cited:
                cited.append(n)
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))

    cleaned, previous = text, None
    while cleaned != previous:  # removing "[9]" from "[[9]5]" can expose a new marker
        previous, cleaned = cleaned, MARKER.sub(keep_valid, cleaned)
    cleaned = tidy(cleaned)
    return CitationCheck(cleaned, cited, invalid, [s for s in answer_sentences(cleaned) if not MARKER.search(s)])


def marker_numbers(marker: re.Match[str]) -> list[int]:
    """The passage numbers one MARKER match names ("[1, passage 3]" -> [1, 3]; "[2-4]" -> [2, 3, 4])."""
    numbers: list[int] = []
    for first, last in re.findall(r"(\d+)(?:\s*[-–]\s*(\d+))?", marker.group(1)):
        low, high = int(first), int(last or first)
        numbers += list(range(low, high + 1)) if low <= high <= low + _MAX_RANGE else [low, high]
    return numbers


def cite_sentence(sentence: str, number: int) -> str:
    """The sentence with its markers replaced by [number], placed before its closing punctuation."""
    body = tidy(MARKER.sub("", sentence))
    end_of_words = body[:-1] if body[-1:] in (".", "!", "?") else body  # one mark: "the U.S.." ends "U.S."
    return f"{end_of_words} [{number}]{body[len(end_of_words) :]}"


def tidy(text: str) -> str:
    """Text with the spaces a removed marker leaves behind closed up ("Budapest [9]." -> "Budapest.")."""
    return re.sub(r"[ \t]+([.,;])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()


def sentence_ranges(text: str) -> list[tuple[int, int]]:
    """(start, end) of each answer sentence; markers that open a piece ("Budapest. [1] Next...") end the one before."""
    ranges: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        lead = _LEADING_MARKERS.match(text[start:end])
        if ranges and lead:
            ranges[-1] = (ranges[-1][0], start + len(lead.group().rstrip()))
            start += len(lead.group())
        if start < end:
            ranges.append((start, end))
    return ranges


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer, each with its markers (see sentence_ranges)."""
    return [text[start:end] for start, end in sentence_ranges(text)]


def align_markers(text: str, passages: Sequence[str], min_overlap: float = 0.5) -> str:
    """Point each sentence at a passage it came from: a passage supports a sentence when it holds at least
    min_overlap of its words (passage text, or whatever else the caller describes it with: title, source, date).

    An uncited sentence gets [n] of its best-supporting passage; a cited sentence whose passages together do
    not support it, while another passage does, is re-pointed there (small models often cite [2] for words
    copied from [1]). Sentences no passage supports keep their markers, or stay uncited. Text between
    sentences (line breaks, list dashes) is kept."""
    passage_words = [set(tokenize(p)) for p in passages]
    pieces, done = [], 0
    for start, end in sentence_ranges(text):
        sentence = text[start:end]
        words = set(tokenize(MARKER.sub(" ", sentence)))
        if words and passage_words:
            cited = {n for match in MARKER.finditer(sentence) for n in marker_numbers(match)}
            cited_words = set().union(*(passage_words[n - 1] for n in cited if 1 <= n <= len(passage_words)))
            overlaps = [len(words & pw) / len(words) for pw in passage_words]
            best = max(range(len(overlaps)), key=overlaps.__getitem__)
            if len(words & cited_words) / len(words) < min_overlap <= overlaps[best]:
                sentence = cite_sentence(sentence, best + 1)
        pieces += [text[done:start], sentence]
        done = end
    return "".join(pieces) + text[done:]
