"""Verification against the passages (pure): the names, numbers and quoted words of a question must stand in the
retrieved passages, and those of every answer sentence in the passages it cites."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.answering.citations import answer_sentences, cite_sentence, marker_numbers, sentence_ranges, tidy
from rag.answering.prompting import readable_date
from rag.markers import MARKER
from rag.search.retrieval import Hit
from rag.text.sentences import sentence_spans
from rag.text.words import STOPWORDS

MIN_WORD_SUPPORT = 0.5  # share of a sentence's content words its cited passages must hold
WINDOW_SENTENCES = 3  # the claims an answer sentence adds must stand within this many consecutive sentences
# Capitalised words that name no one: question and sentence openers, months, days, titles, name glue.
_NOT_NAMES = frozenset(
    """i a an the this that these those what which who whom whose when where why how is are was
were do does did has have had can could will would should may might must and or but of in on at to for from by
with about as after before since during if yes no not also however meanwhile both there it its they their he his
she her we our some many most all several other another each while although because despite following based
overall today yesterday earlier later now then here currently recently according name list describe explain tell
give january february march april june july august september october november december monday tuesday
wednesday thursday friday saturday sunday mr mrs ms dr sir st president prime minister secretary chancellor
governor senator king queen prince pope general ceo chairman chief head leader director judge justice court
supreme house senate congress parliament government department ministry state party university company inc corp
news report reports article articles passage passages source sources new first last""".split()
)
# Nationality words whose country is spelled differently (regular ones match by their shared start).
_DEMONYMS = {
    "french": "france",
    "dutch": "netherlands",
    "swiss": "switzerland",
    "british": "britain",
    "english": "england",
    "welsh": "wales",
    "scottish": "scotland",
    "irish": "ireland",
    "spanish": "spain",
    "turkish": "turkey",
    "swedish": "sweden",
    "danish": "denmark",
    "finnish": "finland",
    "polish": "poland",
    "norwegian": "norway",
    "filipino": "philippines",
    "thai": "thailand",
    "icelandic": "iceland",
    "lebanese": "lebanon",
}
_ALIASES = {
    "us": ("united states", "america", "american"),
    "usa": ("united states", "america"),
    "uk": ("united kingdom", "britain", "british"),
    "eu": ("european union",),
    "un": ("united nations",),
    "uae": ("united arab emirates",),
}
_SHORT_FORMS: dict[str, list[str]] = {}
for _short, _longs in _ALIASES.items():
    for _long in _longs:
        _SHORT_FORMS.setdefault(_long, []).append(_short)
_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
    if value >= 2
}
_NUMBER_WORDS.update(
    {
        word: str(10 * tens)
        for tens, word in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), start=3)
    }
)
_NAME_RUN = re.compile(r"(?<![\w’'])[A-Z][\w’'.&-]*(?:\s+(?:(?:of|the|de|la|van|von|al|bin)\s+)?[A-Z][\w’'.&-]*)*")
_OPENERS = re.compile(
    r"^(?:(?:" + "|".join(w.capitalize() for w in sorted(_NOT_NAMES) if w != "the") + r")\s+)+(?=[A-Z])"
)  # capitalised words that open a name run
_QUOTED = re.compile(r"[\"“]([^\"”]{3,80})[\"”]")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:(?=(?:st|nd|rd|th)\b)|\b)")  # "10th", not "49ers"
_ABOUT_PASSAGES = frozenset(
    "according passage passages article articles news source sources report reports "
    "reported indexed mention mentions mentioned provide provided information yes "
    "no".split()
)  # words about the passages, and verdicts: no content to look up
_ABOUT_THE_PASSAGES = re.compile(r"\b(?:passages?|articles?|sources?)\s+(?:do|does|did)\s+not\b", re.IGNORECASE)


@dataclass(frozen=True)
class Support:
    """Where a shown answer sentence is backed: its citation number and the character offsets of the supporting
    sentence in that citation's passage."""

    sentence: str
    citation: int
    start: int
    end: int


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


