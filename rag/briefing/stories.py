"""Articles of a time window grouped into stories: the same event told by several outlets or updated over
hours. An article is read by the vectors already in the index (the mean of its chunks' vectors, nothing
embedded again); it joins the story whose centre is closest when that is at least STORY_SIMILARITY, or one its
near-duplicate belongs to, and starts a story of its own otherwise (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

STORY_SIMILARITY = 0.6  # cosine of an article's vector to a story's centre for it to join that story


@dataclass(frozen=True)
class Story:
    """Articles about one event (ids, oldest first), the one closest to the story's centre first in `central`."""

    articles: tuple[str, ...]
    central: str  # the most representative article with a headline-like title: its title is the headline
    outlets: tuple[str, ...]  # the sources that carry it, as written
    newest: str  # the newest publication date (YYYY-MM-DD) among its articles


def article_vector(chunk_vectors: list[np.ndarray]) -> np.ndarray:
    """An article's direction: the normalised mean of its chunks' vectors."""
    mean = np.mean(np.asarray(chunk_vectors, dtype=np.float32), axis=0)
    return mean / (np.linalg.norm(mean) or 1.0)


def group_stories(
    entries: Mapping[str, dict], vectors: Mapping[str, np.ndarray], similarity: float = STORY_SIMILARITY
) -> list[Story]:
    """The stories of the articles (entries: manifest entries by id, with published, source, duplicate_of),
    most outlets and newest first. Articles are taken oldest first, so a story's centre follows its first
    reports and an update joins them."""
    order = sorted(entries, key=lambda a: (entries[a].get("published") or "", a))
    members: list[list[str]] = []
    centres = np.zeros((len(order), next(iter(vectors.values())).shape[0]), dtype=np.float32) if order else None
    story_of: dict[str, int] = {}
    for article in order:
        assert centres is not None
        original = entries[article].get("duplicate_of")
        chosen = len(members)
        if original in story_of:
            chosen = story_of[original]
        elif members:
            live = centres[: len(members)]
            scores = live @ vectors[article] / np.maximum(np.linalg.norm(live, axis=1), 1e-9)
            best = int(np.argmax(scores))
            chosen = best if scores[best] >= similarity else chosen
        if chosen == len(members):
            members.append([])
        members[chosen].append(article)
        centres[chosen] += vectors[article]
        story_of[article] = chosen
    stories = (
        [_story(group, centres[n], entries, vectors) for n, group in enumerate(members)] if centres is not None else []
    )
    return sorted(stories, key=lambda s: (-len(s.outlets), _negated(s.newest), s.central))


def _story(
    group: list[str], centre: np.ndarray, entries: Mapping[str, dict], vectors: Mapping[str, np.ndarray]
) -> Story:
    originals = [a for a in group if not entries[a].get("duplicate_of")] or group  # a syndicated copy is no headline
    titled = [a for a in originals if _headline_like(entries[a].get("title") or "")] or originals
    central = max(titled, key=lambda a: (float(vectors[a] @ centre), a))
    outlets = tuple(dict.fromkeys((entries[a].get("source") or "").strip() or "(no source)" for a in group))
    newest = max((entries[a].get("published") or "" for a in group), default="")
    return Story(tuple(group), central, outlets, newest)


def _headline_like(title: str) -> bool:
    """A title that reads as a headline, not a dateline taken for one ("Washington CNN Business —")."""
    return len(title.split()) >= 4 and not title.rstrip().endswith(("—", "-", "–"))


def _negated(day: str) -> str:
    """A sort key that puts later days first."""
    return "".join(chr(255 - ord(c)) for c in day)
