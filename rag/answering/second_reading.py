"""The second reading (pure but for the model it is given): the question asked again on a short window of the
evidence in a short-answer form, and the short answer compared with the answer by the claims module. An answer
is kept only when the readings agree; a declined answer is recovered only when two readings of different
windows agree on one short answer that the verification then keeps.

    check_answer      a verified answer              -> the answer with its reading, or withheld
    recover_answer    a declined or unverified reply -> an answer both readings give, or None
    agreement         short answer, answer, question -> share of the short answer's own words the answer holds"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from rag.answering.finishing import finish_answer, withhold
from rag.answering.models import AnsweringModel, Messages, read_all
from rag.markers import ABSTAIN, MARKER
from rag.model import Answer, Hit, Reading, Timings
from rag.search.planning import SearchPlan
from rag.text.claims import NUMBER_WORDS, Amount, Haystack, amounts, words
from rag.text.question import Question
from rag.text.sentences import sentence_spans
from rag.text.words import STOPWORDS

WINDOW = 3  # sentences a reading reads
SHORT_TOKENS = 24  # the short answer's length cap
SHORT_SYSTEM = (
    "Answer the question from the text only, in a few words. If the text does not answer it, reply: not stated."
)
_NOT_STATED = re.compile(
    r"^\W*(?:not stated|not mentioned|unknown|none|n/?a)\W*$|\bnot stated\b|\b(?:does|do|did) not (?:say|state|mention)\b",
    re.IGNORECASE,
)
_YES_NO = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)
Embed = Callable[[list[str]], np.ndarray]


def short_messages(question: str, window: str) -> Messages:
    """The short-answer form: the window, the question, "Short answer:"."""
    return [
        {"role": "system", "content": SHORT_SYSTEM},
        {"role": "user", "content": f"Text: {window}\n\nQuestion: {question}\nShort answer:"},
    ]


def says_not_stated(short: str) -> bool:
    """True for a short answer that finds no answer in its window (or is empty)."""
    return not short.strip() or bool(_NOT_STATED.search(short))


def read_again(model: AnsweringModel, question: str, window: str, kind: str) -> Reading:
    """The model's short answer to the question on the window (greedy, SHORT_TOKENS at most)."""
    text, _ = read_all(model.stream(short_messages(question, window), SHORT_TOKENS))
    short = " ".join(MARKER.sub(" ", text).split()).strip()
    return Reading(kind, window, short, None)


def text_sentences(text: str) -> list[str]:
    """The sentences of a text of three words or more, whitespace closed up (what a window is made of)."""
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text) if len(text[s:e].split()) >= 3]


def closest(text: str, sentences: Sequence[str], embed: Embed, count: int = WINDOW) -> str:
    """The count sentences most similar to text, in their own order, joined."""
    if len(sentences) <= count:
        return " ".join(sentences)
    vectors = embed([text, *sentences])
    order = np.argsort(-(vectors[1:] @ vectors[0]))[:count]
    return " ".join(sentences[i] for i in sorted(order))


def evidence_window(answer_text: str, cited: Sequence[str], embed: Embed) -> str:
    """The WINDOW sentences of the cited passages (as shown) closest to the answer."""
    every = list(dict.fromkeys(sentence for text in cited for sentence in text_sentences(text)))
    return closest(MARKER.sub(" ", answer_text), every, embed)


def question_windows(question: str, passages: Sequence[Hit], embed: Embed, count: int = 2) -> list[tuple[int, str]]:
    """For the count best passages of different articles: (its number from 1, the WINDOW sentences closest to
    the question)."""
    chosen: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, hit in enumerate(passages, start=1):
        if hit.article_id in seen or len(chosen) == count:
            continue
        seen.add(hit.article_id)
        if sentences := text_sentences(hit.text):
            chosen.append((number, closest(question, sentences, embed)))
    return chosen


def own_words(text: str, question: Question) -> list[str]:
    """The folded content words of a text that the question does not use."""
    return [w for w in words(MARKER.sub(" ", text)) if w not in STOPWORDS and w not in question.words]


_SCALE_WORDS = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


