"""Relative time in questions ("this week", "yesterday", "latest", "in October") -> a date range (pure)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from rag.ingest.dates import date_mentions
from rag.model import TimeWords

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTH = "|".join(MONTHS)
WEEKDAYS = [name.lower() for name in calendar.day_name]  # monday first, as date.weekday() counts
_RECENT = re.compile(
    r"\b(latest|most recent|newest|recent(?:ly)?|currently|current|right now|so far|"
    r"now|lately|these days|still)\b",
    re.IGNORECASE,
)
_SINCE_LEAD = re.compile(r"\b(?:since|after)\s+(?:the\s+)?$", re.IGNORECASE)  # a date after these opens a span
_DAYS_AGO = re.compile(r"\b(\d{1,2}|a|one|two|three|four|five|six|seven) days? ago\b", re.IGNORECASE)
_WORD_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


@dataclass(frozen=True)
class TimeFrame:
    """How a question's time words were read: a date range (ISO, inclusive) and/or a preference for new articles.

    reference is the date "today" meant, and reference_from says where it came from."""

    reference: str
    reference_from: str
    phrase: str = ""
    since: str | None = None
    until: str | None = None
    prefer_recent: bool = False
    widened: bool = False  # nothing relevant was published in the range, so all earlier dates were searched

    @property
    def applies(self) -> bool:
        return bool(self.since or self.until or self.prefer_recent)

    def describe(self) -> str:
        """One line a user can read, e.g. "'this week': articles published 2025-10-14 to 2025-10-21 ..."."""
        parts = []
        if self.since or self.until:
            span = (
                f"from {self.since} to {self.until}"
                if self.since and self.until
                else f"from {self.since} on"
                if self.since
                else f"up to {self.until}"
            )
            parts.append((f"'{self.phrase}': " if self.since else "") + f"articles published {span}")
        if self.prefer_recent:
            reason = f"'{self.phrase}'" if self.phrase and not self.since else f"asked on {self.reference}"
            parts.append(f"{reason}: newer articles ranked first")
        widened = "; nothing relevant was published then, so earlier articles were searched" if self.widened else ""
        return "; ".join(parts) + widened + f" (today taken as {self.reference}, {self.reference_from})"

    def to_dict(self) -> TimeWords:
        return TimeWords(
            reference=self.reference,
            reference_from=self.reference_from,
            phrase=self.phrase,
            since=self.since,
            until=self.until,
            prefer_recent=self.prefer_recent,
            widened=self.widened,
            description=self.describe(),
        )


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _last_month_named(month: int, reference: date) -> int:
    """The year of the latest month `month` that is not after the reference date."""
    return reference.year if month <= reference.month else reference.year - 1


_ABSOLUTE_DATE = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b(?:{_MONTH})\.? \d{{1,2}}(?:st|nd|rd|th)?\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTH})\b",
    re.IGNORECASE,
)


def _rules(ref: date, weekdays: bool) -> list[tuple[str, Callable[[re.Match], tuple[date, date]]]]:
    """Time phrases and the dates they span, relative to the reference date; weekday names ("on Tuesday")
    only with weekdays, when the reference is the day the question was asked."""
    last_month = (ref.year, ref.month - 1) if ref.month > 1 else (ref.year - 1, 12)
    days = [(rf"\b(?:on|last|this past) ({'|'.join(WEEKDAYS)})\b", lambda m: _weekday(m, ref))] if weekdays else []
    return days + [
        (r"\btoday\b|\bthis morning\b|\btonight\b", lambda m: (ref, ref)),
        (r"\byesterday\b", lambda m: (ref - timedelta(1), ref - timedelta(1))),
        (r"\b(?:this|the past|the last) week\b", lambda m: (ref - timedelta(7), ref)),
        (r"\blast week\b", lambda m: (ref - timedelta(14), ref - timedelta(7))),
        (r"\b(?:this|the past|the last) month\b", lambda m: (ref - timedelta(31), ref)),
        (r"\blast month\b", lambda m: _month_range(*last_month)),
        (r"\bthis year\b", lambda m: (date(ref.year, 1, 1), ref)),
        (r"\blast year\b", lambda m: (date(ref.year - 1, 1, 1), date(ref.year - 1, 12, 31))),
        (_DAYS_AGO.pattern, lambda m: _days_ago(m, ref)),
        (
            rf"\b(?:in|during|since|from) (?:early |late |mid-)?({_MONTH})(?:,? (\d{{4}}))?\b",
            lambda m: _in_month(m, ref),
        ),
        (r"\bin (\d{4})\b", lambda m: (date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31))),
    ]


def _first_phrase(text: str, ref: date, weekdays: bool = False) -> tuple[str, date] | None:
    """The first time phrase in the text that points at or before the reference date, with its first day.

    Phrases capitalised inside a sentence are names ("Business Today"), not dates, and are skipped, unless
    the whole question is written in capitals ("What Happened Last Week?")."""
    words = re.findall(r"[A-Za-z]+", text)
    title_case = sum(w[0].isupper() for w in words) >= 0.7 * len(words)
    found = []
    for pattern, span in _rules(ref, weekdays):
        for match in re.finditer(pattern, text, re.IGNORECASE):
            if match.start() > 0 and match.group(0)[0].isupper() and not title_case:
                continue
            try:
                start, _ = span(match)
            except (ValueError, OverflowError):  # "in October 0000", "99999999 days ago": no date of the calendar
                continue
            if start <= ref:
                found.append((match.start(), match.group(0), start))
                break
    if not found:
        return None
    _, phrase, start = min(found, key=lambda item: item[0])
    return phrase, start


def _days_ago(match: re.Match, ref: date) -> tuple[date, date]:
    raw = match.group(1).lower()
    days = _WORD_NUMBERS.get(raw) or int(raw)
    day = ref - timedelta(days)
    return day, day


def _weekday(match: re.Match, ref: date) -> tuple[date, date]:
    """ "on Tuesday": the latest Tuesday on or before the reference date."""
    day = ref - timedelta((ref.weekday() - WEEKDAYS.index(match.group(1).lower())) % 7)
    return day, day


def _in_month(match: re.Match, ref: date) -> tuple[date, date]:
    month = MONTHS[match.group(1).lower()]
    year = int(match.group(2)) if match.group(2) else _last_month_named(month, ref)
    start, end = _month_range(year, month)
    if match.group(0).lower().startswith(("since", "from")):
        end = ref
    return start, end


def names_dates(question: str) -> bool:
    """True when the question names its own dates ("on October 7", "2025-10-21")."""
    return bool(_ABSOLUTE_DATE.search(question))


def _since_date(question: str) -> tuple[str, str] | None:
    """The first full date that opens a span ("since October 6, 2025", "after 2025-10-06"): (phrase, ISO date)."""
    for start, end, iso in date_mentions(question):
        lead = _SINCE_LEAD.search(question[:start])
        if lead:
            return question[lead.start() : end], iso
    return None


def resolve_time(
    question: str, reference: date, reference_from: str, cap_at_reference: bool = False, date_bounds: bool = True
) -> TimeFrame:
    """Read the question's time words against the reference date.

    News about a time is published during or after it, so a phrase ("this week", "in October", "last year")
    keeps articles published from the start of its span on. A question that names its own dates ("on
    October 7") is left alone, except that with date_bounds a date opening a span ("since October 6, 2025")
    keeps articles published from that day on (callers turn it off when the question names a source: "the
    Wired report after October 6" bounds that one report, not the search). "latest", "recent" and the like
    ask for newer articles first. With cap_at_reference (the question carries the date it was asked),
    articles published after that date are left out, since they did not exist then, and newer articles on
    the story come first: the question asks about the news as of that date, and a weekday name ("on
    Tuesday") is the latest such day on or before it (without the question's date a weekday names no range)."""
    until = reference.isoformat() if cap_at_reference else None
    bound = _since_date(question) if date_bounds else None
    if bound and bound[1] <= reference.isoformat():
        return TimeFrame(reference.isoformat(), reference_from, bound[0], bound[1], until, cap_at_reference)
    if names_dates(question):
        return TimeFrame(reference.isoformat(), reference_from, "", None, until)
    explicit = _first_phrase(question, reference, weekdays=cap_at_reference)
    recent = _RECENT.search(question)
    phrase = explicit[0] if explicit else recent.group(0) if recent else ""
    since = explicit[1].isoformat() if explicit else None
    return TimeFrame(
        reference.isoformat(), reference_from, phrase, since, until, cap_at_reference or (bool(recent) and not explicit)
    )
