"""Where a story's outlets give different figures on the same point: pairs of sentences from two outlets that
share most of their words (SAME_POINT) but none of their amounts, to be shown side by side (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rag.briefing.quotes import Quote, content_terms, overlap, sentences_of
from rag.text.claims import amounts

SAME_POINT = 0.3  # word overlap (Jaccard) of two sentences about the same point
MAX_DIFFERENCES = 2


@dataclass(frozen=True)
class Difference:
    """Two outlets' sentences on one point, with different figures."""

    first: Quote
    second: Quote


def differing_figures(texts: Mapping[str, str], outlets: Mapping[str, str]) -> list[Difference]:
    """The story's differences (texts and outlets by article id), closest points first, one per pair of outlets."""
    figured = [
        (article, sentence, content_terms(sentence), found)
        for article, text in texts.items()
        for sentence in sentences_of(text)
        if (found := amounts(sentence))
    ]
    found_pairs: dict[tuple[str, ...], tuple[float, Difference]] = {}
    for i, (a, s, terms, figures) in enumerate(figured):
        for b, t, other_terms, other_figures in figured[i + 1 :]:
            pair = tuple(sorted((outlets[a], outlets[b])))
            if outlets[a] == outlets[b] or any(x.matches(y) for x in figures for y in other_figures):
                continue
            shared = overlap(terms, other_terms)
            if shared >= SAME_POINT and (pair not in found_pairs or shared > found_pairs[pair][0]):
                found_pairs[pair] = (shared, Difference(Quote(a, s), Quote(b, t)))
    ranked = sorted(found_pairs.values(), key=lambda item: -item[0])
    return [difference for _, difference in ranked[:MAX_DIFFERENCES]]
