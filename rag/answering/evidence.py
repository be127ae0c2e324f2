"""The evidence step's model reading: which of the passage sentences closest to the question answers it, or
none? The model names a sentence by its letter (A-J, one token each); its first-token probabilities are
renormalised over the letters and NONE and averaged over two orders of the sentences (closest first, and
reversed), which takes out the position bias of a small model. The pick's P(NONE) is a signal of the
answerability gate; the answer's own evidence sentence is found by code (rag.answering.verify).

Compared on the fitting halves of realtimeqa_dev 100 and its answer-removed variant
(`python studies/evidence_forms.py`): this form separated answerable from unanswerable questions best
(AUROC 0.889), the answer-first form picked the answering sentence most often (29 of 36)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from rag.answering.models import Messages
from rag.answering.selection import GAP, passage_sentences
from rag.model import Hit

LETTERS = "ABCDEFGHIJ"
CANDIDATES = len(LETTERS)
_NONE_TOKENS = ("NONE", "NON", "NO")  # first tokens of NONE / None / No, any case
_ASK = "Name the letter of the sentence that answers the question, or NONE."


@runtime_checkable
class ReadsTokenOdds(Protocol):
    """A model that gives the probabilities of its reply's first token (see LlamaCppGenerator.next_token)."""

    def next_token(self, messages: Messages, top: int = 20, reuse_prefix: bool = False) -> dict[str, float]: ...


@dataclass(frozen=True)
class LetterPick:
    """The sentence the model names ("" for none) and its probability of naming none."""

    sentence: str
    none: float


def sentences_of(passages: Sequence[Hit]) -> list[str]:
    """Every sentence of the passages as the model reads them (a gap between kept sentences splits them)."""
    return [
        part.strip()
        for hit in passages
        for sentence in passage_sentences(hit.text)
        for part in sentence.split(GAP.strip())
        if len(part.split()) >= 3
    ]


def candidates(question: str, passages: Sequence[Hit], embed: Callable[[list[str]], np.ndarray]) -> list[str]:
    """The passages' sentences most similar to the question, closest first (at most CANDIDATES)."""
    every = sentences_of(passages)
    if not every:
        return []
    vectors = embed([question, *every])
    similarity = vectors[1:] @ vectors[0]
    return [every[i] for i in sorted(range(len(every)), key=lambda i: -float(similarity[i]))[:CANDIDATES]]


def letter_messages(question: str, listed: Sequence[str]) -> Messages:
    lines = "\n".join(f"{LETTERS[i]}. {sentence}" for i, sentence in enumerate(listed))
    return [
        {"role": "system", "content": _ASK},
        {"role": "user", "content": f"{lines}\n\nQuestion: {question}\nLetter:"},
    ]


def letter_pick(model: ReadsTokenOdds, question: str, sentences: Sequence[str]) -> LetterPick:
    """The model's pick over the sentences in two orders (closest first and reversed), averaged."""
    if not sentences:
        return LetterPick("", 1.0)
    sentences = list(sentences)[:CANDIDATES]
    chance = [0.0] * len(sentences)
    none = 0.0
    forward = list(range(len(sentences)))
    for order in (forward, forward[::-1]):
        odds = model.next_token(letter_messages(question, [sentences[j] for j in order]))
        named = [odds.get(LETTERS[i], 0.0) for i in range(len(order))]
        no = sum(p for token, p in odds.items() if token.upper() in _NONE_TOKENS)
        total = sum(named) + no
        if not total:  # the model would name neither a letter nor NONE: no sentence is picked
            none += 0.5
            continue
        for i, j in enumerate(order):
            chance[j] += named[i] / total / 2
        none += no / total / 2
    best = max(forward, key=lambda j: chance[j])
    return LetterPick("" if none >= chance[best] else sentences[best], none)


def none_probability(
    model: object, question: str, passages: Sequence[Hit], embed: Callable[[list[str]], np.ndarray]
) -> float | None:
    """The model's P(NONE) over the passages' sentences closest to the question (see letter_pick), or None
    when the model gives no token probabilities."""
    if not isinstance(model, ReadsTokenOdds):
        return None
    return letter_pick(model, question, candidates(question, passages, embed)).none