def fold(text: str) -> str:
    """Lowercase, accents off, possessives and acronym dots dropped, thousands separators removed: the form in
    which the question's and the passages' spellings are compared ("U.S." -> "us", "Orbán's" -> "orban")."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"\b([a-z](?:\.[a-z])+)\.?(?![a-z])", lambda m: m.group(1).replace(".", ""), text)
    text = re.sub(r"(\d),(?=\d{3}\b)", r"\1", text)
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", r"\1", text)  # "10th" -> "10"
    return re.sub(r"'s\b|'", "", text.replace("’", "'"))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:\.\d+)?", fold(text))


def _same_family(word: str, other: str) -> bool:
    """ "ukraine" ~ "ukrainian", "china" ~ "chinese", "democrats" ~ "democratic": one word in other forms."""
    if word == other:
        return True
    if word[0].isdigit() or other[0].isdigit():
        return False
    shared = 0
    while shared < min(len(word), len(other)) and word[shared] == other[shared]:
        shared += 1
    return shared >= 4 and shared >= min(len(word), len(other)) - 1


class Haystack:
    """The words of some passages (text, title, source, date), to look up what a claim names."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.words = _words(" ".join(texts))
        self.text = f" {' '.join(self.words)} "
        self._by_start: dict[str, set[str]] = {}
        for word in self.words:
            self._by_start.setdefault(word[:4], set()).add(word)

    def has_word(self, word: str) -> bool:
        """The word, a form of it ("Ukrainian" for "Ukraine", "Americans" for "American"), its number, its
        country ("French": "France") or an alias ("US": "United States") is present."""
        forms = {word, _DEMONYMS.get(word, word), _NUMBER_WORDS.get(word, word)}
        forms |= {w for w, n in _NUMBER_WORDS.items() if n == word} | set(_ALIASES.get(word, ()))
        forms |= {people for people, country in _DEMONYMS.items() if country == word}
        if any(f" {form} " in self.text for form in forms):
            return True
        return any(
            _same_family(form, other) for form in forms if " " not in form for other in self._by_start.get(form[:4], ())
        )

    def has(self, claim: str) -> bool:
        """True when the passages hold the claim: a number as written, a quoted phrase by all of its words, a
        name by any of its own words (not titles: "President Biden" by "Biden")."""
        words = _words(claim)
        if any(f" {short} " in self.text for short in _SHORT_FORMS.get(" ".join(words), ())):
            return True  # "United States" by "U.S."
        if claim.startswith('"'):
            return all(self.has_word(w) for w in words if w not in STOPWORDS)
        significant = [w for w in words if w not in _NOT_NAMES] or words
        return any(self.has_word(w) for w in significant)


def describe(hit: Hit) -> str:
    """A passage with its header words: title, source, date (both forms) and text."""
    return passage_words(hit.title, hit.source, hit.published, hit.text)


def passage_words(title: str, source: str, published: str | None, text: str) -> str:
    """The words a claim may be found in: the passage text with its title, source and date (both forms)."""
    return " ".join(part for part in (title, source, published or "", readable_date(published), text) if part)


def specifics(text: str, opening_words: bool = False) -> list[str]:
    """The names, numbers, number words and quoted phrases a text states, in order of kind. A capitalised word
    opening a sentence is a name only when another capitalised word follows it ("Jens Stoltenberg said"), or,
    with opening_words (answer sentences), when it is no common opener ("Budapest hosted ...")."""
    text = MARKER.sub(" ", text)
    found: list[str] = [f'"{m.group(1)}"' for m in _QUOTED.finditer(text)]
    found += [m.group(0).rstrip(".,") for m in _NUMBER.finditer(text)]
    found += [w for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS]
    words = re.findall(r"[A-Za-z]+", text)
    if not opening_words and len(words) >= 4 and sum(w[0].isupper() for w in words) > 0.7 * len(words):
        # a question in title case ("What Happened Last Week?"): its capitals name nothing
        return list(dict.fromkeys(found))
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        for match in _NAME_RUN.finditer(sentence):
            run = match.group(0).rstrip(".’'-")
            words = [w for w in _words(run) if w not in _NOT_NAMES and w not in STOPWORDS]
            if not words:
                continue
            opens = not sentence[: match.start()].strip(" \"“'(-")
            if opens and " " not in run and not (opening_words and _looks_like_name(words[0])):
                continue  # "Where ...", "Leaders met ...": a sentence's first word is capitalised anyway
            found.append(_OPENERS.sub("", run))  # "Did The Verge" is named as "The Verge"
    return list(dict.fromkeys(found))


def _looks_like_name(word: str) -> bool:
    """An opening word that is no adverb, participle or plural noun ("Recently", "Following", "Leaders")."""
    return not re.search(r"(?:ly|ing|ed|s)$", word)


