"""The statement check, a reading for meaning of each kept sentence: the answering model is asked whether the
sentences of its cited passages closest to it state it (yes or no), and a sentence it gives a P(yes) under
STATED is removed, as the verification removes a sentence whose words it does not find. Words found in a
passage can still state a relation the passage does not (another quantity's figure, the runner-up as the
winner); this is the check that reads the relation.

The wording was chosen on the fitting half of the labelled sentences (`python studies/support_question.py
labels`): of three, "does the text say: ..." on the three closest sentences separated best (AUROC 0.765 among
the sentences the verification keeps; "is the claim stated" 0.746, "does the text support this answer" 0.588).
STATED was chosen end to end (`python studies/statement_threshold.py`): the most right answers shown less wrong
ones over the fitting halves of realtimeqa_dev 100, its answer-removed variant and squad2 160 (0.6, the
highest keeping 0.90 of the labelled supported sentences, withheld more right answers)."""

from __future__ import annotations

from dataclasses import replace

from rag.answering.citations import answer_sentences, marker_numbers, tidy
from rag.answering.evidence import ReadsTokenOdds
from rag.answering.finishing import withhold
from rag.answering.models import Messages
from rag.answering.second_reading import Embed, evidence_window
from rag.errors import RagError
from rag.markers import ABSTAIN, MARKER
from rag.model import Answer, Reading, relies_on

STATED = 0.4  # the P(yes) under which a sentence is removed (chosen end to end, see the module docstring)


def stated_messages(window: str, sentence: str) -> Messages:
    """The yes/no question: does the window say the sentence?"""
    return [
        {"role": "system", "content": "Answer yes or no from the text only."},
        {"role": "user", "content": f"Text: {window}\n\nDoes the text say: {sentence}\nAnswer yes or no:"},
    ]


def p_yes(odds: dict[str, float]) -> float | None:
    """P(yes) against P(no) among the first token's likeliest (None when the model would say neither)."""
    yes = sum(p for token, p in odds.items() if token.lower() == "yes")
    no = sum(p for token, p in odds.items() if token.lower() == "no")
    return yes / (yes + no) if yes + no else None


def plain(sentence: str) -> str:
    """A sentence without its markers, whitespace closed up."""
    return " ".join(MARKER.sub(" ", sentence).split())


def read_statement(model: ReadsTokenOdds, window: str, sentence: str) -> Reading:
    """The model's P(yes) that the window states the sentence, as a reading ("stated") whose reply is "yes",
    "no" (P(yes) under STATED) or "neither" (the model would say neither, or its server refused the question:
    the sentence is not judged)."""
    try:
        chance = p_yes(model.next_token(stated_messages(window, plain(sentence))))
    except RagError:  # a server that refuses token probabilities: the check cannot run, the answer goes on
        chance = None
    if chance is None:
        return Reading("stated", window, "neither", None)
    return Reading("stated", window, "yes" if chance >= STATED else "no", round(chance, 3))


def check_statements(model: object, answer: Answer, embed: Embed) -> Answer:
    """The answer without the sentences its evidence does not state (each read once; see read_statement), or
    withheld when none is left. Left as it is when the model gives no token probabilities or the answer has
    nothing verified to read."""
    if answer.abstained or not answer.support or not isinstance(model, ReadsTokenOdds):
        return answer
    passages = {citation.number: citation.passage for citation in answer.citations}
    kept: list[str] = []
    dropped: list[str] = []
    readings: list[Reading] = []
    for sentence in answer_sentences(answer.text):
        cited = [passages[n] for m in MARKER.finditer(sentence) for n in marker_numbers(m) if n in passages]
        if not cited or not plain(sentence):
            kept.append(sentence)
            continue
        reading = read_statement(model, evidence_window(sentence, list(dict.fromkeys(cited)), embed), sentence)
        readings.append(reading)
        (dropped if reading.reply == "no" else kept).append(sentence)
    answer = replace(answer, readings=[*answer.readings, *readings])
    if not dropped:
        return answer
    if not any(MARKER.search(sentence) for sentence in kept):
        return withhold(answer, ABSTAIN, "not stated")
    text = tidy(" ".join(sentence.strip() for sentence in kept))
    numbers = {n for m in MARKER.finditer(text) for n in marker_numbers(m)}
    citations = [citation for citation in answer.citations if citation.number in numbers]
    removed = {plain(sentence) for sentence in dropped}
    return replace(
        answer,
        text=text,
        citations=citations,
        relies_on=relies_on(citations),
        support=[support for support in answer.support if plain(support.sentence) not in removed],
        unsupported=[*answer.unsupported, *(tidy(MARKER.sub("", sentence)) for sentence in dropped)],
    )
