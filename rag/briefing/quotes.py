"""A story's key sentences, chosen by code and quoted word for word: central to the story (its words are the
ones its articles share), informative (names and figures), and not the lede every outlet repeats; at most
MAX_QUOTES, from different articles where it can (pure)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from rag.text.claims import specifics, words
from rag.text.sentences import sentence_spans
from rag.text.words import STOPWORDS

MAX_QUOTES = 3
MIN_WORDS, MAX_WORDS = 6, 50  # shorter is a fragment or a caption, longer a run-on paragraph
SAME_SENTENCE = 0.6  # word overlap (Jaccard) above which two outlets' sentences are the same sentence
READ_CLOSELY = 20  # the most central candidates whose names and figures are counted too
NEW_SHARE = 0.5  # a further quote must bring at least this share of words the quotes before it do not hold


@dataclass(frozen=True)
class Quote:
    """One sentence of one article, word for word."""

    article: str
    text: str


def content_terms(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS and not w.isdigit()}


def overlap(a: set[str], b: set[str]) -> float:
    """Word overlap (Jaccard) of two sentences' terms."""
    return len(a & b) / (len(a | b) or 1)


def _sentences(text: str) -> list[str]:
    """Every sentence of a text, whitespace made single."""
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]


def sentences_of(text: str) -> list[str]:
    """The sentences of an article's text that can be quoted (MIN_WORDS to MAX_WORDS words), each once."""
    return list(dict.fromkeys(s for s in _sentences(text) if MIN_WORDS <= len(s.split()) <= MAX_WORDS))


def in_context(text: str, sentence: str) -> str:
    """The sentence with the sentences before and after it in the article's text, whitespace made single (the
    sentence alone when the text does not hold it)."""
    found = _sentences(text)
    if sentence not in found:
        return sentence
    at = found.index(sentence)
    return " ".join(found[max(0, at - 1) : at + 2])


def key_sentences(texts: Mapping[str, str], titles: Mapping[str, str], outlets: Mapping[str, str]) -> list[Quote]:
    """The story's key sentences (texts, titles and outlets by article id)."""
    candidates = [(a, s, content_terms(s)) for a, text in texts.items() for s in sentences_of(text)]
    if not candidates:
        return []
    shared = Counter(t for a in texts for t in content_terms(texts[a]) | content_terms(titles.get(a, "")))
    if len(texts) == 1:  # one article: its title says what it is about
        shared.update(content_terms(next(iter(titles.values()), "")))
    lede = _repeated_everywhere(candidates, outlets)

    def central(item: tuple[str, str, set[str]]) -> float:
        return sum(shared[t] for t in item[2]) / math.sqrt(len(item[2]) or 1)

    def score(item: tuple[str, str, set[str]]) -> float:  # names and figures read only for the most central
        return central(item) + 0.5 * len(specifics(item[1]))

    kept = sorted((c for c in candidates if c[1] not in lede), key=lambda c: (-central(c), c[0], c[1]))
    chosen: list[tuple[str, str, set[str]]] = []
    ranked = sorted(kept[:READ_CLOSELY], key=lambda c: (-score(c), c[0], c[1])) + kept[READ_CLOSELY:]
    for other_articles in (True, False):  # from an article not quoted yet first, then from any
        for item in ranked:
            covered = set().union(*(c[2] for c in chosen))
            new = len(item[2] - covered) / (len(item[2]) or 1)
            fits = not other_articles or all(item[0] != c[0] for c in chosen)
            if len(chosen) < MAX_QUOTES and item not in chosen and fits and (not chosen or new >= NEW_SHARE):
                chosen.append(item)
    return [Quote(article, sentence) for article, sentence, _ in chosen]


def _repeated_everywhere(candidates: list[tuple[str, str, set[str]]], outlets: Mapping[str, str]) -> set[str]:
    """Sentences that every outlet of a story of two or more outlets carries in nearly the same words."""
    every = set(outlets.values())
    if len(every) < 2:
        return set()
    repeated = set()
    for article, sentence, terms in candidates:
        carried = {
            outlets[other]
            for other, _, more in candidates
            if other != article and overlap(terms, more) >= SAME_SENTENCE
        }
        if carried | {outlets[article]} == every:
            repeated.add(sentence)
    return repeated
