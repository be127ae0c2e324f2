"""The last steps of an answer: verify the model's reply against the passages it read and finish it into an
Answer (finish_answer, pure), then, for news, tell what each dated report on the story says (with_reports)."""

from __future__ import annotations

from dataclasses import replace

from rag.answering.citations import align_markers, answer_sentences, parse_citations, tidy
from rag.answering.replying import declines
from rag.answering.reports import dated_reports
from rag.answering.verify import verify_answer
from rag.index.embedding import Embedder
from rag.markers import ABSTAIN, MARKER
from rag.model import Answer, Hit, Timings, cite, readable_date, relies_on
from rag.search.planning import SearchPlan
from rag.search.retrieval import Retriever


def finish_answer(
    reply: str,
    sources: list[Hit],
    hits: list[Hit],
    timings: Timings,
    plan: SearchPlan,
    verify: bool = True,
    shown: list[Hit] | None = None,
) -> Answer:
    """Turn the model's full reply to the plan's question (as asked: plan.user) into an Answer: abstention (see
    declines), citations re-pointed to the passages that hold their words, then (with verify) only the
    sentences found in the passages they cite; a reply of which no sentence is found there abstains (pure). `sources` are the passages as the model read
    them; a citation shows passage n of `shown` (default: sources), e.g. whole where the model read sentences."""
    question = plan.user
    base = Answer(question.text, ABSTAIN, hits=hits, abstained=True, timings=timings, **plan.answer_fields())
    if declines(reply, question):
        return replace(base, abstain_reason="declined")
    text, invalid = place_markers(reply, sources)
    verified = verify_answer(text, sources, question, shown) if verify else None
    if verified is not None:
        if not verified.claims and verified.unsupported:
            return replace(
                base, invalid_citations=invalid, abstain_reason="nothing verified", unsupported=verified.unsupported
            )
        text = verified.text
    check = parse_citations(text, len(sources))
    citations = [cite(n, (shown or sources)[n - 1]) for n in check.cited]
    return replace(
        base,
        text=check.text,
        citations=citations,
        abstained=False,
        invalid_citations=invalid,
        uncited_sentences=check.uncited_sentences,
        relies_on=relies_on(citations),
        support=verified.support if verified else [],
        unsupported=verified.unsupported if verified else [],
    )


def withhold(answer: Answer, text: str, reason: str) -> Answer:
    """The answer turned into an abstention (text, reason) after a later check: nothing cited or supported is
    shown, and its sentences are listed as removed."""
    removed = [tidy(MARKER.sub("", sentence)) for sentence in answer_sentences(answer.text)]
    return replace(
        answer,
        text=text,
        citations=[],
        abstained=True,
        abstain_reason=reason,
        relies_on="",
        support=[],
        unsupported=[*answer.unsupported, *removed],
    )


def place_markers(reply: str, sources: list[Hit]) -> tuple[str, int]:
    """The reply with markers to no passage removed (and how many), and each sentence pointed at the passage
    its words come from; a passage's header counts as its words ("TechCrunch reported on 15 December that ..."
    names passage 2)."""
    check = parse_citations(reply, len(sources))
    described = [" ".join((s.title, s.source, readable_date(s.published), s.text)) for s in sources]
    return align_markers(check.text, described), check.invalid


def with_reports(
    answer: Answer, searched: str, passages: list[Hit], retriever: Retriever, embedder: Embedder
) -> Answer:
    """The answer with what each dated article on its story says (unchanged when it abstained); a passage whose
    chunk a build removed meanwhile is left out of them."""
    if answer.abstained:
        return answer
    stored = retriever.store.vectors_of(hit.chunk_id for hit in passages)
    kept = [hit for hit in passages if hit.chunk_id in stored]
    return replace(answer, reports=dated_reports(searched, kept, [stored[hit.chunk_id] for hit in kept], embedder))
