"""Questions about several reports at once (pure): "Did CNN and Reuters agree on the death toll?", "Between
the report from The Verge on 2023-11-24 and the report from Wired on 2023-11-25, was there consistency in
...?", "Which company do both The Verge and TechCrunch say is at the centre of the case?", "What did each
outlet say about the ceasefire?".

A question is about several reports when it names two or more (a source the index holds, each time it is
named, with the date named after it; or a date alone), or names outlets the index does not hold ("an
article from The New York Times"). What it asks of them decides the kind:

    verdict   a yes/no question across them ("Does ... while ...?", "Between A and B, was there ...?"); one
              that sets them in time ("Did A report X before B reported Y?", "After A ..., did B ...?") also
              asks for their order (`earlier`)
    order     which was published first ("Was the TechCrunch report published before The Verge's?")
    shared    a wh-question whose answer all of them name ("Which company, reported by A and B, ...?")
    each      what each of them says ("What did each outlet say about ...?")"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from rag.search.named import report_dates, source_mentions, source_of_date
from rag.search.retrieval import Filters
from rag.text.words import STOPWORDS

Kind = Literal["verdict", "order", "shared", "each"]

_YES_NO = re.compile(r"^(?:does|do|did|is|are|was|were|has|have|had|can|could|would|will|should)\b", re.IGNORECASE)
_LATE_YES_NO = re.compile(  # "Between the report from A and the report from B, was there ...?"
    r",\s*(?:is|are|was|were|did|does|do|has|have|had)\s+(?:there|the|both|they|it|this|each|either)\b",
    re.IGNORECASE,
)
_ORDER = re.compile(
    r"^(?:(?:was|were|did)\b.{0,160}?\b(?:published|released|came out|come out|appeared|appear)\s+"
    r"(?:before|after|earlier than|later than)\b"
    r"|(?:which|what)\s+(?:report|article|story|piece)s?\b.*\b(?:first|earlier|earliest|sooner|later|latest)\b)",
    re.IGNORECASE,
)
_EACH = re.compile(
    r"^(?:what|how)\s+(?:did|do|does|have|has)\b[^?]*\b(?:say|said|report|reported|write|wrote|describe|cover)\b"
    r"|\baccording to each\b",
    re.IGNORECASE,
)
_WH = re.compile(r"(?:^|,\s*)(?:which|who|whom|what)\b", re.IGNORECASE)
_DIFFERENCE = re.compile(  # a yes means the reports differ
    r"\b(?:inconsisten\w*|contradict\w*|disagree\w*|diverge\w*)"
    r"|\b(?:is|are|was|were)\s+there\s+(?:a\s+|any\s+)?(?:change|shift|difference|discrepancy)"
    r"|(?:^|,\s*)(?:did|does|do|has|have)\b[^,?]{0,80}?\b(?:change|shift|differ|vary|alter)\b",
    re.IGNORECASE,
)
# where one report's part of the question ends and the next one's begins
_CLAUSE_BREAK = re.compile(
    r",\s*(?:while|whereas|but|and|compared|as well as)\b|\b(?:while|whereas|compared (?:to|with)|in contrast to|"
    r"as opposed to)\b|\band (?=(?:did|does|do|was|is|has|were|are|the|a|an|then|again|later|subsequent)\b)|;",
    re.IGNORECASE,
)
_LEADING = re.compile(  # the words that open a clause, not its claim
    r"^(?:\W*(?:does|do|did|is|are|was|were|has|have|had|while|whereas|but|and|between|after|before|both|then|"
    r"compared (?:to|with))\b)+\W*",
    re.IGNORECASE,
)
_ARTICLE_WORDS = r"(?:article|report|piece|story|coverage|column|op-ed|editorial|feature|post)s?"
_OUTLET = r"(?:[Tt]he\s+)?[A-Z][\w&.'-]*(?:\s+(?:of\s+|&\s+)?[A-Z][\w&.'-]*)*"
_UNKNOWN_OUTLET = re.compile(  # "an article from The New York Times", "a piece by X", "the X article"
    rf"\b{_ARTICLE_WORDS}\s+(?:from|by|in|published by|published in)\s+['\"‘“]?(?P<after>{_OUTLET})"
    rf"|['\"‘“]?(?P<before>{_OUTLET})['\"’”]?(?:'s|’s)?\s+{_ARTICLE_WORDS}\b"
)
_TIME_WORD_BEFORE = re.compile(  # "... before" right before a report named: "before 'The Roar"
    r"\b(before|after|prior to|earlier than|later than)\s+(?:the\s+)?['\"‘“]?$", re.IGNORECASE
)
_LATER_WORDS = frozenset({"after", "later than", "following"})
_NOT_OUTLETS = frozenset({"a", "an", "the", "this", "that", "these", "those", "which", "what", "each", "both"})


@dataclass(frozen=True)
class ReportAsked:
    """One report the question names: its source as the index spells it ("" for an outlet the index does not
    hold, then `outlet` is how the question names it), its date (YYYY-MM-DD, or ""), and the words of the
    question that ask about it (its clause; the question's topic when its clause says nothing else)."""

    source: str
    date: str
    claim: str
    outlet: str = ""

    @property
    def known(self) -> bool:
        return bool(self.source or not self.outlet)

    def filters(self) -> Filters:
        """The search filters of its articles: its source and date."""
        return Filters(self.date or None, self.date or None, (self.source,) if self.source else ())


@dataclass(frozen=True)
class SeveralReports:
    """A question about several reports: what it asks of them (kind), the reports in the order named, and
    whether a yes means they differ ("Was there inconsistency ...?", "Did the narrative change?"), and the
    order in time the question sets them in, if any."""

    kind: Kind
    reports: tuple[ReportAsked, ...]
    asks_difference: bool = False
    earlier: tuple[int, int] | None = None  # (i, j): the question has report i published before report j

    @property
    def missing_outlets(self) -> list[str]:
        """Outlets the question names that the index holds no article of."""
        return list(dict.fromkeys(r.outlet for r in self.reports if not r.known))


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 2]


