"""Follow-up questions: detect a question that leans on earlier turns and make it standalone (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from rag.markers import MARKER, is_abstention

_REFERRING = re.compile(
    r"\b(he|she|him|her|hers|it|they|them|theirs|there|those|these)\b|"
    r"\b(that|this|then)\s*[?.!]*$",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"\b(his|its|their)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<=\w )[A-Z][\w'-]*")  # a capitalised word that does not open the question
_CONTINUING = re.compile(r"^\s*(and|also|but|what about|how about|who said|when was that)\b", re.IGNORECASE)
_CITATION = re.compile(r"\s*" + MARKER.pattern, MARKER.flags)
SHORT_WORDS = 4  # questions this short are follow-ups whenever there is an earlier turn


def message_text(content: Any) -> str:
    """Message content as text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text") or "")
    if isinstance(content, Sequence):
        return " ".join(message_text(part) for part in content)
    return ""


def last_turn(history: Sequence[Mapping[str, Any]] | None) -> tuple[str, str] | None:
    """The latest user question and the answer text that followed it, from chat messages
    ({"role": "user" | "assistant", "content": ...}); source lists and other titled messages are skipped."""
    question, answer = "", ""
    for message in history or []:
        if (message.get("metadata") or {}).get("title"):
            continue
        text = message_text(message.get("content")).strip()
        if message.get("role") == "user" and text:
            question, answer = text, ""
        elif message.get("role") == "assistant" and question and not answer:
            answer = text
    return (question, answer) if question else None


def is_follow_up(question: str) -> bool:
    """True when the question points back at something said before ("Who said that?", "What about him?").

    "his / its / their" point back only when the question names no one before them: in "Why did the
    European Central Bank raise its rate?" "its" is the bank."""
    possessive = _POSSESSIVE.search(question)
    return (
        bool(_REFERRING.search(question) or _CONTINUING.search(question))
        or bool(possessive and not _NAME.search(question[: possessive.start()]))
        or len(re.findall(r"\w+", question)) <= SHORT_WORDS
    )


def standalone_question(question: str, history: Sequence[Mapping[str, Any]] | None) -> str | None:
    """The question with the earlier turn it depends on spelled out, or None when it stands on its own."""
    turn = last_turn(history)
    if turn is None or not is_follow_up(question):
        return None
    earlier, answer = turn
    answer = _CITATION.sub("", answer).strip()
    context = earlier if not answer or is_abstention(answer) else f"{earlier} {answer}"
    return f"{question.strip()} (about: {context[:400].strip()})"