def spelled_amounts(text: str) -> list[Amount]:
    """The numbers a text spells out in words ("two hundred" -> 200, "twenty five" -> 25)."""
    found: list[Amount] = []
    value, current, inside = 0, 0, False
    for word in [*words(text), ""]:
        if word in NUMBER_WORDS:
            current, inside = current + NUMBER_WORDS[word], True
        elif word in _SCALE_WORDS and inside:
            if word == "hundred":
                current *= 100
            else:
                value, current = value + current * _SCALE_WORDS[word], 0
        elif inside:
            found.append(Amount(float(value + current)))
            value, current, inside = 0, 0, False
    return found


def agreement(short: str, answer_text: str, question: Question) -> float:
    """How far the answer holds the short answer: for a yes/no question, 1 when both say the same yes or no;
    otherwise the share of the short answer's amounts (by value and unit, spelled out or not) and own words
    (not the question's) that the answer holds in any of their forms. A short answer of the question's words
    only agrees (1); one that finds nothing agrees with nothing (0)."""
    if says_not_stated(short):
        return 0.0
    if question.yes_no and (said := _YES_NO.match(short)):
        answered = _YES_NO.match(MARKER.sub(" ", answer_text))
        return float(answered is not None and answered.group(1).lower() == said.group(1).lower())
    held = Haystack([answer_text])
    numbers = [held.has_amount(amount) for amount in [*amounts(short), *spelled_amounts(short)]]
    named = [held.has_word(w) for w in own_words(short, question) if not _number_word(w)]
    found = numbers + named
    return sum(found) / len(found) if found else 1.0


def keeps(agreed: float) -> bool:
    """True when the answer stands after the reading: it holds the short answer (agreement above 0). A reading
    that finds no answer in the evidence (agreement 0) withholds it too (on squad2's fitting half that caught
    12 wrong answers for 3 answerable ones; keeping them was measured and dropped)."""
    return agreed > 0


def _number_word(word: str) -> bool:
    return word[0].isdigit() or word in NUMBER_WORDS or word in _SCALE_WORDS


def check_answer(model: AnsweringModel, question: Question, answer: Answer, embed: Embed) -> Answer:
    """The verified answer with its second reading when it keeps it (see keeps); otherwise withheld: an
    abstention ("readings disagree") whose removed sentences are the answer's. An answer that states nothing of
    its own ("Yes [1].") is left as it is."""
    if answer.abstained or not answer.support:
        return answer
    window = evidence_window(answer.text, [citation.passage for citation in answer.citations], embed)
    reading = read_again(model, question.text, window, "check")
    reading = replace(reading, agreement=agreement(reading.reply, answer.text, question))
    answer = replace(answer, readings=[*answer.readings, reading])
    return answer if keeps(reading.agreement or 0.0) else withhold(answer, ABSTAIN, "readings disagree")


def recover_answer(
    model: AnsweringModel, plan: SearchPlan, hits: list[Hit], embed: Embed
) -> tuple[Answer | None, list[Reading]]:
    """After a decline: the short answer on the windows of the two best articles among the hits (the sources
    shown); when both find one and each holds the other's own words, that short answer cited to the first
    window's passage and verified like any reply (None when they do not agree or the verification removes it),
    with the readings."""
    question = plan.read
    windows = question_windows(question.text, hits, embed)
    if len(windows) < 2:
        return None, []
    first, second = (read_again(model, question.text, window, "recover") for _, window in windows)
    there = not says_not_stated(first.reply) and not says_not_stated(second.reply)
    named = question.yes_no or bool(own_words(first.reply, question))
    agreed = (agreement(second.reply, first.reply, question), agreement(first.reply, second.reply, question))
    readings = [replace(first, agreement=agreed[0]), replace(second, agreement=agreed[1])]
    if not (there and named and min(agreed) > 0):
        return None, readings
    short = first.reply.rstrip(" .")
    text = f"{short[0].upper()}{short[1:]} [{windows[0][0]}]."
    final = finish_answer(text, hits, hits, Timings(), plan, True, hits)
    return (None if final.abstained else replace(final, reply=text, readings=readings)), readings
