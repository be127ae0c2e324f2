"""Verification against the passages (pure): the names, numbers and quoted words of a question must stand in the
retrieved passages, and those of every answer sentence in the passages it cites."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answering.citations import cite_sentence, marker_numbers, sentence_ranges, tidy
from rag.markers import MARKER
from rag.model import Hit, Support, readable_date
from rag.text.claims import NUMBER_WORDS, Haystack, speakers, specifics, words
from rag.text.question import Question
from rag.text.sentences import sentence_spans
from rag.text.words import STOPWORDS

MIN_WORD_SUPPORT = 0.5  # share of a sentence's content words its cited passages must hold
WINDOW_SENTENCES = 3  # the claims an answer sentence adds must stand within this many consecutive sentences
_ABOUT_PASSAGES = frozenset(
    "according passage passages article articles news source sources report reports "
    "reported indexed mention mentions mentioned provide provided information yes "
    "no".split()
)  # words about the passages, and verdicts: no content to look up
_NEGATION = re.compile(
    r"\b(?:not|never|no|none|neither|nor|cannot|without|lacks?|lacked|lacking)\b|n't\b", re.IGNORECASE
)
# A question's qualifier restated as fact ("the former speaker", "a right turn", "another mild drought") must stand
# in a cited passage: the question's premise repeated is no evidence of it (chosen on the labelled sentences'
# fitting half; superlatives in -est and "most" stay out: they often modify another part of the question).
QUALIFIERS = frozenset(
    "first last final only former latest record left right north south east west northern southern eastern "
    "western upper lower mild severe major minor".split()
)
_ABOUT_THE_PASSAGES = re.compile(r"\b(?:passages?|articles?|sources?)\s+(?:do|does|did)\s+not\b", re.IGNORECASE)


@dataclass(frozen=True)
class Verified:
    """An answer text with only its verified sentences, what each relies on, and the sentences removed."""

    text: str
    support: list[Support]
    unsupported: list[str]

    @property
    def claims(self) -> int:
        """Kept sentences that state something (they have a support span)."""
        return len(self.support)


def describe(hit: Hit) -> str:
    """A passage with its header words: title, source, date (both forms) and text."""
    return passage_words(hit.title, hit.source, hit.published, hit.text)


def passage_words(title: str, source: str, published: str | None, text: str) -> str:
    """The words a claim may be found in: the passage text with its title, source and date (both forms)."""
    return " ".join(part for part in (title, source, published or "", readable_date(published), text) if part)


def missing_from(question: Question, hits: Sequence[Hit], also: Sequence[str] = ()) -> list[str]:
    """The question's names, numbers and quoted phrases that none of the passages (nor their titles, sources
    and dates) hold, nor the texts in also (the names of the index's sources); words that only describe the
    kind of answer ("European" in "Which European country") are not required."""
    haystack = Haystack([*(describe(hit) for hit in hits), *also])  # number words count things, name nothing
    wanted = [claim for claim in question.claims if claim not in NUMBER_WORDS and claim not in question.descriptors]
    return [claim for claim in wanted if not haystack.has(claim)]


def _content_words(text: str) -> list[str]:
    return [w for w in words(MARKER.sub(" ", text)) if w not in STOPWORDS and w not in _ABOUT_PASSAGES]


def supported(sentence: str, haystack: Haystack, asked: frozenset[str] = frozenset()) -> bool:
    """Every specific of the sentence stands in the passages (a number word the question used may be left
    out: "the two supermarkets"), and so do at least MIN_WORD_SUPPORT of its
    content words that are not the question's own (asked: the question's words)."""
    claims = [c for c in specifics(sentence, opening_words=True) if not (c in NUMBER_WORDS and c in asked)]
    if not all(haystack.has(claim) for claim in claims):
        return False
    named = {word for claim in claims for word in words(claim)}  # found as a whole ("United States" by "U.S.")
    own = [w for w in _content_words(sentence) if w not in asked]
    return not own or sum(w in named or haystack.has_word(w) for w in own) / len(own) >= MIN_WORD_SUPPORT


def states_something(sentence: str) -> bool:
    """False for a sentence with nothing of its own to check ("Yes [1].", "The passages do not mention it.")."""
    if _ABOUT_THE_PASSAGES.search(sentence):
        return False
    return bool(specifics(sentence, opening_words=True) or _content_words(sentence))


def support_span(sentence: str, passage: str, asked: frozenset[str] = frozenset()) -> tuple[int, int]:
    """(start, end) of the passage sentence that holds most of what the answer sentence adds to the question
    (asked: the question's words), then most of its other words."""
    wanted = set(_content_words(sentence))
    spans = sentence_spans(passage) or [(0, len(passage))]

    def shared(span: tuple[int, int]) -> tuple[int, int]:
        have = wanted & set(_content_words(passage[span[0] : span[1]]))
        return len(have - asked), len(have)

    return max(spans, key=shared)


@dataclass(frozen=True)
class Window:
    """WINDOW_SENTENCES consecutive sentences of a passage with its title, source and date: their words, and
    who they say spoke (the passage's source speaks in all of it: "The Verge said ...")."""

    words: Haystack
    speakers: tuple[str, ...]

    def lets_speak(self, name: str) -> bool:
        """True when the window has the name speak, or has "they" speak while it names them, or "he" or "she"
        while it names them and they are no acronym ("NATO" is no "he")."""
        if any(Haystack([speaker]).has(name) for speaker in self.speakers):
            return True
        pronouns = {speaker.lower() for speaker in self.speakers}
        person = not re.fullmatch(r"[A-Z0-9.&-]+", name.strip())
        return bool(pronouns & ({"they", "he", "she"} if person else {"they"})) and self.words.has(name)


def windows(hit: Hit) -> list[Window]:
    """The passage read as windows of WINDOW_SENTENCES consecutive sentences, each with the passage's title,
    source and date: the claims one answer sentence adds to the question must stand together in one."""
    header = passage_words(hit.title, hit.source, hit.published, "")
    sentences = [hit.text[start:end] for start, end in sentence_spans(hit.text)] or [hit.text]
    reach = WINDOW_SENTENCES // 2
    read = []
    for i in range(len(sentences)):
        near = sentences[max(0, i - reach) : i + reach + 1]
        said = tuple(name for text in near for name in speakers(text, roles=True))
        read.append(Window(Haystack([header, *near]), (*said, hit.source) if hit.source else said))
    return read


def _negation_held(sentence: str, every: list[Window], asked: frozenset[str]) -> bool:
    """A sentence that denies ("is not", "never", "lacks") what the question did not deny must have its denial
    in a window that holds at least MIN_WORD_SUPPORT of its content words: "The primary law is not the
    Treaties" is not backed by a passage that calls the Treaties the primary law."""
    if not _NEGATION.search(MARKER.sub(" ", sentence)) or asked & {"not", "never", "no", "t", "without", "lack"}:
        return True
    own = set(_content_words(sentence))
    return any(
        _NEGATION.search(window.words.text)
        and sum(window.words.has_word(w) for w in own) >= MIN_WORD_SUPPORT * len(own)
        for window in every
    )


def _qualifiers_held(sentence: str, every: list[Window], asked: frozenset[str]) -> bool:
    """Each QUALIFIERS word the sentence takes from the question stands in a window of a cited passage."""
    restated = {w for w in words(MARKER.sub(" ", sentence)) if w in QUALIFIERS and w in asked}
    return all(any(window.words.has_word(w) for window in every) for w in restated)


def _backed(sentence: str, passages: list[list[Window]], asked: frozenset[str]) -> bool:
    """The sentence's claims stand in the passages it cites, and those it adds to the question's stand
    together in one window of one of them; a sentence citing several passages (a comparison of two reports)
    may take its new claims from windows of each that also hold something the sentence says of them (not only
    the name: "Manchester City hosted the summit [1][2]" is no comparison), all of them covered. Whoever it
    says spoke must speak in the window that holds its claims ("NATO said ..." is not backed by "Lavrov said
    ... NATO's expansion"), and a qualifier it repeats from the question must stand there too."""
    every = [window for windows_of in passages for window in windows_of]
    if not supported(sentence, Haystack.union(window.words for window in every), asked):
        return False
    said = speakers(sentence)
    if not all(any(window.lets_speak(name) for window in every) for name in said):
        return False
    if not _negation_held(sentence, every, asked) or not _qualifiers_held(sentence, every, asked):
        return False
    new = [claim for claim in specifics(sentence, opening_words=True) if not set(words(claim)) <= asked]
    together = [window for window in every if all(window.words.has(claim) for claim in new)]
    if together:  # and whoever it says spoke speaks there
        return any(all(window.lets_speak(name) for name in said) for window in together)
    claimed = {word for claim in new for word in words(claim)}
    ties = [w for w in _content_words(sentence) if w not in claimed]  # what it says of them
    covered: set[str] = set()
    for windows_of in passages if len(passages) > 1 else []:
        for window in windows_of:
            if not ties or any(window.words.has_word(w) for w in ties):
                covered |= {claim for claim in new if window.words.has(claim)}
    return covered == set(new)


def _words_of(read: list[list[Window]], cited: list[int]) -> Haystack:
    """What the cited passages (numbered from 1 in read) hold, title, source and date included."""
    return Haystack.union(window.words for n in cited for window in read[n - 1])


def _names_as_held(sentence: str, held: Haystack) -> str:
    """The sentence with each person's name as its cited passages (held) write it: a given name they lack is
    the model's own ("Sam Bankman-Fried [1]" where the passage says "Bankman-Fried" shows "Bankman-Fried")."""
    for claim in specifics(sentence, opening_words=True):
        sentence = sentence.replace(claim, held.as_held(claim), 1)
    return sentence


def verify_answer(
    text: str, sources: Sequence[Hit], question: Question | None = None, shown: Sequence[Hit] | None = None
) -> Verified:
    """Keep the sentences whose specifics and words stand together in the passages they cite (an uncited
    sentence: in a passage, which it then cites); the others are removed into unsupported. Sentences that
    state nothing of their own stay as they are. Each kept sentence that states something gets its support
    span, in the passage as shown (default: as in sources)."""
    read = [windows(hit) for hit in sources]
    asked = question.words if question else frozenset()
    pieces: list[str] = []
    support: list[Support] = []
    unsupported: list[str] = []
    done = 0
    for start, end in sentence_ranges(text):
        sentence = text[start:end]
        pieces.append(text[done:start])
        done = end
        cited = list(
            dict.fromkeys(
                n for match in MARKER.finditer(sentence) for n in marker_numbers(match) if 1 <= n <= len(sources)
            )
        )
        if not states_something(sentence):  # "Yes [1].", "The passages do not say."; naming an article no
            named = _words_of(read, cited)  # cited passage is from: removed
            if all(named.has(claim) for claim in specifics(sentence, opening_words=True)):
                pieces.append(_names_as_held(sentence, named))
            else:
                unsupported.append(tidy(MARKER.sub("", sentence)))
            continue
        if not cited or not _backed(sentence, [read[n - 1] for n in cited], asked):
            alone = [n for n, windows_of in enumerate(read, start=1) if _backed(sentence, [windows_of], asked)]
            if not alone:
                unsupported.append(tidy(MARKER.sub("", sentence)))
                continue
            cited = alone[:1]
            sentence = cite_sentence(sentence, cited[0])
        sentence = _names_as_held(sentence, _words_of(read, cited))
        best = max(cited, key=lambda n: len(set(_content_words(sentence)) & set(_content_words(sources[n - 1].text))))
        support.append(Support(sentence, best, *support_span(sentence, (shown or sources)[best - 1].text, asked)))
        pieces.append(sentence)
    pieces.append(text[done:])
    return Verified(tidy("".join(pieces)), support, unsupported)
