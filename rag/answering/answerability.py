"""The answerability gate: after the reply was checked, a small fitted logistic model over signals measured to
separate answerable questions from unanswerable ones decides whether the answer is shown (the model's own
decline still abstains). The weights ship in rag/answering/data/gate.json, fitted by
`python studies/fit_gate.py` on one half of the shared sets' questions and reported on the other."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from rag.errors import RagError
from rag.markers import MARKER
from rag.model import Answer, Hit
from rag.text.claims import NUMBER_WORDS, Haystack, amounts, specifics, words
from rag.text.question import Question
from rag.text.sentences import sentence_spans
from rag.text.words import STOPWORDS

WEIGHTS = Path(__file__).parent / "data" / "gate.json"
WINDOW = 2  # consecutive passage sentences read together for the question's words

_MONTHS = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b1[89]\d\d\b|\b20\d\d\b", re.IGNORECASE
)

SIGNALS = (
    "best_similarity",  # cosine similarity of the best passage
    "similarity_margin",  # the best passage's similarity above the mean of the next four
    "question_in_passages",  # most of the question's content words that one window of a passage holds
    "question_near_answer",  # share of the question's content words in the window of the answer's evidence
    "answer_kept",  # share of the reply's sentences the verification kept
    "answer_adds",  # share of the answer's content words that the question does not have
    "answer_type",  # 1 the answer has what the question asks for (a name, a number, a date), 0 not, 0.5 no type
    "evidence_none",  # the model's P(NONE) naming the sentence that answers (rag.answering.evidence)
    "reading_agreement",  # the second reading's agreement with the answer (rag.answering.second_reading)
)


@dataclass(frozen=True)
class Gate:
    """The fitted model: a weight per signal, the bias, and the probability under which the answer abstains."""

    weights: Mapping[str, float]
    bias: float
    threshold: float
    means: Mapping[str, float] = field(default_factory=dict)  # of the fitting half: stands in for a missing signal

    def probability(self, signals: Mapping[str, float]) -> float:
        """P(the question is answerable from the passages) for a question's signals (one the answering model
        cannot give, such as token probabilities from a server without them, counts at its fitted mean)."""
        z = self.bias + sum(self.weights[name] * signals.get(name, self.means.get(name, 0.0)) for name in SIGNALS)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, object]:
        return {
            "signals": list(SIGNALS),
            "weights": dict(self.weights),
            "bias": self.bias,
            "threshold": self.threshold,
            "means": dict(self.means),
        }


@cache
def load_gate(path: Path = WEIGHTS) -> Gate:
    """The shipped gate (a clear error when its file is missing or was fitted on other signals)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RagError(f"cannot read the answerability gate {path} ({exc}); reinstall, or refit it with "
                       "python studies/fit_gate.py") from exc  # fmt: skip
    if list(data.get("signals", [])) != list(SIGNALS):
        raise RagError(f"{path} was fitted on other signals; refit it with python studies/fit_gate.py")
    return Gate(dict(data["weights"]), float(data["bias"]), float(data["threshold"]), dict(data.get("means", {})))


def _content(text: str) -> list[str]:
    return [w for w in dict.fromkeys(words(text)) if w not in STOPWORDS]


def _windows(text: str) -> list[tuple[int, int]]:
    """(start, end) of every WINDOW consecutive sentences of a text."""
    spans = sentence_spans(text) or [(0, len(text))]
    return [(spans[i][0], spans[min(i + WINDOW, len(spans)) - 1][1]) for i in range(len(spans))]


def _share_held(wanted: Sequence[str], text: str) -> float:
    if not wanted:
        return 1.0
    haystack = Haystack([text])
    return sum(haystack.has_word(w) for w in wanted) / len(wanted)


def answer_type(question: Question, answer: str) -> float:
    """1 when the answer holds what the question asks for (a name not in the question for "who", a number for
    "how many", a date for "when"), 0 when it does not, 0.5 when the question asks for no such type."""
    answer = MARKER.sub(" ", answer)
    if question.wants == "name":
        asked = {w for claim in question.claims for w in words(claim)}
        return float(any(set(words(claim)) - asked for claim in specifics(answer, opening_words=True)))
    if question.wants == "number":
        return float(bool(amounts(answer)) or any(w in NUMBER_WORDS for w in words(answer)))
    if question.wants == "date":
        return float(bool(_MONTHS.search(answer)))
    return 0.5


def signals(
    question: Question, hits: Sequence[Hit], passages: Sequence[Hit], answer: Answer, evidence_none: float | None = None
) -> dict[str, float]:
    """The gate's signals for a checked answer (hits: the ranked top passages; passages: those the model read,
    whole; answer: the finished answer, its reply and the sentences verification removed; evidence_none: the
    model's P(NONE) for the answering sentence, None when the model gives no token probabilities). A signal
    that was not measured (no P(NONE), no second reading) is left out: the gate counts it at its fitted mean."""
    similarities = [hit.similarity for hit in hits] or [0.0]
    rest = similarities[1:5]
    asked = _content(question.text)
    shown = "" if answer.abstained else answer.text
    evidence = [  # the windows around each kept sentence's evidence sentence
        citation.passage[start:end]
        for support in answer.support
        for citation in answer.citations
        if citation.number == support.citation
        for start, end in _windows(citation.passage)
        if start <= support.start and support.end <= end
    ]
    added = [w for w in _content(MARKER.sub(" ", shown)) if w not in set(asked)]
    kept = len(answer.support)
    found = {
        "best_similarity": similarities[0],
        "similarity_margin": similarities[0] - (sum(rest) / len(rest) if rest else 0.0),
        "question_in_passages": max(
            (_share_held(asked, p.text[start:end]) for p in passages for start, end in _windows(p.text)), default=0.0
        ),
        "question_near_answer": max((_share_held(asked, window) for window in evidence), default=0.0),
        "answer_kept": kept / (kept + len(answer.unsupported)) if kept else 0.0,
        "answer_adds": min(1.0, len(added) / 5),
        "answer_type": answer_type(question, shown) if shown else 0.0,
    }
    if evidence_none is not None:
        found["evidence_none"] = evidence_none
    checks = [reading.agreement for reading in answer.readings if reading.kind == "check"]
    if checks and checks[-1] is not None:
        found["reading_agreement"] = checks[-1]
    return found


UNLIKELY = "No passage close to the question answers it."


def judge(
    question: Question,
    hits: Sequence[Hit],
    passages: Sequence[Hit],
    answer: Answer,
    gate: Gate,
    evidence_none: Callable[[], float | None] = lambda: None,
) -> Answer:
    """The gate's say over a checked answer: the answer with the gate's probability, or, below its threshold,
    an abstention that keeps the model's reply (an abstained answer is returned as it is, without asking the
    model for evidence_none)."""
    if answer.abstained:
        return answer
    chance = gate.probability(signals(question, hits, passages, answer, evidence_none()))
    if chance >= gate.threshold:
        return replace(answer, answerable=round(chance, 3))
    return replace(
        answer,
        text=UNLIKELY,
        citations=[],
        abstained=True,
        uncited_sentences=[],
        relies_on="",
        reports=[],
        support=[],
        abstain_reason="unlikely answerable",
        answerable=round(chance, 3),
    )
