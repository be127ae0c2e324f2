"""The second reading: an answer is kept only when the question asked again on its evidence alone gets a short
answer the answer holds; a declined reply is recovered only when two readings of different articles agree and
the verification keeps what they say. Pure comparisons, then the real QA path with a scripted model and the
real embedder over real index files."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answering.qa import QA
from rag.answering.second_reading import SHORT_SYSTEM, agreement, says_not_stated
from rag.index.indexing import build_index
from rag.markers import ABSTAIN
from rag.text.question import read_question


@pytest.mark.parametrize(
    ("question", "short", "answer", "agrees"),
    [
        ("Who won the cup final?", "Manchester City", "Manchester City won the cup final [1].", True),
        ("Who won the cup final?", "Manchester City", "Arsenal won the cup final at Wembley [1].", False),
        ("Who saved the decisive penalty?", "The City goalkeeper", "The Arsenal captain saved it [1].", False),
        ("By how much did the bank raise rates?", "a quarter point", "By a quarter point [1].", True),
        ("How many houses burned?", "200 houses", "At least 300 houses burned [1].", False),
        ("How many houses burned?", "two hundred", "At least 200 houses were destroyed [1].", True),
        ("Did the bank raise rates?", "Yes.", "Yes, it raised its main rate [1].", True),
        ("Did the bank raise rates?", "No", "Yes, it raised its main rate [1].", False),
        ("Where did leaders meet?", "not stated", "Leaders met in Budapest [1].", False),
        ("Where did leaders meet?", "The text does not say.", "Leaders met in Budapest [1].", False),
    ],
)
def test_agreement_compares_what_the_short_answer_names(question, short, answer, agrees):
    assert (agreement(short, answer, read_question(question)) > 0) is agrees


def test_a_short_answer_that_finds_nothing_is_told_apart():
    assert says_not_stated("Not stated.") and says_not_stated("") and says_not_stated("The text does not mention it")
    assert not says_not_stated("Budapest")


WIRE = """Security summit opens in Budapest
October 14, 2025
A two-day security summit of twelve European governments opened in Budapest on Tuesday.
Energy supplies and border controls lead the agenda, a wire service reported.
"""  # a second outlet on the summit: two articles a recovery can read


@pytest.fixture
def index(make_settings, write_articles, embedder):
    settings = make_settings()
    write_articles(settings.seeds_dir)
    (settings.seeds_dir / "summit_wire.txt").write_text(WIRE, encoding="utf-8")
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    return settings


def test_an_answer_whose_evidence_names_someone_else_is_withheld(index, embedder, scripted):
    model = scripted("Arsenal won the cup final at Wembley on Saturday [1].", short=("Manchester City",))
    final = QA(index, generator=model, embedder=embedder).answer("Who won the cup final at Wembley?")
    assert final.abstained and final.abstain_reason == "readings disagree" and final.text == ABSTAIN
    assert "Arsenal" not in final.text and not final.citations
    assert final.unsupported == ["Arsenal won the cup final at Wembley on Saturday."]
    (reading,) = final.readings
    assert reading.kind == "check" and reading.reply == "Manchester City" and reading.agreement == 0
    assert "Manchester City won the cup final at Wembley" in reading.window
    assert model.messages[0]["content"] == SHORT_SYSTEM and model.short_calls == 1


def test_an_answer_the_second_reading_agrees_with_is_kept_and_shows_as_being_checked(index, embedder, scripted):
    model = scripted("Manchester City won the cup final at Wembley on Saturday [1].", short=("Manchester City",))
    parts = list(QA(index, generator=model, embedder=embedder).stream("Who won the cup final at Wembley?"))
    final = parts[-1]
    assert not final.abstained and final.text.startswith("Manchester City won") and final.citations
    assert [p.rereading for p in parts if not p.done][-1], "the draft shows as being checked while it is read again"
    assert final.readings[0].agreement == 1.0 and final.timings.reread_s is not None
    assert final.to_dict()["readings"][0]["reply"] == "Manchester City"  # the API's answer object carries it


def test_an_answer_whose_evidence_read_again_answers_nothing_is_withheld(index, embedder, scripted):
    model = scripted("Manchester City won the cup final at Wembley on Saturday [1].", short=("not stated",))
    final = QA(index, generator=model, embedder=embedder).answer("Who won the cup final at Wembley?")
    assert final.abstained and final.abstain_reason == "readings disagree" and final.readings[0].reply == "not stated"


def test_a_decline_is_recovered_only_when_two_articles_readings_agree(index, embedder, scripted):
    question, recovering = "Which city hosted the security summit?", replace(index, recover_declines=True)
    agreeing = scripted(ABSTAIN, short=("Budapest",))  # declines; two readings of two articles agree
    assert QA(index, generator=agreeing, embedder=embedder).answer(question).abstained  # off by default
    assert agreeing.short_calls == 0
    final = QA(recovering, generator=agreeing, embedder=embedder).answer(question)
    assert not final.abstained and final.text.startswith("Budapest [") and final.support
    assert [r.kind for r in final.readings] == ["recover", "recover"] and agreeing.short_calls == 2
    windows = [r.window for r in final.readings]
    assert windows[0] != windows[1], "the two readings read different articles"

    alone = scripted(ABSTAIN, short=("Budapest", "not stated"))
    final = QA(recovering, generator=alone, embedder=embedder).answer(question)
    assert final.abstained and final.abstain_reason == "declined" and len(final.readings) == 2


def test_a_recovered_answer_the_passages_do_not_hold_is_not_shown(index, embedder, scripted):
    model = scripted(ABSTAIN, short=("Vienna",))  # two readings agree on what no passage says
    recovering = replace(index, recover_declines=True)
    final = QA(recovering, generator=model, embedder=embedder).answer("Which city hosted the security summit?")
    assert final.abstained and "Vienna" not in final.text


def test_the_second_reading_can_be_turned_off(make_settings, write_articles, embedder, scripted):
    settings = make_settings(second_reading=False)
    write_articles(settings.seeds_dir)
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    model = scripted("Arsenal won the cup final at Wembley on Saturday [1].")
    final = QA(settings, generator=model, embedder=embedder).answer("Who won the cup final at Wembley?")
    assert not final.abstained and not final.readings and model.calls == 1
