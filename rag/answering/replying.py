"""The model's step: the passages it reads (prompt_sources), its streamed reply with one retry on a decline
(write_reply -> Reply), and whether a reply declines (declines)."""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

from rag.answering.citations import answer_sentences
from rag.answering.models import AnsweringModel, Messages, StopCheck
from rag.answering.prompting import build_messages, is_grounded, restates_question, select_sources
from rag.config import Settings
from rag.markers import MARKER
from rag.model import Hit, Usage
from rag.text.question import Question

_ABSTAIN_PATTERNS = re.compile(
    r"indexed articles do not say|passages do not (?:contain|say|mention|provide)", re.IGNORECASE
)


@dataclass(frozen=True)
class Reply:
    """The model's full reply, the passages as it read them (cut or whole), and what each attempt cost."""

    text: str
    read: list[Hit]
    usages: list[Usage] = field(default_factory=list)


def declines(reply: str, question: Question) -> bool:
    """True when the reply is no answer: it declines, is empty or only restates the question. A reply that
    answers in a cited sentence and says what the passages leave out ("Leaders met in Budapest [1]. The
    passages do not mention the date.") is an answer."""
    if restates_question(reply, question):
        return True
    return bool(_ABSTAIN_PATTERNS.search(reply)) and not any(
        MARKER.search(sentence) and not _ABSTAIN_PATTERNS.search(sentence) for sentence in answer_sentences(reply)
    )


def prompt_sources(ranked: Sequence[Hit], top: int, settings: Settings) -> list[Hit]:
    """The passages the model reads: the top hits within the prompt budget; with news_aware the best article
    also brings its next best retrieved chunks (the diverse ranking gave it one slot). Whole: the sentence
    selection (sentence_share) comes after the checks before the model."""
    more: list[Hit] = []
    if settings.news_aware and ranked:
        best = ranked[0].article_id
        already = sum(h.article_id == best for h in ranked[:top])
        more = [h for h in ranked[top:] if h.article_id == best][: max(0, settings.best_article_chunks - already)]
    return select_sources(ranked[:top], settings.prompt_tokens, more)


def write_reply(
    model: AnsweringModel,
    question: Question,
    searched: Question,
    whole: list[Hit],
    chosen: list[Hit],
    confident: bool,
    settings: Settings,
    should_stop: StopCheck,
) -> Generator[str, None, Reply]:
    """Stream the model's reply to the searched (standalone) question on the chosen passages (the whole ones
    cut to their sentences), yielding the text so far; return the Reply. A decline is asked once more on the
    whole passages when retrieval is confident (then without the option to decline) or when the passages were
    cut; the second reply is kept only when it is grounded."""
    fixed = settings.fixed_instructions
    usages: list[Usage] = []
    messages = build_messages(searched, chosen, fixed=fixed)
    reply = yield from _attempt(model, messages, len(chosen), settings.max_new_tokens, should_stop, usages)
    cut = any(c.text != w.text for c, w in zip(chosen, whole, strict=False))
    if not declines(reply, question) or not (confident or cut) or should_stop():
        return Reply(reply, chosen, usages)
    # Small models often decline when the answer is worded differently from the question, or when a cut
    # passage lost the sentence that carried it.
    messages = build_messages(searched, whole, decline=not confident, fixed=fixed)
    retry = yield from _attempt(model, messages, len(whole), settings.max_new_tokens, should_stop, usages)
    if not declines(retry, question) and is_grounded(retry, question, whole):
        return Reply(retry, whole, usages)
    return Reply(reply, chosen, usages)


def _attempt(
    model: AnsweringModel,
    messages: Messages,
    markers: int,
    max_tokens: int,
    should_stop: StopCheck,
    usages: list[Usage],
) -> Generator[str, None, str]:
    """One model reply, yielded as the text so far; its cost (when the runtime counts it) goes to usages."""
    reply = ""
    pieces = model.stream(messages, max_tokens, should_stop, markers=markers)
    while True:
        try:
            reply += next(pieces)
        except StopIteration as end:
            if end.value is not None:
                usages.append(end.value)
            return reply
        yield reply
