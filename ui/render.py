"""Answers and sources as Markdown for any front end (the chat page, the HTTP API): text in, Markdown out,
everything that comes from an article escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from rag.answering.inert import inert_markdown, plain_text, unlinked_addresses

if TYPE_CHECKING:
    from rag.briefing.brief import Briefing
    from rag.model import Answer, Citation, Hit

_URL_SAFE = ":/?#@!$&'*+,;=%~-._()[]"  # kept as is in links; spaces, quotes and <> are percent-encoded


def escape(text: str) -> str:
    """Article text as inert Markdown: no HTML, no links (bare addresses included), no emphasis, no headings or
    lists."""
    text = html.escape(re.sub(r"\s+", " ", text or "").strip(), quote=False)
    text = unlinked_addresses(re.sub(r"([\\`*_\[\]|~])", r"\\\1", text))
    return re.sub(r"^([#>+-]|\d+[.)])", r"\\\1", text)


def link(url: str) -> str:
    """A Markdown link for http(s) URLs only; other schemes (javascript:, file:) are not linked."""
    url = (url or "").strip()
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return ""
    return f"[open article](<{quote(url, safe=_URL_SAFE)}>)"


def _details(source: str, published: str | None, url: str = "") -> str:
    parts = [escape(source) if source else "", escape(published) if published else "", link(url)]
    return " · ".join(p for p in parts if p)


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


_PLAIN_MARKER = re.compile(r"\[(\d{1,3})\]")
_LINKED_MARKER = re.compile(r"\[\\\[(\d{1,3})\\\]\]\(#source-\d+\)")


def answer_text(text: str, anchor: str = "#source-") -> str:
    """The model's text as inert Markdown (nothing it wrote links, loads or formats) with each [n] a link to its
    passage, anchor + n (the page opens the passage with the words that back the sentence highlighted)."""
    return _PLAIN_MARKER.sub(rf"[\\[\1\\]]({anchor}\1)", inert_markdown(text))


def unlinked(text: str) -> str:
    """answer_text's text as the model wrote it: [n] links back to plain [n] markers, escapes undone."""
    return plain_text(_LINKED_MARKER.sub(r"[\1]", text))


def retrieved_markdown(hits: list[Hit]) -> str:
    """The articles the retrieved passages come from, best first."""
    by_article: dict[str, list[Hit]] = {}
    for hit in hits:
        by_article.setdefault(hit.article_id, []).append(hit)
    lines = []
    for group in by_article.values():
        best = group[0]
        details = _details(best.source, best.published)
        lines.append(
            f"- **{escape(best.title)}**"
            + (f" ({details})" if details else "")
            + f": {len(group)} passage{'s' if len(group) != 1 else ''}, "
            f"best match {max(h.similarity for h in group):.2f}"
        )
    return "\n".join(lines)


def highlighted(passage: str, spans: list[tuple[int, int]]) -> str:
    """The passage as inert Markdown with the supporting sentences (character spans) in bold."""

    def inert(raw: str) -> str:  # escaped, keeping a space that separates it from its neighbours
        return (" " if raw[:1].isspace() else "") + escape(raw) + (" " if raw[-1:].isspace() else "")

    pieces, done = [], 0
    for start, end in sorted(set(spans)):
        if start < done:
            continue
        pieces += [inert(passage[done:start]), f"**{escape(passage[start:end])}**"]
        done = end
    pieces.append(inert(passage[done:]))
    return "".join(pieces).strip()


def citation_markdown(citation: Citation, spans: Sequence[tuple[int, int]] = ()) -> str:
    """One cited passage under its title and details; spans (the words that back the answer) in bold."""
    details = _details(citation.source, citation.published, citation.url)
    copies = "; ".join(
        escape(c.get("source") or c.get("title") or "?")
        + (f" ({escape(c['published'] or '')})" if c.get("published") else "")
        for c in citation.also_reported_by
    )
    return (
        f"**[{citation.number}] {escape(citation.title)}**"
        + (f" — {details}" if details else "")
        + (f"\n\n_Also reported by: {copies}_" if copies else "")
        + f"\n\n> {highlighted(citation.passage, list(spans))}"
    )