def missing_from(question: str, hits: Sequence[Hit], also: Sequence[str] = ()) -> list[str]:
    """The question's names, numbers and quoted phrases that none of the passages (nor their titles, sources
    and dates) hold, nor the texts in also (the names of the index's sources)."""
    haystack = Haystack([*(describe(hit) for hit in hits), *also])  # number words count things, name nothing
    return [claim for claim in specifics(question) if claim not in _NUMBER_WORDS and not haystack.has(claim)]


def _content_words(text: str) -> list[str]:
    return [w for w in _words(MARKER.sub(" ", text)) if w not in STOPWORDS and w not in _ABOUT_PASSAGES]


def supported(sentence: str, haystack: Haystack, asked: frozenset[str] = frozenset()) -> bool:
    """Every specific of the sentence stands in the passages (a number word the question used may be left out:
    "the two supermarkets"), and so do at least MIN_WORD_SUPPORT of its content words that are not the
    question's own (asked: the question's words)."""
    claims = [c for c in specifics(sentence, opening_words=True) if not (c in _NUMBER_WORDS and c in asked)]
    if not all(haystack.has(claim) for claim in claims):
        return False
    named = {word for claim in claims for word in _words(claim)}  # found as a whole ("United States" by "U.S.")
    words = [w for w in _content_words(sentence) if w not in asked]
    return not words or sum(w in named or haystack.has_word(w) for w in words) / len(words) >= MIN_WORD_SUPPORT


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


def windows(hit: Hit) -> list[Haystack]:
    """The passage read as windows of WINDOW_SENTENCES consecutive sentences, each with the passage's title,
    source and date: the claims one answer sentence adds to the question must stand together in one."""
    header = passage_words(hit.title, hit.source, hit.published, "")
    sentences = [hit.text[start:end] for start, end in sentence_spans(hit.text)] or [hit.text]
    reach = WINDOW_SENTENCES // 2
    return [Haystack([header, *sentences[max(0, i - reach) : i + reach + 1]]) for i in range(len(sentences))]


def _backed(sentence: str, passages: list[list[Haystack]], asked: frozenset[str]) -> bool:
    """The sentence's claims stand in the passages it cites, and those it adds to the question's stand
    together in one window of one of them; a sentence citing several passages may draw its new claims from
    all of them together (a comparison of two reports)."""
    whole = Haystack([window.text for windows_of in passages for window in windows_of])
    if not supported(sentence, whole, asked):
        return False
    new = [claim for claim in specifics(sentence, opening_words=True) if not set(_words(claim)) <= asked]
    return len(passages) > 1 or any(
        all(window.has(claim) for claim in new) for windows_of in passages for window in windows_of
    )


def verify_answer(
    text: str, sources: Sequence[Hit], question: str = "", shown: Sequence[Hit] | None = None
) -> Verified:
    """Keep the sentences whose specifics and words stand together in the passages they cite (an uncited
    sentence: in a passage, which it then cites); the others are removed into unsupported. Sentences that
    state nothing of their own stay as they are. Each kept sentence that states something gets its support
    span, in the passage as shown (default: as in sources)."""
    read = [windows(hit) for hit in sources]
    asked = frozenset(_words(question))
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
            named = Haystack([w.text for n in cited for w in read[n - 1]])  # cited passage is from: removed
            if all(named.has(claim) for claim in specifics(sentence, opening_words=True)):
                pieces.append(sentence)
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
        best = max(cited, key=lambda n: len(set(_content_words(sentence)) & set(_content_words(sources[n - 1].text))))
        support.append(Support(sentence, best, *support_span(sentence, (shown or sources)[best - 1].text, asked)))
        pieces.append(sentence)
    pieces.append(text[done:])
    return Verified(tidy("".join(pieces)), support, unsupported)


def unfound_claims(text: str, passages: Mapping[int, str]) -> list[str]:
    """The sentences of a shown answer that state a name, number or quoted phrase the passages they cite
    (passages: citation number -> passage_words) do not hold; an uncited sentence stating one counts too."""
    found = []
    for sentence in answer_sentences(text):
        cited = [passages[n] for match in MARKER.finditer(sentence) for n in marker_numbers(match) if n in passages]
        haystack = Haystack(cited)
        if any(not haystack.has(claim) for claim in specifics(sentence, opening_words=True)):
            found.append(sentence)
    return found
