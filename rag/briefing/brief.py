"""`brief`: the stories of a time window in the index, each with its headline, key sentences quoted with their
citations and its outlets, marked against the briefing before it. Only the window's articles are read (their
chunk texts and the vectors already in the index, nothing embedded) beside the manifest, so memory follows the
window, not the index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rag.answering.models import AnsweringModel
from rag.briefing.differences import differing_figures
from rag.briefing.memory import Changes, Remembered, changes, figures, memory_file, recall, remember
from rag.briefing.quotes import content_terms, in_context, key_sentences
from rag.briefing.stories import article_vector, group_stories
from rag.briefing.summary import summarize as summarize_story
from rag.config import Settings
from rag.errors import RagError
from rag.index.stores import read_part
from rag.index.stores.contract import ChunkRecord

DEFAULT_DAYS = 1  # with no --since: the newest day in the index and the day before


@dataclass(frozen=True)
class Source:
    """An article a story cites, numbered within the story."""

    number: int
    article: str
    title: str
    source: str
    published: str | None
    url: str


@dataclass(frozen=True)
class Passage:
    """Where a quoted sentence stands: the sentence with its neighbours in source `number`'s article."""

    number: int
    sentence: str
    text: str


@dataclass(frozen=True)
class BriefStory:
    """One story: its headline, its key sentences with the number of the source each is quoted from, its
    sources (the most representative first) and what is new in it since the last briefing."""

    headline: str
    quotes: tuple[tuple[str, int], ...]
    sources: tuple[Source, ...]
    changes: Changes = field(default_factory=Changes)
    differences: tuple[tuple[tuple[str, int], tuple[str, int]], ...] = ()  # two outlets' figures on one point
    passages: tuple[Passage, ...] = ()  # every quoted sentence (quotes, then differences) in its passage
    summary: str = ""  # the model's one sentence with its [n], when asked for and the verification kept it


@dataclass(frozen=True)
class Briefing:
    """The stories of the window [since, until], most outlets and newest first; previous: when the briefing it
    was compared with was made (None: the first)."""

    since: str
    until: str
    stories: tuple[BriefStory, ...]
    previous: str | None
    articles: int

    def to_dict(self) -> dict[str, Any]:
        """The briefing as JSON-ready data (sets as sorted lists)."""
        return _plain(asdict(self))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return sorted(value) if isinstance(value, (set, frozenset)) else value


def window(since: str | None, newest: date, until: str | None = None) -> tuple[date, date]:
    """The days a briefing covers, to until (a date; default the newest day in the index): from "Nd" (N days
    before its end), a date (YYYY-MM-DD), or the default (its last day and the day before); RagError naming the
    forms otherwise."""
    text = (since or f"{DEFAULT_DAYS}d").strip().lower()
    try:
        last = date.fromisoformat(until.strip()) if until else newest
        if text.endswith("d") and text[:-1].isdigit():
            return last - timedelta(days=int(text[:-1])), last
        return date.fromisoformat(text), last
    except ValueError:
        raise RagError(
            f"--since {since!r} / --until {until!r} is no window: give a number of days (1d, 7d) or a date "
            "(2025-10-20), and an end date"
        ) from None


def brief(
    settings: Settings | None = None,
    since: str | None = None,
    about: str = "",
    keep: bool = True,
    until: str | None = None,
    summarize: AnsweringModel | None = None,
) -> Briefing:
    """The briefing of the index in settings (since, until: see window; about: only stories whose articles hold
    one of these words); keep: remember it for the next briefing's comparison; summarize: the model that writes
    each story's one verified sentence (None: no summaries)."""
    settings = settings or Settings.from_env()
    windows: list[tuple[date, date, dict[str, dict]]] = []  # the window of each manifest read (a newer one on retry)

    def window_chunks(manifest: dict) -> list[int]:
        windows.append(_window_articles(manifest, since, until))
        return [cid for e in windows[-1][2].values() for cid in e.get("chunk_ids", [])]

    part = read_part(settings.index_dir, window_chunks)
    first, last, chosen = windows[-1]
    vectors, records = part.vectors, part.records
    by_article = {a: [vectors[c] for c in e.get("chunk_ids", []) if c in vectors] for a, e in chosen.items()}
    chosen = {a: e for a, e in chosen.items() if by_article[a]}
    texts = {a: _text([records[c] for c in e.get("chunk_ids", []) if c in records]) for a, e in chosen.items()}
    stories = group_stories(chosen, {a: article_vector(v) for a, v in by_article.items() if v})
    wanted = content_terms(about)
    made = [
        _brief_story(story.articles, story.central, chosen, texts)
        for story in stories
        if not wanted or any(wanted & content_terms(f"{chosen[a].get('title', '')} {texts[a]}") for a in story.articles)
    ]
    path = memory_file(settings)
    previous, before = recall(path)
    seen = [_remembered(s, texts) for s in made]
    marked = tuple(
        replace(
            s,
            changes=changes(r, before if previous else None),
            summary=summarize_story(s, summarize) if summarize else "",
        )
        for s, r in zip(made, seen, strict=True)
    )
    if keep:
        remember(path, datetime.now(UTC).isoformat(timespec="seconds"), seen)
    return Briefing(first.isoformat(), last.isoformat(), marked, previous, len(chosen))


