"""A story's one-sentence summary by the answering model (optional, off by default: a model reply a story), shown
only when the verification keeps the sentence whole against the story's quoted passages, as an answer's is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answering.citations import sentence_ranges
from rag.answering.models import AnsweringModel, Messages, read_all
from rag.answering.verify import verify_answer
from rag.model import Hit

if TYPE_CHECKING:
    from rag.briefing.brief import BriefStory

SUMMARY_TOKENS = 60
SUMMARY_SYSTEM = (
    "Write one sentence that says what happened in this news story, from the passages only. "
    "Cite the passages the sentence comes from as [1], [2]."
)


def story_passages(story: BriefStory) -> list[Hit]:
    """The story's sources as numbered passages, each its quoted sentences with their neighbours ("" for a
    source nothing was quoted from), so [n] means source n."""
    return [
        Hit(
            chunk_id=0, article_id=s.article, title=s.title, source=s.source, published=s.published, url=s.url,
            text=(text := " ".join(p.text for p in story.passages if p.number == s.number)),
            start=0, end=len(text), score=1.0, similarity=1.0,
        )
        for s in story.sources
    ]  # fmt: skip


def summary_messages(story: BriefStory, passages: list[Hit]) -> Messages:
    numbered = "\n\n".join(
        f"[{n}] {hit.title} ({hit.source or 'unknown outlet'}, {hit.published or 'undated'})\n{hit.text}"
        for n, hit in enumerate(passages, start=1)
        if hit.text
    )
    return [
        {"role": "system", "content": SUMMARY_SYSTEM},
        {"role": "user", "content": f"Passages:\n\n{numbered}\n\nStory: {story.headline}\nOne sentence:"},
    ]


def summarize(story: BriefStory, model: AnsweringModel) -> str:
    """The model's first sentence about the story when the verification keeps it whole (every name, number and
    date in the passages it cites, its words together there); "" otherwise."""
    passages = story_passages(story)
    if not any(hit.text for hit in passages):
        return ""
    reply, _ = read_all(model.stream(summary_messages(story, passages), SUMMARY_TOKENS, markers=len(passages)))
    reply = reply.strip()
    ranges = sentence_ranges(reply)
    if not ranges:
        return ""
    first = reply[ranges[0][0] : ranges[0][1]]
    verified = verify_answer(first, passages)
    return verified.text if verified.support and not verified.unsupported else ""