def search_notes(answer: Answer) -> str:
    """How the question was searched: the standalone form of a follow-up and how its time words were read."""
    notes = []
    if answer.standalone_question:
        notes.append(f"Searched as: {escape(answer.standalone_question)}")
    if answer.named_reports:
        notes.append(escape(str(answer.named_reports["description"])))
    if answer.time_frame:
        notes.append(f"Dates: {escape(str(answer.time_frame['description']))}")
    elif answer.filters:
        since, until, sources = (answer.filters.get(k) for k in ("since", "until", "sources"))
        parts = [
            f"from {since}" if since else "",
            f"up to {until}" if until else "",
            f"from {', '.join(map(str, sources))}" if isinstance(sources, (list, tuple)) and sources else "",
        ]
        notes.append("Only articles published " + " ".join(escape(str(p)) for p in parts if p))
    if answer.support:
        notes.append(
            f"Checked: {counted(len(answer.support), 'sentence')} found in the passages "
            f"{'it cites' if len(answer.support) == 1 else 'they cite'} (in bold under Sources)."
        )
    if answer.unsupported:
        notes.append(
            "Not found in the sources, so removed from the answer: "
            + " ".join(f"“{escape(sentence)}”" for sentence in answer.unsupported)
        )
    return "\n\n".join(f"_{n}_" for n in notes)


def evidence_markdown(answer: Answer) -> str:
    """The passage sentences the answer rests on, quoted with their source and date, or "" when none."""
    if answer.across_reports:  # its text quotes each report's sentence already
        return ""
    lines = []
    for citation, sentence in answer.evidence():
        details = _details(citation.source, citation.published)
        lines.append(
            f"> “{escape(sentence)}” — [\\[{citation.number}\\]](#source-{citation.number})"
            + (f" {details}" if details else "")
        )
    return "**Evidence**\n\n" + "\n>\n".join(lines) if lines else ""


def abstain_reason(answer: Answer) -> str:
    """Why the answer abstained, as one italic line ("" when it did not or no reason is known)."""
    from rag.model import ABSTAIN_REASONS

    reason = ABSTAIN_REASONS.get(answer.abstain_reason or "") if answer.abstained else None
    return f"_Why: {reason}._" if reason else ""


def answer_notes(answer: Answer) -> str:
    notes = []
    if answer.uncited_sentences:
        count = len(answer.uncited_sentences)
        notes.append(
            f"{count} sentence{'s' if count != 1 else ''} of the answer cite{'s' if count == 1 else ''}"
            f" no source; check {'them' if count != 1 else 'it'} against the articles."
        )
    if answer.invalid_citations:
        count = answer.invalid_citations
        notes.append(
            f"{counted(count, 'citation')} that pointed to no passage {'was' if count == 1 else 'were'} removed."
        )
    return "\n\n".join(f"_{n}_" for n in notes)


def sources_markdown(answer: Answer, with_search_notes: bool = True) -> str:
    """The cited passages of a final answer, numbered as in the answer text."""
    blocks = [search_notes(answer)] if with_search_notes and search_notes(answer) else []
    blocks += [f"_Relies on: {escape(answer.relies_on)}_"] if answer.relies_on else []
    if answer.reports and not answer.across_reports:  # an answer across reports lists them in its text
        blocks.append(
            "**What each report says, oldest first:**\n\n"
            + "\n".join(f"- {escape(report.describe())}" for report in answer.reports)
        )
    blocks += [
        citation_markdown(c, [(s.start, s.end) for s in answer.support if s.citation == c.number])
        for c in answer.citations
    ]
    if answer_notes(answer):
        blocks.append(answer_notes(answer))
    return "\n\n".join(blocks)


