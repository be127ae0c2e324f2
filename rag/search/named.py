"""Reports a question names by source and date ("the TechCrunch report on October 6, 2023") (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rag.ingest.dates import date_mentions
from rag.model import NamedInQuestion

# a date right after these words bounds a span of time ("since October 6, 2023"); it names no report
_RANGE_WORDS = re.compile(r"\b(?:since|after|before|until|till|through|from|between)\s+(?:the\s+)?$", re.IGNORECASE)
_RANGE_END = re.compile(r",?\s+(?:and|to|through|until)\s+(?:the\s+)?$", re.IGNORECASE)  # "between <date> and <date>"


@dataclass(frozen=True)
class NamedReports:
    """The article sources (as the index spells them) and dates (YYYY-MM-DD) a question names, and the
    (source, date) pairs it names together: each date goes with the nearest source named before it (else
    the first one after it)."""

    sources: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.sources or self.dates)

    def matches(self, article: Mapping[str, object]) -> int:
        """2 for the source and date of a named pair, 1 for a named source or date alone, else 0."""
        source, published = article.get("source"), article.get("published")
        if (source, published) in self.pairs:
            return 2
        return int(source in self.sources or published in self.dates)

    def describe(self) -> str:
        """One line a user can read, e.g. "Named in the question: TechCrunch on 2023-10-06; ...ranked first"."""
        paired_sources = {source for source, _ in self.pairs}
        paired_dates = {day for _, day in self.pairs}
        parts = [f"{source} on {day}" for source, day in self.pairs]
        parts += [s for s in self.sources if s not in paired_sources] + [d for d in self.dates if d not in paired_dates]
        return f"Named in the question: {', '.join(parts)}; articles that match are ranked first"

    def to_dict(self) -> NamedInQuestion:
        return NamedInQuestion(
            sources=list(self.sources),
            dates=list(self.dates),
            pairs=[list(pair) for pair in self.pairs],
            description=self.describe(),
        )


@lru_cache(maxsize=4096)
def _source_pattern(name: str) -> re.Pattern[str]:
    """The source name as a whole phrase, case as written (so "The Age" is not "the age of 30"), except
    that a leading "The" may be lower case ("the Verge"), and not followed by a number other than a year
    ("Fortune 500" is a list, not a Fortune report)."""
    head, rest = (r"[Tt]he", re.escape(name[3:])) if name.startswith("The ") else ("", re.escape(name))
    return re.compile(rf"(?<!\w){head}{rest}(?!\w)(?!\s+(?!(?:19|20)\d\d\b)\d)")


def source_mentions(question: str, known_sources: Iterable[str]) -> list[tuple[int, int, str]]:
    """Where the question names a source the index holds: (start, end, source), in order. A source found only
    inside a longer one ("Reuters" in "Reuters Health") is not named."""
    found = [
        (match.start(), match.end(), name)
        for name in set(known_sources)
        if name
        for match in _source_pattern(name).finditer(question)
    ]
    return sorted(
        m for m in found if not any(o[0] <= m[0] and m[1] <= o[1] and o[1] - o[0] > m[1] - m[0] for o in found)
    )


def report_dates(question: str) -> list[tuple[int, int, str]]:
    """Where the question names the full date of a report: (start, end, YYYY-MM-DD), in order; a date that bounds
    a span ("since October 6, 2023", "between October 1, 2023 and October 6, 2023") names none."""
    dates, bound = [], False
    for start, end, day in date_mentions(question):
        lead = question[:start]
        bound = bool(_RANGE_WORDS.search(lead) or (bound and _RANGE_END.search(lead)))
        if not bound:
            dates.append((start, end, day))
    return dates


def source_of_date(start: int, mentions: list[tuple[int, int, str]]) -> str | None:
    """The source a date at `start` goes with: the nearest one named before it, else the first one after."""
    before = [m for m in mentions if m[1] <= start]
    after = [m for m in mentions if m[0] >= start]
    return (before[-1] if before else after[0])[2] if before or after else None


def named_reports(
    question: str, known_sources: Iterable[str], mentions: list[tuple[int, int, str]] | None = None
) -> NamedReports:
    """The sources (among those the index holds) and full dates the question names (see source_mentions,
    given as mentions when already read, and report_dates)."""
    mentions = source_mentions(question, known_sources) if mentions is None else mentions
    dates = report_dates(question)
    pairs = [(source, day) for start, _, day in dates if (source := source_of_date(start, mentions))]
    return NamedReports(
        tuple(sorted({m[2] for m in mentions})), tuple(dict.fromkeys(d for *_, d in dates)), tuple(dict.fromkeys(pairs))
    )
