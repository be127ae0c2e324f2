"""The evaluation's own reading of whether a shown sentence's specifics stand in the passages it cites: written
apart from the answer's verification (rag.answering.verify, rag.text.claims), so the metric can see that
verification's holes instead of grading it by itself.

The rule, kept deliberately plain: a sentence's specifics are its numbers (digits, thousands separators
dropped), its capitalised words (but for pronouns, articles, conjunctions, months and days) and the words of
what it quotes (a capitalised word with marks inside, "CBSSports.com", "P1.42", as its parts); each must be a word of the cited passages (text, title, source, date), compared
without case, accents, ordinal endings or possessive "'s" ("U.S." as "US", which "United States" and "America" also hold), a number also as its word ("5" as "five"), a word of five or more
letters also by another ending ("Ukrainian" for "Ukraine": the word less its last letter opens a passage word
at most three letters longer); a number also where it stands inside a word of the passage ("1960s", "£30m").
A sentence that cites nothing and states a specific counts as unfound."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from rag.markers import MARKER

_ORDINARY = frozenset(
    """i a an the this that these those it its he she they we his her their in on at of for to by from with and or
but as after before when where what which who how yes no according january february march april may june july
august september october november december monday tuesday wednesday thursday friday saturday sunday mr mrs ms
dr there both also however while although during following based overall it's some many most all several more less
only over about around nearly approximately roughly""".split()
)
_NUMBER_NAMES = "zero one two three four five six seven eight nine ten eleven twelve".split()
_CITED = re.compile(r"\d+")
_US = re.compile(r"\bU\.\s?([SK])\.")  # "U.S.", "U. S." as "US"


def _plain(text: str) -> str:
    text = _US.sub(r"U\1", text.replace("’", "'").replace("‘", "'"))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", r"\1", re.sub(r"(\d),(\d{3})", r"\1\2", text))
    return re.sub(r"'s\b", "", text)


def sentence_specifics(sentence: str) -> list[str]:
    """The numbers, names and quoted words of a shown sentence (see the module's rule), in plain form."""
    text = _US.sub(r"U\1", MARKER.sub(" ", sentence).replace("“", '"').replace("”", '"'))
    quoted = [w for phrase in re.findall(r'"([^"]+)"', text) for w in re.findall(r"[a-z0-9]+", _plain(phrase))]
    numbers = re.findall(r"\d+(?:\.\d+)?", _plain(text))
    tokens = re.findall(r"[\w'’.]+", text)
    names = []
    for token in tokens:
        word = token.strip(".'’-")
        if not word[:1].isupper() or _plain(word) in _ORDINARY:
            continue
        names += re.findall(r"[a-z0-9]+", _plain(word).replace("'", ""))  # "CBSSports.com": "cbssports", "com"
    return [s for s in dict.fromkeys(quoted + numbers + names) if s and s not in _ORDINARY]


def _held(specific: str, words: set[str]) -> bool:
    if specific in words:
        return True
    if specific.isdigit() and int(specific) < len(_NUMBER_NAMES):
        return _NUMBER_NAMES[int(specific)] in words
    if len(specific) >= 5:
        stem = specific[:-1]
        return any(w.startswith(stem) and len(w) <= len(specific) + 3 for w in words)
    return False


def unfound_sentences(sentences: list[str], passages: Mapping[int, str]) -> list[str]:
    """The sentences stating a specific that none of the passages they cite (number -> text with its title,
    source and date) holds; a sentence citing none counts when it states any."""
    found = []
    for sentence in sentences:
        cited = [int(n) for marker in MARKER.finditer(sentence) for n in _CITED.findall(marker.group(1))]
        text = " ".join(_plain(passages[n]) for n in cited if n in passages)
        words = set(re.findall(r"[a-z0-9]+(?:\.\d+)?", text))
        words |= set(re.findall(r"\d+(?:\.\d+)?", text))  # "1960s", "30m", "m3/s" hold 1960, 30, 3
        words |= set(re.findall(r"[a-z0-9]+", text.replace("'", "")))  # "D'Olier" as "dolier"
        if re.search(r"united states|\bamerican?\b", text):
            words.add("us")
        if any(not _held(specific, words) for specific in sentence_specifics(sentence)):
            found.append(sentence)
    return found
