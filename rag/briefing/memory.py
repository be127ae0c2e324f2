"""The briefing before this one, remembered beside the index (briefing.json in an index folder, the cache
folder for a Milvus index), and what is new against it: a story none of whose articles was in it, the outlets
a story gained, its quotes not shown before, and figures its articles give that they did not (pure but for the
file)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings
from rag.durable import write_json
from rag.locations import is_path
from rag.text.claims import amount_texts, amounts

FILE = "briefing.json"


@dataclass(frozen=True)
class Remembered:
    """A story as the last briefing showed it."""

    articles: frozenset[str]
    outlets: frozenset[str]
    quotes: frozenset[str]
    figures: frozenset[str] = frozenset()  # the amounts its articles give ("35,000", "14 million euros")


@dataclass(frozen=True)
class Changes:
    """What is new in a story since the last briefing (new_story: none of its articles was in it)."""

    new_story: bool = False
    new_outlets: tuple[str, ...] = ()
    new_quotes: frozenset[str] = frozenset()
    new_figures: tuple[str, ...] = ()

    def marks(self) -> list[str]:
        """What is new, as short labels ("new story", "new outlet: X", "new figures: 41,000")."""
        return [
            mark
            for mark in (
                "new story" if self.new_story else "",
                f"new outlet: {', '.join(self.new_outlets)}" if self.new_outlets else "",
                f"new figures: {', '.join(self.new_figures)}" if self.new_figures else "",
            )
            if mark
        ]


def memory_file(settings: Settings) -> Path:
    """Where the last briefing of this index is kept."""
    if is_path(settings.index_dir):
        return Path(settings.index_dir) / FILE
    key = hashlib.sha256(str(settings.index_dir).encode()).hexdigest()[:16]
    return settings.cache_dir / f"briefing-{key}.json"


def recall(path: Path) -> tuple[str | None, list[Remembered]]:
    """(when it was made, its stories) of the last briefing; (None, []) when there was none or it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        stories = [
            Remembered(*(frozenset(s.get(key, ())) for key in ("articles", "outlets", "quotes", "figures")))
            for s in data["stories"]
        ]
        return str(data["made"]), stories
    except (OSError, ValueError, KeyError, TypeError):
        return None, []


def remember(path: Path, made: str, stories: list[Remembered]) -> None:
    """Keep this briefing for the next one to compare with (written atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "articles": sorted(s.articles),
            "outlets": sorted(s.outlets),
            "quotes": sorted(s.quotes),
            "figures": sorted(s.figures),
        }
        for s in stories
    ]
    write_json(path, {"made": made, "stories": rows})


def changes(story: Remembered, before: list[Remembered] | None) -> Changes:
    """What is new in story against the last briefing's stories (before None: there was no last briefing)."""
    if before is None:
        return Changes()
    earlier = [old for old in before if old.articles & story.articles]
    if not earlier:
        return Changes(new_story=True, new_quotes=story.quotes)
    outlets = frozenset().union(*(old.outlets for old in earlier))
    quotes = frozenset().union(*(old.quotes for old in earlier))
    known = [amount for old in earlier for figure in old.figures for amount in amounts(figure)]
    new_figures = sorted(f for f in story.figures if not any(a.matches(k) for a in amounts(f) for k in known))
    return Changes(False, tuple(sorted(story.outlets - outlets)), story.quotes - quotes, tuple(new_figures))


def figures(text: str) -> frozenset[str]:
    """The amounts a text gives, as written ("35,000", "14 million euros"), years left out."""
    return frozenset(f for f in amount_texts(text) if not re.fullmatch(r"(?:1[89]|20)\d\d", f) and amounts(f))
