"""The whole pipeline against a model that lies: a scripted OpenAI-compatible server on loopback (started and
stopped by the test) answers through the documented `openai:URL` path with an invention of each kind the
verification must catch, and with true replies it must keep. Real index, real embedder, real HTTP."""

from __future__ import annotations

import shutil

import pytest

from rag.answering.qa import QA
from rag.index.indexing import build_index
from tests.conftest import REPO
from tests.fakes import ChatServer

SEED = REPO / "seeds" / "000_463f5c1d11f4367e.txt"

# question -> what the lying model replies (each a kind of invention, or the truth)
LIES = {
    "What did NATO say about the summit?":  # another speaker's words put in NATO's mouth
        'NATO said it would only take part in negotiations if the "root causes of the conflict" were addressed [1].',
    "By how much did the European Central Bank raise its main interest rate?":  # an invented figure
        "The European Central Bank raised its main interest rate by 2.5 percent [1].",
    "Who won the cup final at Wembley?":  # a team the articles never name
        "Liverpool won the cup final at Wembley on Saturday [1].",
    "What did Orbán say about the meeting in Budapest?":  # an invented quotation
        'Mr. Orbán called the meeting "a historic victory for Hungary" [1].',
    "Which city hosted the security summit, and who won the cup final?":  # a pairing across two reports
        "Manchester City hosted the security summit in Budapest [1][2].",
    "How many houses did the wildfire in southern California destroy?":  # an uncited invention and a bad marker
        "At least two hundred houses were destroyed [1]. Governor Gavin Newsom blamed arson [7].",
}
TRUTHS = {
    "Who said Russia would only negotiate if the root causes of the conflict were addressed?":
        "Foreign Minister Sergey Lavrov said Russia would only take part in negotiations if the root causes of "
        "the conflict were addressed [1].",
    "Which city hosted the security summit?":
        "Heads of government from twelve European countries met in Budapest on Tuesday for a two-day security "
        "summit [1].",
}
INVENTED = ["NATO said", "2.5 percent", "Liverpool", "historic victory", "Manchester City hosted", "Newsom"]
# Relations turned around with words the passages hold (the verification finds every word): question -> the
# lie, and what a reading of the evidence alone says (the model asked again in the short-answer form)
RELATIONAL = {
    "Who won the cup final at Wembley?":  # the outcome turned around: the runner-up as the winner
        ("Arsenal won the cup final at Wembley on Saturday after a penalty shoot-out [1].", "Manchester City"),
    "Did the European Central Bank raise or cut its main interest rate?":  # the direction reversed
        ("The European Central Bank cut its main interest rate by a quarter point on Thursday [1].", "It raised it"),
    "Who warned that borrowing costs would stay high for some time?":  # the words given to the wrong speaker
        ("Policy makers warned that borrowing costs would stay high for some time [1].", "The bank's president"),
    "Who saved the decisive penalty in the cup final?":  # the right name in the wrong role
        ("The Arsenal captain saved the decisive penalty in the cup final [1].", "The City goalkeeper"),
}
TURNED = {question: lie.split(" [")[0] for question, (lie, _) in RELATIONAL.items()}


def scripted(replies: dict[str, str], short: dict[str, str] | None = None):
    """A reply function for ChatServer: the scripted reply to the question it finds in the prompt, in pieces;
    a short-answer prompt (the second reading) gets the reply in short when it has one."""

    def reply(body: dict) -> list[str]:
        prompt = body["messages"][-1]["content"]
        known = short if short and prompt.endswith("Short answer:") else {}
        text = next((known[q] for q in known if q in prompt), None) or next(
            (replies[q] for q in replies if q in prompt), "The indexed articles do not say."
        )
        return [text[start : start + 16] for start in range(0, len(text), 16)]

    return reply


@pytest.fixture(scope="module")
def lying(tmp_path_factory, embedder, write_articles):
    """A QA over the test articles and the seed article, answering through the lying server."""
    from rag.config import Settings

    lies = {question: lie for question, (lie, _) in RELATIONAL.items()}
    server = ChatServer(scripted({**LIES, **TRUTHS, **lies}, {q: read for q, (_, read) in RELATIONAL.items()}))
    base = tmp_path_factory.mktemp("lying")
    settings = Settings(seeds_dir=base / "seeds", index_dir=base / "index", generator=f"openai:{server.url}",
                        chunk_tokens=64, chunk_overlap=12)
    write_articles(settings.seeds_dir)
    shutil.copy(SEED, settings.seeds_dir / SEED.name)
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    try:
        yield QA(settings, embedder=embedder), server
    finally:
        server.close()


@pytest.mark.parametrize("question", list(LIES))
def test_no_invention_is_shown_as_a_cited_fact(lying, question):
    qa, _ = lying
    final = qa.answer(question)
    shown = final.text
    assert not any(invented in shown for invented in INVENTED), shown
    for support in final.support:  # whatever stays is backed by a sentence of the passage it cites
        cited = next(c for c in final.citations if c.number == support.citation)
        assert support.end > support.start and cited.passage[support.start : support.end]
    if not final.abstained:
        assert final.unsupported, "the invention is listed as not found in the sources"


@pytest.mark.parametrize("question", list(RELATIONAL))
def test_a_relation_turned_around_is_withheld_when_the_evidence_read_again_says_otherwise(lying, question):
    qa, _ = lying
    final = qa.answer(question)
    assert final.abstained and final.abstain_reason == "readings disagree", final
    assert TURNED[question] not in final.text and not final.citations
    assert final.readings[-1].reply == RELATIONAL[question][1] and final.readings[-1].agreement == 0


def test_the_true_part_of_a_partly_lying_reply_stays(lying):
    qa, _ = lying
    final = qa.answer("How many houses did the wildfire in southern California destroy?")
    assert not final.abstained and "two hundred houses" in final.text and final.citations
    assert final.unsupported == ["Governor Gavin Newsom blamed arson."]


@pytest.mark.parametrize("question", list(TRUTHS))
def test_true_replies_are_kept_with_their_evidence(lying, question):
    qa, _ = lying
    final = qa.answer(question)
    assert not final.abstained and not final.unsupported, final
    assert final.text.rstrip(".").endswith("[1]") and final.support
    evidence = final.support[0]
    passage = next(c for c in final.citations if c.number == evidence.citation).passage
    assert set(passage[evidence.start : evidence.end].split()) & set(TRUTHS[question].split())


def test_a_question_about_a_person_no_article_mentions_never_reaches_the_lying_model(lying):
    qa, server = lying
    asked = len(server.requests)
    final = qa.answer("What did Jens Stoltenberg say about the Budapest summit?")
    assert final.abstained and "Jens Stoltenberg" in final.text and "Lavrov" not in final.text
    assert len(server.requests) == asked  # decided before the model: the liar had no say