def panel_markdown(answer: Answer) -> str:
    """The side panel for the latest answer: the question, then every cited passage in full."""
    head = f"### Sources\n**Question:** {escape(answer.question)}\n\n"
    if search_notes(answer):
        head += search_notes(answer) + "\n\n"
    if not answer.done:
        return head + (
            f"Retrieved {counted(len(answer.hits), 'passage')}; writing the answer…\n\n"
            + retrieved_markdown(answer.hits)
        )
    if answer.abstained and answer.citations:  # no news of the asked dates: the nearest earlier report
        return head + abstain_reason(answer) + "\n\n" + sources_markdown(answer, with_search_notes=False)
    if answer.abstained:
        return (
            head
            + "No sources: the indexed articles do not say."
            + (f"\n\n{abstain_reason(answer)}" if abstain_reason(answer) else "")
            + (
                "\n\n**Retrieved but not enough to answer:**\n\n" + retrieved_markdown(answer.hits)
                if answer.hits
                else ""
            )
        )
    if not answer.citations:
        return head + "The answer cites no passage.\n\n" + retrieved_markdown(answer.hits)
    timing = f"\n\n_Answered in {answer.timings.total_s:.0f} s._" if answer.timings.total_s else ""
    return head + sources_markdown(answer, with_search_notes=False) + timing


def briefing_markdown(briefing: Briefing) -> str:
    """The briefing as cards: each story's headline and what is new in it, its quotes word for word with their
    [n] (a link that opens the passage in the briefing's passages panel), and its sources; every article field
    escaped."""
    compared = f"; marked against the briefing of {escape(briefing.previous)}" if briefing.previous else ""
    blocks = [
        f"**{len(briefing.stories)} stor{'y' if len(briefing.stories) == 1 else 'ies'} from {counted(briefing.articles, 'article')}, "
        f"{escape(briefing.since)} to {escape(briefing.until)}**{compared}"
    ]
    for i, story in enumerate(briefing.stories, start=1):
        quotes = [f"> “{escape(text)}” {_briefing_citation(i, n)}" for text, n in story.quotes]
        sources = [
            f"\\[{s.number}\\] {escape(s.title)}"
            + (f" ({_details(s.source, s.published, s.url)})" if s.source or s.url else "")
            for s in story.sources
        ]
        differ = [
            f"- **Figures differ:** “{escape(first)}” {_briefing_citation(i, n)} / "
            f"“{escape(second)}” {_briefing_citation(i, m)}"
            for (first, n), (second, m) in story.differences
        ]
        head = f"### {i}. {escape(story.headline)}" + "".join(f" _({escape(m)})_" for m in story.changes.marks())
        if story.summary:  # the model's sentence, inert but for its [n], each opening its passage
            head += f"\n\n**In one sentence** (checked): {answer_text(story.summary, f'#brief-{i}-')}"
        body = "\n>\n".join(quotes) + ("\n\n" + "\n".join(differ) if differ else "")
        blocks.append(head + "\n\n" + body + "\n\n" + "  \n".join(sources))
    return "\n\n".join(blocks)


def _briefing_citation(story: int, number: int) -> str:
    return f"[\\[{number}\\]](#brief-{story}-{number})"


BRIEFING_PASSAGES = "### Passages\nClick a [n] in a story to read the sentence where it stands in its article."


def briefing_passages_markdown(briefing: Briefing) -> str:
    """The passages panel beside the briefing: for each story and source, its quoted sentences in bold within
    their neighbours, under "Story i · [n] title" (what a click on the story's [n] opens)."""
    blocks = [BRIEFING_PASSAGES]
    for i, story in enumerate(briefing.stories, start=1):
        for source in story.sources:
            passages = [p for p in story.passages if p.number == source.number]
            if not passages:
                continue
            quoted = "\n>\n".join(f"> {_bold_within(p.sentence, p.text)}" for p in passages)
            details = _details(source.source, source.published, source.url)
            blocks.append(
                f"**Story {i} · \\[{source.number}\\] {escape(source.title)}**" + (f" ({details})" if details else "")
                + "\n\n" + quoted
            )  # fmt: skip
    return "\n\n".join(blocks)


def _bold_within(sentence: str, passage: str) -> str:
    before, found, after = passage.partition(sentence)
    if not found:
        return f"**{escape(sentence)}**"
    return " ".join(part for part in (escape(before), f"**{escape(sentence)}**", escape(after)) if part)