def _window_articles(manifest: dict, since: str | None, until: str | None) -> tuple[date, date, dict[str, dict]]:
    """The window's first and last day and its articles' manifest entries by id."""
    entries = manifest.get("articles", {})
    dated = [e["published"] for e in entries.values() if e.get("published")]
    if not dated:
        raise RagError("no dated article in the index: a briefing groups the news of some days; add dated articles")
    first, last = window(since, date.fromisoformat(max(dated)), until)
    chosen = {
        a: e for a, e in entries.items() if e.get("published") and first <= date.fromisoformat(e["published"]) <= last
    }
    return first, last, chosen


def _text(records: Sequence[ChunkRecord]) -> str:
    """An article's text again from its chunks (each is text[start:end]; neighbours overlap)."""
    text, end = "", 0
    for record in sorted(records, key=lambda r: r.start):
        if record.end > end:
            text += record.text[max(0, end - record.start) :] if record.start < end else " " + record.text
            end = record.end
    return text.strip()


def _brief_story(articles: Sequence[str], central: str, entries: dict[str, dict], texts: dict[str, str]) -> BriefStory:
    ordered = [
        central,
        *sorted((a for a in articles if a != central), key=lambda a: (entries[a].get("published") or "", a)),
    ]
    sources = tuple(
        Source(n, a, entries[a].get("title") or a, entries[a].get("source") or "", entries[a].get("published"), entries[a].get("url") or "")
        for n, a in enumerate(ordered, start=1)
    )  # fmt: skip
    number = {s.article: s.number for s in sources}
    outlets = {a: (entries[a].get("source") or a) for a in articles}
    titles = {a: entries[a].get("title") or "" for a in articles}
    originals = [a for a in ordered if not entries[a].get("duplicate_of")] or ordered  # a copy adds no sentence
    quotes = key_sentences({a: texts[a] for a in originals}, titles, outlets)
    differing = differing_figures({a: texts[a] for a in originals}, outlets)
    differences = tuple(
        ((d.first.text, number[d.first.article]), (d.second.text, number[d.second.article])) for d in differing
    )
    headline = entries[central].get("title") or central
    quoted = [*quotes, *(q for d in differing for q in (d.first, d.second))]
    passages = tuple(
        dict.fromkeys(Passage(number[q.article], q.text, in_context(texts[q.article], q.text)) for q in quoted)
    )
    return BriefStory(
        headline, tuple((q.text, number[q.article]) for q in quotes), sources, Changes(), differences, passages
    )


def _remembered(story: BriefStory, texts: dict[str, str]) -> Remembered:
    return Remembered(
        frozenset(s.article for s in story.sources),
        frozenset(s.source or s.article for s in story.sources),
        frozenset(text for text, _ in story.quotes),
        frozenset().union(*(figures(texts[s.article]) for s in story.sources)),
    )


def briefing_lines(briefing: Briefing) -> list[str]:
    """The briefing as plain text: each story's headline and marks, its quotes with their citations, and its
    sources as `rag ask` lists them."""
    compared = f"; new since the briefing of {briefing.previous}" if briefing.previous else ""
    lines = [
        f"What's new from {briefing.since} to {briefing.until}: {len(briefing.stories)} stories from "
        f"{briefing.articles} articles{compared}"
    ]
    for n, story in enumerate(briefing.stories, start=1):
        lines += ["", f"{n}. {story.headline}" + "".join(f" [{m}]" for m in story.changes.marks())]
        if story.summary:
            lines.append(f"   In one sentence (checked): {story.summary}")
        for text, number in story.quotes:
            fresh = " (new)" if text in story.changes.new_quotes and not story.changes.new_story else ""
            lines.append(f"   “{text}” [{number}]{fresh}")
        for (first, n), (second, m) in story.differences:
            lines.append(f"   Figures differ: “{first}” [{n}] / “{second}” [{m}]")
        lines.append("   Sources:")
        for source in story.sources:
            details = ", ".join(p for p in (source.source, source.published) if p)
            lines.append(
                f"     [{source.number}] {source.title}"
                + (f" ({details})" if details else "")
                + (f" {source.url}" if source.url else "")
            )
    return lines