def _clauses(question: str) -> list[tuple[int, int]]:
    """The spans of the question's clauses, split where one report's part ends (see _CLAUSE_BREAK)."""
    cuts = [0] + [m.start() for m in _CLAUSE_BREAK.finditer(question)] + [len(question)]
    return [(a, b) for a, b in pairwise(cuts) if b > a]


def unknown_outlets(
    question: str, known_sources: Iterable[str], mentions: list[tuple[int, int, str]] | None = None
) -> list[tuple[int, int, str]]:
    """Where the question names, as the source of an article, an outlet the index does not hold:
    (start, end, name), e.g. "The New York Times" in "an article from The New York Times" (mentions: where it
    names the index's sources, when already read)."""
    known_sources = list(known_sources)
    known = [s.lower() for s in known_sources if s]
    mentions = source_mentions(question, known_sources) if mentions is None else mentions
    spans = [(s, e) for s, e, _ in mentions]
    found = []
    for match in _UNKNOWN_OUTLET.finditer(question):
        group = "after" if match.group("after") else "before"
        start = match.start(group)
        name = re.sub(r"(?:'s|’s)$", "", match.group(group).strip(" '\"‘’“”"))
        bare = re.sub(r"^[Tt]he\s+", "", name).lower()
        if (
            len(bare) < 3  # "AI article"
            or bare in _NOT_OUTLETS
            or start == 0  # a question's first word is capitalised anyway
            or (group == "before" and re.match(r"\s+(?:from|by)\b", question[match.end() :]))  # a title
            or any(a <= start < b or start <= a < start + len(name) for a, b in spans)  # part of a known source
            or any(re.search(rf"(?<!\w){re.escape(bare)}(?!\w)", k) for k in known)  # "The Independent"
        ):
            continue
        found.append((start, start + len(name), name))
    return found


