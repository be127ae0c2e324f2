"""Who said what, and when: when the passages behind an answer come from articles on one story published on
different dates, the sentence of each that best answers the question, oldest first. Reports that differ
are shown side by side instead of being merged into one answer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag.index.embedding import Embedder
from rag.model import Hit, Report
from rag.text.sentences import sentence_spans

MAX_SENTENCE_CHARS = 300
STORY_SIMILARITY = 0.6  # cosine of two passages' vectors from which they tell the same story


def same_story_dated(
    sources: Sequence[Hit], vectors: Sequence[np.ndarray], threshold: float = STORY_SIMILARITY
) -> list[int]:
    """Positions of the dated passages on the story of the first (best) one: linked to it by a chain of
    passages whose vectors are at least `threshold` cosine apart. None unless they span two or more dates."""
    story = [0] if len(sources) else []
    for member in story:  # grows while it is read: each new member may link further passages
        story += [i for i in range(len(sources)) if i not in story and float(vectors[i] @ vectors[member]) >= threshold]
    dated = sorted(i for i in story if sources[i].published)
    return dated if len({sources[i].published for i in dated}) > 1 else []


def dated_reports(
    question: str, sources: Sequence[Hit], vectors: Sequence[np.ndarray], embedder: Embedder
) -> list[Report]:
    """For each dated article on the best passage's story (numbered as in the prompt), the sentence most similar
    to the question, oldest report first. vectors holds each passage's stored (normalized) vector."""
    sentences = {
        i: [sources[i].text[start:end] for start, end in sentence_spans(sources[i].text)]
        for i in same_story_dated(sources, vectors)
    }
    positions = [i for i, group in sentences.items() if group]
    if len(positions) < 2:
        return []
    encoded = embedder.encode([question] + [s for i in positions for s in sentences[i]])
    question_vector, offset, reports = encoded[0], 1, []
    for i in positions:
        group = sentences[i]
        scores = encoded[offset : offset + len(group)] @ question_vector
        offset += len(group)
        best = " ".join(group[int(scores.argmax())].split())
        if len(best) > MAX_SENTENCE_CHARS:
            best = best[:MAX_SENTENCE_CHARS].rsplit(" ", 1)[0] + " …"
        hit = sources[i]
        reports.append(Report(i + 1, hit.source, hit.published or "", hit.title, best))
    return sorted(reports, key=lambda r: (r.published, r.number))
