"""The claims module: folding, amounts, names and their forms, speakers (pure; property tests for folding and
matching)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.text.claims import Amount, Haystack, amounts, fold, same_name, speakers, specifics, words

NEWS = Haystack([
    "Xi’s government pledged $2.5 billion to South Sudan, about 40 per cent of the plan, Foreign Minister Sergey "
    "Lavrov said. Ukrainian officials in Indiana marks the date. The Bank of England and Manchester City met "
    "five times in the Krasinski Palace Garden."
])


@pytest.mark.parametrize("claim", [
    "Xi", "Xi's", "$2.5bn", "2.5 billion", "US$2,500,000,000", "40%", "40 percent", "Sergey Lavrov",
    "President Lavrov", "South Sudan", "Ukraine", "Ukrainians", "Bank of England", "Manchester City", "5", "five",
    "Palace Garden",
])
def test_what_the_text_holds_is_found(claim):
    assert NEWS.has(claim)


@pytest.mark.parametrize("claim", [
    "2",  # "$2.5bn" is not the number 2
    "£2.5bn", "€40m", "2.5 million",  # another currency, another value
    "Mark Carney",  # not through "marks"
    "India",  # not through "Indiana"
    "Sudan Airways", "North Sudan",  # a name set apart by its first or last word is found only as a whole
    "Manchester United",  # "Manchester" alone does not make the club
    "Upati Garden",  # a garden, park or street is not found through another of its kind
    "Bank of France",
    "Jens Stoltenberg",
])
def test_what_the_text_lacks_is_not_found(claim):
    assert not NEWS.has(claim)


def test_initials_written_with_spaces_are_the_same_initials():
    held = Haystack(["U.S. Secretary of State Marco Rubio met J.K. Rowling."])
    assert fold("U. S. officials") == fold("U.S. officials") == "us officials"
    assert held.has("U. S. Secretary of State Marco Rubio") and held.has("J. K. Rowling")
    assert held.as_held("U. S. Secretary of State Marco Rubio") == "U.S. Secretary of State Marco Rubio"
    assert words("George W. Bush") == ["george", "w", "bush"]  # one initial stays a word


def test_amounts_read_scale_currency_and_percent():
    assert amounts("$2.5bn and €40m, 3% and 1,500,000 people; the 10th day") == [
        Amount(2.5e9, "dollar"), Amount(40e6, "euro"), Amount(3, "percent"), Amount(1.5e6), Amount(10)]
    assert amounts("the 49ers") == []


def test_specifics_keep_amounts_whole_and_read_curly_quotes():
    assert specifics("Russia paid $2.5bn and €40m to “the fund” on 10th May, said Xi’s office.") == [
        '"the fund"', "$2.5bn", "€40m", "10th", "Xi's"]


def test_speakers_are_who_the_text_has_speak():
    assert speakers("Foreign Minister Sergey Lavrov stressed that NATO’s expansion must end.") == [
        "Foreign Minister Sergey Lavrov"]
    assert speakers("“No,” said Lavrov. He said so, according to Reuters.") == ["Lavrov", "He"]
    assert speakers("Sergey Lavrov said Russia would only negotiate.") == ["Sergey Lavrov"]


@given(st.text())
def test_folding_is_idempotent_plain_lowercase_ascii(text):
    folded = fold(text)
    assert folded == fold(folded)
    assert folded.isascii() and folded == folded.lower()
    assert "'" not in folded and "’" not in folded


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12))
def test_a_name_matches_itself_and_never_its_plural(word):
    assert same_name(word, word)
    if not word.endswith(("n", "i", "a", "e", "o", "y", "c", "h")):
        assert not same_name(word, word + "s")


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=60), st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10))
def test_a_word_written_in_the_text_is_found_and_one_it_does_not_share_a_start_with_is_not(text, word):
    haystack = Haystack([f"{text} {word}"])
    assert haystack.has_word(word)
    if word[:4] not in {w[:4] for w in text.split()} and len(word) >= 2:
        assert not Haystack([text]).has_word(word, name=True) or word in {"us", "uk", "eu", "un"}
