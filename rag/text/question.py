"""A question read once (pure): the claims it states, its words, its form (yes/no, closed) and the kind of
answer it asks for. The plan step reads the asked and the searched question into a Question; the later steps
(the check before the model, the sentence selection, the prompt, the reply checks, the verification and the
answerability gate) read that instead of the string."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag.text.claims import DEMONYMS, specifics, words
from rag.text.words import tokenize

Wants = Literal["name", "number", "date"] | None

_WH_WORD = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
_AUXILIARY = r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)"
_YES_NO = re.compile(  # "Did X ...?"; "After the report on 1 May, did X ...?" (no wh-word before the verb)
    rf"^\W*{_AUXILIARY}\b|^\W*(?:between|after|before|following|according|considering|given|since|while|in|on"
    rf"|from|based|as|by|during|with)\b(?:(?!{_WH_WORD.pattern})[^?])*?,\s*{_AUXILIARY}\b",
    re.IGNORECASE,
)
_EITHER_OR = re.compile(r"\b(?:or|between|whether)\b", re.IGNORECASE)
_WANTS_NAME = re.compile(
    r"^\s*(?:who|whom|whose)\b|\bwhich (?:person|man|woman|player|star|singer|actor|leader)", re.IGNORECASE
)
_WANTS_NUMBER = re.compile(
    r"\bhow (?:many|much|old|long|far|big|tall)\b|\bwhat (?:percentage|number|share)\b", re.IGNORECASE
)
_KIND = re.compile(  # "Which European country", "what Korean company": the adjective names the answer's kind
    r"\b(?i:which|what)\s+([A-Z][a-z]+)\s+(?:countr(?:y|ies)|nations?|states?|compan(?:y|ies)|firms?|teams?|clubs?|cit(?:y|ies)|towns?"
    r"|regions?|provinces?|islands?|parties|party|airlines?|banks?|carmakers?|networks?|newspapers?|universit(?:y|ies)"
    r"|groups?|capitals?|governments?|brands?|leaders?|players?|officials?)\b"
)
_ADJECTIVE = re.compile(r"(?:an|ese|ish|ic|i|ch)$")
_WANTS_DATE = re.compile(r"^\s*when\b|\b(?:what|which) (?:year|date|day|month)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    """What a question's words say, read once: its claims (names, amounts, quoted phrases: see specifics), its
    folded words, its content tokens, whether it is answered yes or no (yes_no) or only in its own words
    (closed: yes/no or either-or), and the kind of answer it asks for (wants)."""

    text: str
    claims: tuple[str, ...]
    words: frozenset[str]
    tokens: tuple[str, ...]
    yes_no: bool
    closed: bool
    wants: Wants
    descriptors: tuple[str, ...] = ()


def read_question(text: str) -> Question:
    """The one reading of a question's text."""
    yes_no = yes_no_question(text)
    return Question(
        text,
        tuple(specifics(text)),
        frozenset(words(text)),
        tuple(tokenize(text)),
        yes_no,
        yes_no or bool(_EITHER_OR.search(text)),
        _wants(text),
        descriptors(text),
    )


def descriptors(question: str) -> tuple[str, ...]:
    """The nationality or region adjectives the question puts before the kind of answer it asks for ("Which
    European country", "what Korean company"): they say what kind of thing is asked for, not what a passage
    must name."""
    return tuple(
        word
        for word in (match.group(1) for match in _KIND.finditer(question))
        if word.lower() in DEMONYMS or _ADJECTIVE.search(word.lower())
    )


def yes_no_question(question: str) -> bool:
    """True for a question answered yes or no: it opens with an auxiliary verb, or with a clause and then one
    ("According to Fortune, has ... changed?"), or it has no wh-word at all."""
    return bool(_YES_NO.match(question)) or not _WH_WORD.search(question)


def _wants(question: str) -> Wants:
    """The answer's kind: a name ("who", "which person"), a number ("how many"), a date ("when"), or None."""
    if _WANTS_NAME.search(question):
        return "name"
    if _WANTS_NUMBER.search(question):
        return "number"
    if _WANTS_DATE.search(question):
        return "date"
    return None
