"""The statement check: each kept sentence is removed unless the model, asked whether the sentences of its cited
passages closest to it say it, answers yes. The real QA path with a scripted model that reads its odds from
the prompt, the real embedder and real index files; the default model's own judgement is in test_real_model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answering.qa import QA
from rag.answering.statement_check import STATED, p_yes
from rag.index.indexing import build_index

TRUE = "Manchester City won the cup final at Wembley on Saturday [1]."
TURNED = "The Arsenal captain saved the decisive penalty [1]."  # every word in the passage, the relation not
REVERSED = "Arsenal beat Manchester City five to four on penalties [1]."  # the same, beside a true sentence


def says_only(*true_claims: str):
    """Odds for a model that says yes when the asked sentence is one of true_claims, no otherwise."""

    def odds(messages):
        asked = messages[-1]["content"]
        if "Does the text say:" not in asked:
            return {"NONE": 0.5, "A": 0.5}
        said = asked.split("Does the text say:")[1]
        return {"Yes": 0.9, "No": 0.1} if any(claim in said for claim in true_claims) else {"No": 0.8, "Yes": 0.2}

    return odds


@pytest.fixture
def index(make_settings, write_articles, embedder):
    settings = make_settings()
    write_articles(settings.seeds_dir)
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    return settings


def test_a_sentence_its_evidence_does_not_say_is_removed_and_the_rest_stays(index, embedder, scripted):
    model = scripted(f"{TRUE} {REVERSED}", odds=says_only("Manchester City won"), short=("Manchester City",))
    final = QA(index, generator=model, embedder=embedder).answer("Who won the cup final at Wembley?")
    assert not final.abstained and final.text.startswith("Manchester City won") and "Arsenal beat" not in final.text
    assert final.unsupported == ["Arsenal beat Manchester City five to four on penalties."]
    stated = [r for r in final.readings if r.kind == "stated"]
    assert [r.reply for r in stated] == ["yes", "no"] and stated[1].agreement == pytest.approx(0.2)
    assert "beating Arsenal five to four on penalties" in stated[1].window  # the sentences closest to it
    assert all(s.sentence in final.text for s in final.support) and final.citations


def test_an_answer_none_of_whose_sentences_its_evidence_says_is_withheld(index, embedder, scripted):
    model = scripted(TURNED, odds=says_only("nothing of it"), short=("The City goalkeeper",))
    final = QA(index, generator=model, embedder=embedder).answer("Who saved the decisive penalty in the cup final?")
    assert final.abstained and final.abstain_reason == "not stated" and not final.citations
    assert "Arsenal captain" not in final.text and final.unsupported == ["The Arsenal captain saved the decisive penalty."]
    assert model.short_calls == 0, "a withheld answer is not read again"


def test_a_model_without_token_odds_or_that_says_neither_leaves_the_sentence(index, embedder, scripted):
    plain = scripted(TRUE, short=("Manchester City",))  # no next_token: the check cannot run
    final = QA(index, generator=plain, embedder=embedder).answer("Who won the cup final at Wembley?")
    assert not final.abstained and not [r for r in final.readings if r.kind == "stated"]
    neither = scripted(TRUE, odds={"The": 1.0}, short=("Manchester City",))
    final = QA(index, generator=neither, embedder=embedder).answer("Who won the cup final at Wembley?")
    assert not final.abstained and [r.reply for r in final.readings if r.kind == "stated"] == ["neither"]


def test_the_statement_check_can_be_turned_off(index, embedder, scripted):
    model = scripted(f"{TRUE} {REVERSED}", odds=says_only("Manchester City won"), short=("Manchester City",))
    final = QA(replace(index, statement_check=False), generator=model, embedder=embedder).answer(
        "Who won the cup final at Wembley?"
    )
    assert "Arsenal beat" in final.text and not [r for r in final.readings if r.kind == "stated"]


def test_a_server_that_refuses_token_odds_leaves_the_sentence_unjudged():
    from rag.answering.statement_check import read_statement
    from rag.errors import RagError

    class Refusing:
        def next_token(self, messages, top=20, reuse_prefix=False):
            raise RagError("the answering server refused: logprobs are not supported")

    reading = read_statement(Refusing(), "Manchester City won the cup final.", TRUE)
    assert (reading.reply, reading.agreement) == ("neither", None)


def test_p_yes_weighs_yes_against_no_only():
    assert p_yes({"Yes": 0.6, "yes": 0.1, "No": 0.3, "The": 0.5}) == pytest.approx(0.7)
    assert p_yes({"The": 1.0}) is None and 0 < STATED < 1
