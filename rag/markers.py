"""What every stage reads in answer text: the [n] citation markers and the sentence that declines."""

from __future__ import annotations

import re

ABSTAIN = "The indexed articles do not say."
# every abstention opens with one of these
ABSTAIN_OPENINGS = ("The indexed articles do not", "No article from", "No passage close")


def is_abstention(text: str) -> bool:
    """True for an answer text that abstains ("The indexed articles do not mention Jens Stoltenberg.")."""
    return text.strip().startswith(ABSTAIN_OPENINGS)


_LABEL = r"(?:passages?\s*|sources?\s*)?"  # "[passage 2]", "[sources 1, 3]"
_SMALL = r"\d{1,2}(?!\d)"  # a range or "and" joins passage numbers: "[2021-2022]", "[1990 and 1991]" stay text
_ITEM = rf"(?:{_SMALL}\s*(?:[-–]|and)\s*{_LABEL}{_SMALL}|\d+)"  # "2-4", "2 and 4", or any one number
MARKER = re.compile(rf"\[\s*{_LABEL}({_ITEM}(?:\s*[,;]\s*{_LABEL}{_ITEM})*)\s*\]", re.IGNORECASE)
