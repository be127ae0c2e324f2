"""A follow-up stays on the claim it leans on (pure): "Who said that?" after an answer is answered about that
answer's claim, so the evidence of the new answer must hold what the earlier answer named (its names, numbers,
places), not another sentence of the same article."""

from __future__ import annotations

from rag.answering.finishing import withhold
from rag.answering.verify import Window, windows
from rag.markers import MARKER
from rag.model import Answer, Hit
from rag.text.claims import Haystack, specifics
from rag.text.question import Question
from rag.text.sentences import sentence_spans

HELD_SHARE = 0.5  # of the earlier answer's claims (not the question's) the new evidence must hold


def earlier_claims(earlier: str, question: Question) -> list[str]:
    """What the earlier answer named that the follow-up does not name itself."""
    return [claim for claim in specifics(MARKER.sub(" ", earlier), opening_words=True) if claim not in question.claims]


def evidence_around(answer: Answer, passages: list[Hit]) -> Haystack:
    """The windows (rag.answering.verify) around the answer's evidence sentences in the passages it cites
    (numbered from 1, as shown)."""
    found: list[Window] = []
    for support in answer.support:
        passage = passages[support.citation - 1]
        spans = sentence_spans(passage.text) or [(0, len(passage.text))]
        at = next((i for i, (start, end) in enumerate(spans) if start <= support.start < end), 0)
        found.append(windows(passage)[min(at, len(spans) - 1)])
    return Haystack.union(window.words for window in found)


def stays_on_claim(answer: Answer, earlier: str | None, question: Question, passages: list[Hit]) -> Answer:
    """The answer, or an abstention when it leans on an earlier answer whose claims its evidence does not hold
    (at least HELD_SHARE of them): the follow-up was answered about something else."""
    if answer.abstained or not earlier or not answer.support:
        return answer
    claims = earlier_claims(earlier, question)
    if not claims:
        return answer
    held = evidence_around(answer, passages)
    missing = [claim for claim in claims if not held.has(claim)]
    if len(claims) - len(missing) >= HELD_SHARE * len(claims):
        return answer
    names = ", ".join(missing[:3])
    text = f"No passage close to the question ties it to the earlier answer: its evidence does not mention {names}."
    return withhold(answer, text, "not about the earlier answer")
