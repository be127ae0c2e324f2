"""Reports a question names by source and date ("the TechCrunch report on October 6, 2023") (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

from rag.documents import dates_in


@dataclass(frozen=True)
class NamedReports:
    """The article sources (as the index spells them) and the dates (YYYY-MM-DD) a question names."""

    sources: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.sources or self.dates)

    @property
    def both(self) -> bool:
        """A source and a date are named, so an article matching both is the report meant."""
        return bool(self.sources and self.dates)

    def matches(self, article: Mapping[str, object]) -> int:
        """How many of the named things (source, date) the article has: 0, 1 or 2."""
        return (bool(self.sources) and article.get("source") in self.sources) + \
            (bool(self.dates) and article.get("published") in self.dates)

    def describe(self) -> str:
        """One line a user can read, e.g. "Named in the question: TechCrunch on 2023-10-06; ...ranked first"."""
        named = " or ".join(self.sources) + (" on " if self.sources and self.dates else "") + \
            " or ".join(self.dates)
        return f"Named in the question: {named}; articles that match are ranked first"

    def to_dict(self) -> dict[str, object]:
        return {"sources": list(self.sources), "dates": list(self.dates), "description": self.describe()}


@lru_cache(maxsize=4096)
def _source_pattern(name: str) -> re.Pattern[str]:
    """The source name as a whole phrase, case as written (so "The Age" is not "the age of 30"), except
    that a leading "The" may be lower case ("the Verge")."""
    head, rest = (r"[Tt]he", re.escape(name[3:])) if name.startswith("The ") else ("", re.escape(name))
    return re.compile(rf"(?<!\w){head}{rest}(?!\w)")


def named_reports(question: str, known_sources: Iterable[str]) -> NamedReports:
    """The sources (among those the index holds) and full dates the question names."""
    sources = tuple(sorted(name for name in set(known_sources) if name and _source_pattern(name).search(question)))
    return NamedReports(sources, tuple(dict.fromkeys(dates_in(question))))
