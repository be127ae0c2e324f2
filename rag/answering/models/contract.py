"""What every answering model offers: a reply streamed piece by piece that returns its cost, and the marker
grammar that keeps a reply's [n] markers within the passages it read (pure)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Protocol

from rag.model import Usage

Messages = list[dict[str, str]]
StopCheck = Callable[[], bool]

ReplyStream = Generator[
    str, None, "Usage | None"
]  # a reply piece by piece; returns its cost when the runtime counts it


class AnsweringModel(Protocol):
    """Streams the reply to chat messages, piece by piece, and returns what it cost (ReplyStream).

    markers is the number of numbered passages in the messages: a reply may cite [1]..[markers] (0: no
    limit). llama.cpp enforces it while generating; other backends leave it to the citation parser, which
    drops and counts numbers that point nowhere."""

    name: str

    def stream(
        self, messages: Messages, max_tokens: int, should_stop: StopCheck = lambda: False, markers: int = 0
    ) -> ReplyStream: ...


def read_all(reply: ReplyStream) -> tuple[str, Usage | None]:
    """The whole text of a streamed reply and what it cost."""
    pieces = []
    while True:
        try:
            pieces.append(next(reply))
        except StopIteration as end:
            return "".join(pieces), end.value


def marker_grammar(passages: int) -> str:
    """A llama.cpp grammar (GBNF) for free text whose bracketed markers name only passages 1..passages, in the
    forms rag.answering.citations.MARKER reads ("[2]", "[1, 3]", "[passage 2]")."""
    numbers = " | ".join(f'"{n}"' for n in range(1, passages + 1))
    return "\n".join(
        (
            'root ::= ([^\\[] | "[" list "]")*',
            "list ::= sp label? number (sp [,;] sp label? number)* sp",
            'label ::= ("passage" | "Passage" | "source" | "Source") sp',
            f"number ::= {numbers}",
            "sp ::= [ ]*",
        )
    )
