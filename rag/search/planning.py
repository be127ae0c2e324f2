"""The first two steps of an answer: plan (what to search for) and search (the passages for a plan).

plan_search reads a question, with its history and the caller's dates and sources, into a SearchPlan: a
follow-up made standalone, its time words read into filters, the reports it names. search_plan runs a plan
on a retriever and widens the dates when the question's time words leave nothing relevant."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TypedDict

from rag.errors import IndexNotFoundError, QuestionError
from rag.markers import MARKER, is_abstention
from rag.model import Ask, History, Hit, NamedInQuestion, SearchFilters, TimeWords
from rag.search.followup import last_turn, standalone_question
from rag.search.named import NamedReports, named_reports, source_mentions
from rag.search.retrieval import Filters, Mode, Retriever
from rag.search.several import SeveralReports, several_reports
from rag.search.timeframe import TimeFrame, names_dates, resolve_time
from rag.text.question import Question, read_question


class PlanFields(TypedDict):
    """What an Answer tells of its plan (SearchPlan.answer_fields)."""

    filters: SearchFilters
    standalone_question: str | None
    time_frame: TimeWords | None
    named_reports: NamedInQuestion | None


@dataclass(frozen=True)
class SearchPlan:
    """The one reading of a question that every later step reads: the searched (standalone) question's words
    (read), the filters, the follow-up's rewriting, how time words were read (frame), the reports it names,
    the reports it asks about together (several: None for one report or none), the question as asked
    (asked: None when it is the searched one) and, for a follow-up, the earlier answer it leans on."""

    read: Question
    filters: Filters
    rewritten: str | None = None
    frame: TimeFrame | None = None
    named: NamedReports = NamedReports()
    several: SeveralReports | None = None
    asked: Question | None = None
    earlier: str | None = None  # a follow-up: the earlier answer it leans on (None: none, or an abstention)

    @property
    def question(self) -> str:
        """The searched question: a follow-up made standalone, else the question as asked."""
        return self.read.text

    @property
    def user(self) -> Question:
        """The question as the user asked it (what the answer and its checks are judged against)."""
        return self.asked or self.read

    def answer_fields(self) -> PlanFields:
        """What an Answer tells of its plan: filters, standalone question, time frame, named reports."""
        limits, shown = self.filters, SearchFilters()
        if limits.since:
            shown["since"] = limits.since
        if limits.until:
            shown["until"] = limits.until
        if limits.sources:
            shown["sources"] = limits.sources
        return {
            "filters": shown,
            "standalone_question": self.rewritten,
            "time_frame": self.frame.to_dict() if self.frame and self.frame.applies else None,
            "named_reports": self.named.to_dict() if self.named.any else None,
        }


@dataclass(frozen=True)
class Retrieved:
    """What the search step found for an answer, from one index generation: the plan as searched (its dates
    widened when the asked range held nothing), every candidate (ranked), the top k shown as sources (hits),
    the passages the model reads, whole (passages), and the seconds from the question to here."""

    plan: SearchPlan
    ranked: list[Hit]
    hits: list[Hit]
    passages: list[Hit]
    retriever: Retriever
    seconds: float


def validate_question(question: str, max_chars: int) -> str:
    """The question without control characters; QuestionError when empty or too long."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question).strip()
    cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
    if not cleaned:
        raise QuestionError("the question is empty; type a question about the articles")
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"the question is {len(cleaned):,} characters; the limit is {max_chars:,} "
            "(shorten it, or raise RAG_MAX_QUESTION_CHARS)"
        )
    return cleaned


