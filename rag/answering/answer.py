"""The data model of an answer: Answer, its Citations and Timings, and why an answer abstains. The page, the
HTTP API, the CLI and the evaluation read answers only through these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

from rag.answering.generation import Usage
from rag.answering.prompting import readable_date
from rag.answering.reports import Report
from rag.answering.verify import Support
from rag.search.retrieval import Hit

ABSTAIN_REASONS = {
    "nothing retrieved": "no passage is close enough to the question",
    "not close enough": "no retrieved passage is close enough to the question to answer it",
    "not in the articles": "the question names something no retrieved passage mentions",
    "outside the time range": "nothing in the asked time range is about it",
    "declined": "the model found no answer in the passages",
    "nothing verified": "no sentence of the reply was found in the passages it cites",
    "report not in the index": "the question names a report the index does not hold, or none close to it",
    "unlikely answerable": "the answerability gate found the passages unlikely to answer the question",
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
    prompt_read_s: float | None = None  # all attempts
    decode_tokens_per_s: float | None = None
    attempts: int = 0  # model replies: 2 when a declined question was asked again

    def with_usage(self, usages: Sequence[Usage]) -> Timings:
        """These timings with the model's own counts of its replies."""
        if not usages:
            return self
        total = Usage.total(usages)
        rate = total.decode_tokens_per_s
        return replace(
            self,
            prompt_tokens=usages[0].prompt_tokens,
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
    filters: dict[str, object] = field(default_factory=dict)
    standalone_question: str | None = None  # a follow-up question rewritten with the turn it depends on
    time_frame: dict[str, object] | None = None  # how time words were read (TimeFrame.to_dict())
    named_reports: dict[str, object] | None = None  # sources and dates the question names (NamedReports.to_dict())
    relies_on: str = ""  # the dates and sources of the cited passages, e.g. "CNN, 21 October 2025 [1]"
    reports: list[Report] = field(default_factory=list)  # what each dated article on the story says, oldest first
    abstain_reason: str | None = None  # why it abstained: one of ABSTAIN_REASONS
    support: list[Support] = field(default_factory=list)  # each verified sentence's citation and passage span
    unsupported: list[str] = field(default_factory=list)  # sentences removed: not found in the sources
    reply: str = ""  # the model's reply before any check ("" when the model was not asked)
    answerable: float | None = None  # the answerability gate's probability (None when it did not judge)

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
