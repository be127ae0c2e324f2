"""Sentences of a text as character spans (pure): the one splitter of chunking, selection and the checks."""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "jr",
    "sr",
    "gen",
    "gov",
    "sen",
    "rep",
    "lt",
    "col",
    "sgt",
    "capt",
    "u.s",
    "u.k",
    "u.n",
    "no",
    "vs",
    "inc",
    "co",
    "corp",
    "ltd",
    "jan",
    "feb",
    "mar",
    "apr",
    "aug",
    "sept",
    "sep",
    "oct",
    "nov",
    "dec",
    "e.g",
    "i.e",
    "etc",
}
_SENTENCE_END = re.compile(
    r"[.!?…]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])"  # then a space and a capital
    r"|[。！？]+[」』”’）)]*|\n+"
)  # CJK stops need no space after them


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed; together they cover every non-space character."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        word = re.search(r"(\S+)$", text[pos : match.start()])
        name = word.group(1).lower().rstrip(".") if word else ""
        if match.group().startswith(".") and (name in _ABBREVIATIONS or (len(name) == 1 and name.isalpha())):
            continue  # "Dr. Smith", "John F. Kennedy", "Epic v. Google"
        spans.append((pos, match.end()))
        pos = match.end()
    spans.append((pos, len(text)))
    trimmed = []
    for start, end in spans:
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        tail = len(piece.rstrip())
        if tail > lead:
            trimmed.append((start + lead, start + tail))
    return trimmed
