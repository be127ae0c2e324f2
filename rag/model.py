"""The data model every stage hands the next, at the bottom of the pipeline (it imports no stage):

Ask       the request: a question with its history, dates, sources and number of passages
Hit       one retrieved passage with its article's metadata and scores
Support   where a shown answer sentence is backed in a passage
Report    what one dated article says about the question
Usage     what one model reply cost
Citation, Timings, Answer   the answer the page, the HTTP API, the CLI and the evaluation read"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from typing import Any, NotRequired, TypedDict

History = Sequence[Mapping[str, Any]]  # earlier chat turns: {"role", "content"} messages


class SearchFilters(TypedDict):
    """The dates and sources an answer's search was limited to (only those set)."""

    since: NotRequired[str]
    until: NotRequired[str]
    sources: NotRequired[tuple[str, ...]]


class TimeWords(TypedDict):
    """How a question's time words were read (rag.search.timeframe.TimeFrame), with a line a user can read."""

    reference: str
    reference_from: str
    phrase: str
    since: str | None
    until: str | None
    prefer_recent: bool
    widened: bool
    description: str


class NamedInQuestion(TypedDict):
    """The sources, dates and (source, date) pairs a question names, with a line a user can read."""

    sources: list[str]
    dates: list[str]
    pairs: list[list[str]]
    description: str


@dataclass(frozen=True)
class Ask:
    """A question as asked: the earlier chat turns it may follow up (history), the day it was asked
    (reference_date, YYYY-MM-DD), the dates and sources the caller limits the search to, and how many
    passages to show (k; None for the default)."""

    question: str
    k: int | None = None
    since: str | None = None
    until: str | None = None
    sources: Sequence[str] = ()
    history: History | None = None
    reference_date: str | None = None

    @classmethod
    def of(cls, ask: Ask | str) -> Ask:
        """The request itself, or a bare question as a request with the defaults."""
        return cls(ask) if isinstance(ask, str) else ask


def readable_date(iso: str | None) -> str:
    """ "2025-10-21" -> "21 October 2025" (other text unchanged)."""
    try:
        day = date.fromisoformat(iso or "")
    except ValueError:
        return iso or ""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its article's metadata and scores."""

    chunk_id: int
    article_id: str
    title: str
    source: str
    published: str | None
    url: str
    text: str
    start: int
    end: int
    score: float  # fused score in [0, 1] before any recency boost (higher is better)
    similarity: float  # cosine similarity of question and passage
    also_reported_by: tuple[dict[str, str | None], ...] = ()  # near-duplicate copies (title, source, date, url)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Support:
    """Where a shown answer sentence is backed: its citation number and the character offsets of the supporting
    sentence in that citation's passage."""

    sentence: str
    citation: int
    start: int
    end: int


@dataclass(frozen=True)
class Reading:
    """A second reading of the evidence (rag.answering.second_reading): what it was for ("check": an answer
    kept only when it holds the short answer; "recover": a declined reply; "stated": whether the window says an
    answer sentence, rag.answering.statement_check), the window read, the model's short answer (for "stated":
    yes, no or neither), and how far the answer (or the other reading) holds it, from 0 to 1 (for "stated":
    P(yes); None: not compared)."""

    kind: str
    window: str
    reply: str
    agreement: float | None


@dataclass(frozen=True)
class Report:
    """What one article says about the question: its passage number, source, date and best sentence. For a
    question about several reports, also what the question asks of it (claim) and whether it says so
    (finding: "says so", "does not say so", or why the report is missing, then number is 0)."""

    number: int
    source: str
    published: str
    title: str
    sentence: str
    claim: str = ""
    finding: str = ""

    def describe(self) -> str:
        """One line, e.g. 'Vellmar Courier, 10 March 2026 [1]: "The bridge reopens at the end of March."'."""
        who = ", ".join(p for p in (self.source or self.title, readable_date(self.published)) if p)
        if not self.number:
            return f"{who}: {self.finding}"
        said = f'{who} [{self.number}]: "{self.sentence}"'
        return f"{said} ({self.finding})" if self.finding else said


@dataclass(frozen=True)
class Usage:
    """What one reply cost, as the model runtime counted it: prompt tokens (cached ones included: they were
    reused, not read), generated tokens, and the seconds spent reading the prompt and generating."""

    prompt_tokens: int
    cached_tokens: int
    generated_tokens: int
    prompt_s: float
    decode_s: float

    @property
    def decode_tokens_per_s(self) -> float | None:
        return self.generated_tokens / self.decode_s if self.decode_s > 0 and self.generated_tokens else None

    @classmethod
    def total(cls, usages: Sequence[Usage]) -> Usage:
        """The summed cost of several replies."""
        return cls(*(sum(getattr(u, f.name) for u in usages) for f in fields(cls)))


