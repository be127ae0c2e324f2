"""Dates written in text (2024-03-14, March 14, 2024, 14 March 2024) read as ISO dates."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_DATE_PATTERNS = [
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<mon>[A-Za-z]{3,9})\.? (?P<d>\d{1,2})(?:st|nd|rd|th)?,? (?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)? (?P<mon>[A-Za-z]{3,9})\.?,? (?P<y>\d{4})"),
]


def date_mentions(text: str) -> list[tuple[int, int, str]]:
    """Every date in text (in any of the forms read): (where it starts, where it ends, YYYY-MM-DD), by position."""
    found = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = int(parts["m"]) if "m" in parts else _MONTHS.get(parts["mon"].lower())
            if not month:
                continue
            try:
                found.append((match.start(), match.end(), date(int(parts["y"]), month, int(parts["d"])).isoformat()))
            except ValueError:
                continue
    return sorted(found)


def parse_date(text: str) -> str | None:
    """The first date in text (by position, in any of the forms read) as YYYY-MM-DD, or None."""
    dates = date_mentions(text)
    return dates[0][2] if dates else None