def check_k(k: int | None) -> None:
    """QuestionError unless k is None (the default) or a whole number of at least 1."""
    if k is not None and (not isinstance(k, int) or k < 1):
        raise QuestionError(f"k={k!r} passages: ask for at least 1 (or leave it out for the default)")


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def plan_search(ask: Ask, retriever: Callable[[], Retriever], news_aware: bool = True) -> SearchPlan:
    """What to search for: with news_aware, a follow-up made standalone, its time words read into filters
    (dates the caller gives win) and the reports it names (sources, dates) read for ranking. retriever gives
    the index's retriever when the plan needs its sources or dates (it may build the index first)."""
    question, history, reference_date = ask.question, ask.history, ask.reference_date
    since, until, sources = ask.since, ask.until, ask.sources
    for name, value in (("'since' date", since), ("'until' date", until), ("reference date", reference_date)):
        if value and not _is_iso_date(value):
            raise QuestionError(f"the {name} {value!r} is not a date; write it as YYYY-MM-DD")
    if since and until and since > until:
        raise QuestionError(f"the 'since' date {since} is after the 'until' date {until}; swap them")
    filters = Filters(since or None, until or None, tuple(sources))
    if sources:
        _check_sources(sources, retriever().sources)
    if not news_aware:
        return SearchPlan(read_question(question), filters)
    rewritten = standalone_question(question, history)
    reference = _reference(reference_date, retriever)
    known = _sources(retriever)
    mentions = source_mentions(question, known)
    named = _named(question, history if rewritten else None, known, mentions)
    # "since October 6, 2025" bounds the search, unless it bounds one named report ("the Wired report after")
    frame = resolve_time(question, *reference, cap_at_reference=bool(reference_date), date_bounds=not named.sources)
    turn = last_turn(history)
    if rewritten and turn and not frame.phrase and not names_dates(question):
        # a follow-up without time words of its own keeps those of the question it follows
        earlier = resolve_time(
            turn[0], *reference, cap_at_reference=bool(reference_date), date_bounds=not named.sources
        )
        frame = earlier if earlier.phrase else frame
    if (frame.since and not since) or (frame.until and not until):
        filters = replace(filters, since=since or frame.since, until=until or frame.until, keep_undated=True)
    asked = read_question(question)
    if not rewritten:
        return SearchPlan(asked, filters, None, frame, named, several_reports(question, known, mentions))
    leaned_on = MARKER.sub("", turn[1]).strip() if turn and turn[1] and not is_abstention(turn[1]) else None
    return SearchPlan(
        read_question(rewritten), filters, rewritten, frame, named, several_reports(rewritten, known), asked, leaned_on
    )


def _sources(retriever: Callable[[], Retriever]) -> list[str]:
    """The sources the index holds ([] before there is an index: the search that follows says how to build it)."""
    try:
        return retriever().sources
    except IndexNotFoundError:
        return []


def _named(
    question: str, history: History | None, sources: list[str], mentions: list[tuple[int, int, str]]
) -> NamedReports:
    """The reports the question names (mentions: where it names the sources); a follow-up (given its history)
    naming none keeps those of the question it follows, never those of the answer, as with time words."""
    named = named_reports(question, sources, mentions)
    turn = last_turn(history) if history else None
    return named if named.any or not turn else named_reports(turn[0], sources)


def _check_sources(sources: Sequence[str], known: Sequence[str]) -> None:
    """QuestionError naming the sources the index holds when a source filter matches none of its articles."""
    unknown = [s for s in sources if s.lower() not in {k.lower() for k in known}]
    if unknown:
        held = (
            f"its sources are: {', '.join(known[:20])}{' ...' if len(known) > 20 else ''}"
            if known
            else "its articles name no source"
        )
        raise QuestionError(f"no article in the index is from {', '.join(map(repr, unknown))}; {held}")


def _reference(reference_date: str | None, retriever: Callable[[], Retriever]) -> tuple[date, str]:
    """The date "today" means: the question's date, else the newest article's, else today."""
    if reference_date:
        return date.fromisoformat(reference_date), "the question's date"
    dates = [a["published"] for a in retriever().store.manifest["articles"].values() if a.get("published")]
    if dates:
        return date.fromisoformat(max(dates)), "the newest article's date"
    return date.today(), "today's date"


def search_plan(
    retriever: Retriever,
    plan: SearchPlan,
    k: int,
    mode: Mode = "hybrid",
    min_similarity: float = -1.0,
    news_aware: bool = True,
) -> tuple[list[Hit], SearchPlan]:
    """The passages for a plan, and the plan as searched: when the question's time words leave nothing
    relevant, every earlier date is searched instead and the plan says so (its frame is widened)."""
    frame = plan.frame
    recent = date.fromisoformat(frame.reference) if frame and frame.prefer_recent else None

    def run(filters: Filters) -> list[Hit]:
        return retriever.search(plan.question, k, mode, filters, min_similarity, recent, news_aware, plan.named)

    hits = run(plan.filters)
    if not hits and frame and frame.since and plan.filters.since == frame.since:
        plan = replace(plan, filters=replace(plan.filters, since=None), frame=replace(frame, widened=True))
        hits = run(plan.filters)
    return hits, plan
