"""The step before the model: decide from the passages alone whether the model may answer, or abstain
(EarlyAnswer) when nothing was retrieved, the question names something no passage mentions, the best passage
is not close enough, or nothing in the asked time range is about it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.answering.verify import missing_from
from rag.index.stores import ChunkStore
from rag.markers import ABSTAIN
from rag.model import Citation, Hit, cite, readable_date
from rag.search.planning import SearchPlan
from rag.text.claims import Haystack

GATE_MIN_WORDS = 3  # a question of fewer content words ("Who is Lavrov?") is too short for its similarity to tell


@dataclass(frozen=True)
class EarlyAnswer:
    """An abstention decided before the model: its text, its reason (ABSTAIN_REASONS) and what it cites."""

    text: str
    reason: str
    citations: list[Citation] = field(default_factory=list)


def check_before_model(
    plan: SearchPlan,
    hits: list[Hit],
    verify: bool = True,
    answer_similarity: float = 0.0,
    candidates: Sequence[Hit] = (),
    sources: Sequence[str] = (),
    in_index: Callable[[str], bool] = lambda claim: False,
) -> EarlyAnswer | None:
    """An abstention decided from the passages alone, or None to ask the model: no passage, the question
    names something that none of the passages nor the other candidates mention (sources the index holds count
    as mentioned), the best passage is less similar to the question than answer_similarity, or nothing in its
    time range was relevant (the nearest earlier report is named and cited instead of being presented as news
    of that range). "The indexed articles do not mention X" is said only when in_index (the whole index, see
    index_holds) does not hold X either; otherwise what is true: no passage close to the question mentions it."""
    if not hits:
        return EarlyAnswer(ABSTAIN, "nothing retrieved")
    if not verify:
        return None
    question = plan.user
    missing = missing_from(question, [*hits, *candidates], sources)
    if missing:  # said first: it tells the reader what is missing
        names = ", ".join(missing[:-1]) + (" or " if len(missing) > 1 else "") + missing[-1]
        if any(in_index(claim) for claim in missing):
            return EarlyAnswer(f"No passage close to the question mentions {names}.", "not in the articles")
        return EarlyAnswer(f"The indexed articles do not mention {names}.", "not in the articles")
    if len(question.tokens) >= GATE_MIN_WORDS and max(hit.similarity for hit in hits) < answer_similarity:
        return EarlyAnswer(ABSTAIN, "not close enough")
    frame = plan.frame
    if frame and frame.widened:
        dated = [h for h in hits if h.published]
        span = f"from {readable_date(frame.since)} to {readable_date(frame.until or frame.reference)}"
        if not dated:
            return EarlyAnswer(f"No article {span} is about this.", "outside the time range")
        nearest = max(dated, key=lambda h: h.published or "")
        return EarlyAnswer(
            f"No article {span} is about this; the nearest report is from {readable_date(nearest.published)} [1].",
            "outside the time range",
            [cite(1, nearest)],
        )
    return None


def index_holds(store: ChunkStore, claim: str, looked_at: int = 20) -> bool:
    """True when a chunk of the whole index (with its article's title and source) holds the claim; the
    lexical index finds the chunks to read in milliseconds."""
    found = store.lexical_search(claim, looked_at)
    records = store.fetch(cid for cid, _ in found)
    texts = [
        " ".join((article.get("title") or "", article.get("source") or "", record.text))
        for cid, record in records.items()
        if (article := store.article_of(cid))
    ]
    return bool(texts) and Haystack(texts).has(claim)