def several_reports(
    question: str, known_sources: Iterable[str], mentions: list[tuple[int, int, str]] | None = None
) -> SeveralReports | None:
    """The reports a question asks about together and what it asks of them, or None for a question about
    one report (or none). mentions: where the question names the index's sources, when already read."""
    known_sources = list(known_sources)
    mentions = source_mentions(question, known_sources) if mentions is None else mentions
    # (start, end, source, date, outlet) of each report named, in order
    named = [(s, e, name, "", "") for s, e, name in mentions]
    named += [(s, e, "", "", name) for s, e, name in unknown_outlets(question, known_sources, mentions)]
    named.sort()
    spans = [(s, e) for s, e, *_ in named]
    for start, end, day in report_dates(question):
        spans.append((start, end))
        owner = source_of_date(start, [(s, e, str(i)) for i, (s, e, *_) in enumerate(named)])
        if owner is None:
            named.append((start, end, "", day, ""))
            continue
        s, e, source, had, outlet = named[int(owner)]
        if had:  # "TechCrunch on October 6 and October 7": a second report of the same source
            named.append((start, end, source, day, outlet))
        else:
            named[int(owner)] = (s, e, source, day, outlet)
    named.sort()
    if len(named) < 2:
        return None
    kind: Kind
    if _ORDER.search(question):
        kind = "order"
    elif _EACH.search(question):
        kind = "each"
    elif _YES_NO.search(question) or _LATE_YES_NO.search(question):
        kind = "verdict"
    elif _WH.search(question):
        kind = "shared"
    else:
        return None
    topic = _without(question, spans)
    reports = []
    for start, _, source, day, outlet in named:
        a, b = next(((a, b) for a, b in _clauses(question) if a <= start < b), (0, len(question)))
        claim = _without(question[a:b], [(s - a, e - a) for s, e in spans if a <= s < b])
        claim = _LEADING.sub("", claim)
        if len(content_words(claim)) < 3:
            claim = topic
        reports.append(ReportAsked(source, day, claim, outlet))
    earlier = in_time(question, [(s, e) for s, e, *_ in named]) if kind == "verdict" else None
    return SeveralReports(kind, tuple(reports), bool(_DIFFERENCE.search(question)), earlier)


def in_time(question: str, mentions: list[tuple[int, int]]) -> tuple[int, int] | None:
    """(i, j) when a yes/no question sets report i before report j: from a time word right before the second
    report named ("Did A report X before B mentioned Y?" (0, 1), "... A ... after B ..." (1, 0)), or from an
    opening clause that names only the first ("Before A reported X, did B ...?" (1, 0), "After A ..., did B
    ...?" (0, 1)). None when the question names them side by side ("After A ... and B ..., was there ...")."""
    (_, first_end), (second_start, _) = mentions[0], mentions[1]
    between = question[first_end:second_start]
    if re.search(r"\band\b", between, re.IGNORECASE):
        return None
    opening = re.match(r"\s*(before|after|prior to|following)\b", question[: mentions[0][0]], re.IGNORECASE)
    if opening:
        if not re.search(r",\s*(?:did|does|do|was|were|is|are|has|have|had)\b", between, re.IGNORECASE):
            return None
        return (0, 1) if opening.group(1).lower() in _LATER_WORDS else (1, 0)
    match = _TIME_WORD_BEFORE.search(between)
    if not match or re.search(r"\bbefore or after\b", between, re.IGNORECASE):
        return None
    return (1, 0) if match.group(1).lower() in _LATER_WORDS else (0, 1)


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the spans (the reports named, their dates) and the words that frame them ("the report
    from", "published on") taken out."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    text = re.sub(rf"\b(?:the|a|an)?\s*{_ARTICLE_WORDS}\s+(?:from|by|of|in)\b", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(?:published|reported|released)?\s*\b(?:on|of)\s*(?=[\s,.;?]*$|\s*,)", " ", text)
    text = re.sub(r"['\"‘’“”]", " ", text)
    return " ".join(text.split()).strip(" ,.?;")