ABSTAIN_REASONS = {
    "nothing retrieved": "no passage is close enough to the question",
    "not close enough": "no retrieved passage is close enough to the question to answer it",
    "not in the articles": "the question names something no retrieved passage mentions",
    "outside the time range": "nothing in the asked time range is about it",
    "declined": "the model found no answer in the passages",
    "nothing verified": "no sentence of the reply was found in the passages it cites",
    "report not in the index": "the question names a report the index does not hold, or none close to it",
    "unlikely answerable": "the answerability gate found the passages unlikely to answer the question",
    "not about the earlier answer": "the follow-up's evidence does not hold what the earlier answer said",
    "readings disagree": "read again on its evidence alone, the question got a different answer, so this one is withheld",
    "not stated": "asked whether its evidence says what the answer says, the model found it does not",
}


@dataclass(frozen=True)
class Citation:
    """A source the answer cites: its number in the answer, the article and the quoted passage."""

    number: int
    title: str
    source: str
    published: str | None
    url: str
    passage: str
    score: float
    article_id: str
    chunk_id: int
    also_reported_by: tuple[dict[str, str | None], ...] = ()


def cite(number: int, hit: Hit) -> Citation:
    """The citation [number] of a passage."""
    return Citation(
        number,
        hit.title,
        hit.source,
        hit.published,
        hit.url,
        hit.text,
        hit.score,
        hit.article_id,
        hit.chunk_id,
        hit.also_reported_by,
    )


def relies_on(citations: list[Citation]) -> str:
    """The dates and sources the answer relies on, e.g. "CNN, 21 October 2025 [1]; BBC, undated [2]"."""
    return "; ".join(
        f"{', '.join(p for p in (c.source, readable_date(c.published) or 'undated') if p)} [{c.number}]"
        for c in citations
    )


@dataclass(frozen=True)
class Timings:
    """Seconds to the sources, the first token and the end; what the model read and wrote, as it counted
    (None when the model was not asked or its runtime does not say)."""

    retrieve_s: float = 0.0
    first_token_s: float | None = None
    total_s: float = 0.0
    prompt_tokens: int | None = None  # of the first attempt
    cached_tokens: int | None = None  # of those, reused from a state the runtime kept (not read)
    prompt_read_s: float | None = None  # all attempts
    decode_tokens_per_s: float | None = None
    attempts: int = 0  # model replies: 2 when a declined question was asked again
    reread_s: float | None = None  # the second reading (None when it did not run)

    def with_usage(self, usages: Sequence[Usage]) -> Timings:
        """These timings with the model's own counts of its replies."""
        if not usages:
            return self
        total = Usage.total(usages)
        rate = total.decode_tokens_per_s
        return replace(
            self,
            prompt_tokens=usages[0].prompt_tokens,
            cached_tokens=usages[0].cached_tokens,
            prompt_read_s=round(total.prompt_s, 3),
            decode_tokens_per_s=None if rate is None else round(rate, 2),
            attempts=len(usages),
        )


@dataclass(frozen=True)
class Answer:
    """An answer (partial while streaming: done is False) with its citations and retrieved passages."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    abstained: bool = False
    done: bool = True
    invalid_citations: int = 0
    uncited_sentences: list[str] = field(default_factory=list)
    timings: Timings = Timings()
    filters: SearchFilters = field(default_factory=lambda: SearchFilters())
    standalone_question: str | None = None  # a follow-up question rewritten with the turn it depends on
    time_frame: TimeWords | None = None  # how time words were read
    named_reports: NamedInQuestion | None = None  # sources and dates the question names
    relies_on: str = ""  # the dates and sources of the cited passages, e.g. "CNN, 21 October 2025 [1]"
    reports: list[Report] = field(default_factory=list)  # what each dated article on the story says, oldest first
    abstain_reason: str | None = None  # why it abstained: one of ABSTAIN_REASONS
    support: list[Support] = field(default_factory=list)  # each verified sentence's citation and passage span
    unsupported: list[str] = field(default_factory=list)  # sentences removed: not found in the sources
    reply: str = ""  # the model's reply before any check ("" when the model was not asked)
    answerable: float | None = None  # the answerability gate's probability (None when it did not judge)
    readings: list[Reading] = field(default_factory=list)  # the second readings of its evidence
    rereading: bool = False  # partial: the second reading is under way

    @property
    def across_reports(self) -> bool:
        """True for an answer to a question about several reports (its reports are what the question asks)."""
        return any(report.claim for report in self.reports)

    def evidence(self) -> list[tuple[Citation, str]]:
        """The passage sentences the shown answer rests on, each with its citation, in answer order, once each."""
        by_number = {c.number: c for c in self.citations}
        found: dict[tuple[int, int, int], tuple[Citation, str]] = {}
        for support in self.support:
            citation = by_number.get(support.citation)
            if citation and support.end > support.start:
                sentence = " ".join(citation.passage[support.start : support.end].split())
                found.setdefault((support.citation, support.start, support.end), (citation, sentence))
        return list(found.values())

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
