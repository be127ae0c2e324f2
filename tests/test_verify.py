"""Verified answers: what a question names must be in the passages, and every shown sentence in what it cites."""

from __future__ import annotations

import pytest

from rag.text.question import read_question
from rag.model import Ask, Timings
from rag.answering.finishing import finish_answer
from rag.answering.gate import check_before_model
from rag.answering.qa import QA
from rag.answering.citations import answer_sentences
from rag.answering.verify import describe, missing_from, verify_answer
from rag.evaluate.claim_check import unfound_sentences
from rag.text.claims import specifics
from rag.index.indexing import build_index
from rag.search.planning import SearchPlan
from rag.search.retrieval import Filters
from rag.model import Hit
from rag.search.timeframe import TimeFrame


def hit(number: int, text: str, title: str = "Report", source: str = "Reuters", published: str = "2025-10-14",
        similarity: float = 0.7) -> Hit:
    return Hit(number, f"a{number}", title, source, published, "", text, 0, len(text), 1.0, similarity)


BUDAPEST = hit(1, "Heads of government from twelve European countries met in Budapest on Tuesday. Hungary's prime "
                  "minister welcomed the delegations. Mr. Orbán said the meeting showed that dialogue was still "
                  "possible. Russian Foreign Minister Sergey Lavrov said Moscow would not attend.",
               "Leaders gather in Budapest for a security summit")
WALMART = hit(2, "Walmart plans to open 5,000 stores in the U.S. by 2030, the company said on Monday.",
              "Walmart expands", "AP", "2025-10-20")
PASSAGES = [BUDAPEST, WALMART]


def test_a_person_no_passage_mentions_is_named():
    assert missing_from(read_question("What did Jens Stoltenberg say about the Budapest summit?"), PASSAGES) == ["Jens Stoltenberg"]
    assert missing_from(read_question("How many stores will Target open by 2030?"), PASSAGES) == ["Target"]
    assert missing_from(read_question("What happened at the summit in 2019?"), PASSAGES) == ["2019"]


def test_a_word_naming_the_kind_of_answer_is_not_required():
    assert missing_from(read_question("Which European country hosted the security summit?"), PASSAGES) == []
    assert missing_from(read_question("What American company plans to open 5,000 stores?"), PASSAGES) == []
    assert missing_from(read_question("Who leads the British government?"), PASSAGES) == ["British"]  # no kind asked
    assert missing_from(read_question("Which Canadian city hosted the Budapest summit?"), PASSAGES) == []


def test_a_person_the_passage_names_and_then_quotes_by_role_may_be_said_to_have_said_it():
    passage = hit(5, "Preparations for the summit with Putin, which Trump himself had hinted was imminent, stalled. On "
                     "social media, the former U.S. president enthusiastically declared that both leaders would meet in two "
                     "weeks in Budapest. Moscow rejected any immediate ceasefire.")  # fmt: skip
    question = read_question("Where did Trump say the meeting with Putin would happen?")
    said = "Trump said the meeting with Putin would happen in two weeks in Budapest [1]."
    assert verify_answer(said, [passage], question).text == said
    elsewhere = hit(6, "Trump flew to Florida on Friday. Rain fell all day. The airport closed early. Trains ran "
                       "late. Shops shut at noon. A minister declared that both leaders would meet in Budapest.")
    assert verify_answer("Trump said the leaders would meet in Budapest [1].", [elsewhere], question).text == ""


def test_a_qualifier_repeated_from_the_question_must_stand_in_the_passage():
    officer = hit(3, "Tricia Marwick is the current Presiding Officer of the Scottish Parliament, elected in 2011.")
    question = read_question("The former speaker of Parliament is whom?")
    assert verify_answer("The former speaker of Parliament is Tricia Marwick [1].", [officer], question).text == ""
    assert verify_answer("Tricia Marwick is the Presiding Officer of the Parliament [1].", [officer], question).text
    former = hit(4, "The former Presiding Officer of the Scottish Parliament, Tricia Marwick, spoke on Monday.")
    assert verify_answer("The former speaker of Parliament is Tricia Marwick [1].", [former], question).text


@pytest.mark.parametrize("question", [
    "What did Orban's government say at the Budapest summit?",  # possessive, accents
    "How many stores will Walmart open in the United States?",  # "U.S." in the passage
    "What did the Hungarian prime minister do on Tuesday?",  # "Hungary" in the passage
    "Where did European leaders meet in October?",  # a month; the date is in the header
    "Which minister said Moscow would not attend, according to Reuters?",  # a source
    "Who said that 5000 stores would open?",  # "5,000"
    "What did the AP report on October 20, 2025?",  # the header's source and date
    "Name the city where the leaders met.",  # a capitalised first word is no name
    "What Happened At The Summit This Week?",  # title case names nothing
    "Which summit resumed after two years?",  # a number word counts, names nothing
])
def test_names_the_passages_spell_another_way_are_found(question):
    assert missing_from(read_question(question), PASSAGES) == []


def test_specifics_are_names_numbers_and_quotes_not_openers_or_months():
    assert specifics('Where did "the common plan" of March 2024 come from, said Jens Stoltenberg?') == [
        '"the common plan"', "2024", "Jens Stoltenberg"]
    assert specifics("Budapest hosted the summit.", opening_words=True) == ["Budapest"]
    assert specifics("Budapest hosted the summit.") == []
    assert specifics("The rally was in Coeur d'Alene, Idaho.") == ["Coeur", "Idaho"]  # "Alene" is inside a word
    assert specifics("As 'Fortune' and 'The Verge' reported, O'Brien left.") == ["Fortune", "The Verge", "O'Brien"]


def test_an_outlet_named_in_single_quotes_must_stand_in_the_cited_passage():
    verified = verify_answer("Lavrov said Moscow would not attend, as 'Fortune' reported [1].", PASSAGES)
    assert verified.text == "" and verified.unsupported == ["Lavrov said Moscow would not attend, as 'Fortune' reported."]


def test_a_given_name_the_cited_passage_lacks_is_not_shown():
    trial = hit(3, "Wang testified that he heard Bankman-Fried tell another trader to keep withdrawing money.",
                "In the end, the FTX trial was about the friends", "The Verge")
    verified = verify_answer("The person behind FTX is Sam Bankman-Fried, who told a trader to keep withdrawing "
                             "money [1]. Sergey Lavrov said Moscow would not attend [2].", [trial, BUDAPEST])
    assert verified.text == ("The person behind FTX is Bankman-Fried, who told a trader to keep withdrawing money "
                             "[1]. Sergey Lavrov said Moscow would not attend [2].")  # the passage's own spelling
    uncited = verify_answer("The man behind FTX is Sam Bankman-Fried, who told a trader to keep withdrawing money.",
                            [hit(1, "Sam Bankman-Fried founded FTX."), trial])  # cited here: by the passage it needs
    assert uncited.text == "The man behind FTX is Bankman-Fried, who told a trader to keep withdrawing money [2]."
    assert unfound_sentences(answer_sentences(verified.text), {1: describe(trial), 2: describe(BUDAPEST)}) == []


def test_a_sentence_with_a_number_or_name_its_passage_lacks_is_removed():
    verified = verify_answer("Leaders met in Budapest [1]. Target plans to open roughly 5,000 stores [2]. "
                             "Walmart will open 6,000 stores [2].", PASSAGES)
    assert verified.text == "Leaders met in Budapest [1]."
    assert verified.unsupported == ["Target plans to open roughly 5,000 stores.", "Walmart will open 6,000 stores."]


def test_a_supported_sentence_keeps_its_citation_and_support_span():
    verified = verify_answer("Lavrov said Moscow would not attend [1].", PASSAGES)
    assert verified.text == "Lavrov said Moscow would not attend [1]."
    [support] = verified.support
    assert support.citation == 1
    assert BUDAPEST.text[support.start:support.end] == ("Russian Foreign Minister Sergey Lavrov said Moscow would "
                                                        "not attend.")


def test_a_question_figure_paired_with_the_wrong_passage_is_an_invention():
    # the figure comes from passage 2, the company from nowhere: citing [1] or [2] does not make it true
    assert verify_answer("Orbán plans to open 5,000 stores [1].", PASSAGES).unsupported
    verified = verify_answer("The company plans to open 5,000 stores in the U.S. [1].", PASSAGES)
    assert verified.text == "The company plans to open 5,000 stores in the U.S. [2]."  # re-pointed to its source


def test_sentences_that_state_nothing_of_their_own_stay():
    verified = verify_answer("Walmart plans 5,000 stores [2]. The passages do not mention the price.", PASSAGES)
    assert verified.text == "Walmart plans 5,000 stores [2]. The passages do not mention the price."
    assert verified.unsupported == []


def test_a_reply_whose_every_sentence_fails_abstains_and_lists_them():
    plan = SearchPlan(read_question("How many stores will Target open?"), Filters())
    final = finish_answer("Target will open 9,000 stores [1]. Its CEO is Brian Cornell [2].",
                          PASSAGES, PASSAGES, Timings(), plan)
    assert final.abstained and final.abstain_reason == "nothing verified"
    assert final.citations == [] and final.text == "The indexed articles do not say."
    assert final.unsupported == ["Target will open 9,000 stores.", "Its CEO is Brian Cornell."]
    kept = finish_answer("Walmart plans 5,000 stores [2]. Target will open 9,000 [1].", PASSAGES,
                         PASSAGES, Timings(), plan)
    assert kept.text == "Walmart plans 5,000 stores [1]." or kept.text == "Walmart plans 5,000 stores [2]."
    assert [c.title for c in kept.citations] == ["Walmart expands"] and kept.unsupported
    assert kept.support and kept.support[0].sentence == kept.text


def test_without_verification_the_reply_is_kept_as_the_model_wrote_it():
    plan = SearchPlan(read_question("How many stores will Target open?"), Filters())
    final = finish_answer("Target will open 9,000 stores [2].", PASSAGES, PASSAGES, Timings(), plan,
                          verify=False)
    assert final.text == "Target will open 9,000 stores [2]." and not final.abstained


def test_news_of_an_earlier_week_is_not_presented_as_this_weeks():
    frame = TimeFrame("2025-10-27", "the question's date", "this week", "2025-10-20", "2025-10-27", widened=True)
    plan = SearchPlan(read_question("What did Walmart announce this week?"), Filters(until="2025-10-27"), frame=frame)
    older = hit(3, "Walmart said it would hire 10,000 seasonal workers.", "Walmart hiring", "AP", "2025-10-01")
    early = check_before_model(plan, [BUDAPEST, older])
    text, reason, citations = early.text, early.reason, early.citations
    assert reason == "outside the time range"
    assert text == ("No article from 20 October 2025 to 27 October 2025 is about this; the nearest report is from "
                    "14 October 2025 [1].")
    assert [c.title for c in citations] == [BUDAPEST.title]


@pytest.fixture
def indexed(make_settings, write_articles, embedder):
    settings = make_settings(generator="unused")
    write_articles(settings.seeds_dir)
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    return settings


def test_a_question_about_someone_the_articles_never_mention_abstains_without_the_model(indexed, embedder, scripted):
    generator = scripted(refuse=True)
    final = QA(indexed, generator=generator, embedder=embedder).answer(
        "What did Jens Stoltenberg say at the security summit in Budapest?")
    assert generator.calls == 0
    assert final.abstained and final.abstain_reason == "not in the articles"
    assert final.text == "The indexed articles do not mention Jens Stoltenberg." and final.citations == []


def test_an_invented_sentence_is_never_shown_as_a_cited_fact(indexed, embedder, scripted):
    reply = ("Leaders met in Budapest for the security summit [1]. NATO chief Mark Rutte promised 40 fighter jets "
             "[1].")
    final = QA(indexed, generator=scripted(reply), embedder=embedder).answer(
        "Which city hosted the security summit?")
    assert not final.abstained
    assert final.text == "Leaders met in Budapest for the security summit [1]."
    assert final.unsupported == ["NATO chief Mark Rutte promised 40 fighter jets."]
    [support] = final.support
    passage = final.citations[0].passage
    assert "Budapest" in passage[support.start:support.end]


def test_spellings_of_one_claim_are_found():
    passage = hit(5, "The cheese Danish returns to the menu. Rents rose for the 10th-straight month, Americans "
                     "paid more, and French officials met in Paris.")
    for sentence in ("The cheese Danish is back [1].", "Rents rose for the 10th month [1].",
                     "Rents rose in the US [1].", "France sent officials [1]."):
        assert verify_answer(sentence, [passage]).unsupported == [], sentence


def test_claims_scattered_over_a_passage_do_not_make_a_sentence():
    passage = hit(6, "The Pittsburgh Penguins signed a new goalie on Monday. The team hopes to improve on last "
                     "season. Fans packed the arena for the opener. Tickets sold out in minutes. The 2022 Stanley "
                     "Cup Finals drew record television audiences.", "Hockey notes", "AP", "2022-06-30")
    assert verify_answer("The Pittsburgh Penguins won the 2022 Stanley Cup Finals [1].", [passage]).unsupported
    assert not verify_answer("The Pittsburgh Penguins signed a new goalie [1].", [passage]).unsupported
    # claims the sentence repeats from the question need only stand in the passage
    asked = "Which team won the 2022 Stanley Cup Finals?"
    assert not verify_answer("The Pittsburgh Penguins won the 2022 Stanley Cup Finals [1].", [passage],
                             read_question(asked)).unsupported


def test_citing_two_passages_does_not_let_claims_from_anywhere_through():
    hockey = hit(6, "The Pittsburgh Penguins signed a new goalie on Monday. The team hopes to improve on last "
                    "season. Fans packed the arena for the opener. Tickets sold out in minutes. The 2022 Stanley "
                    "Cup Finals drew record television audiences.", "Hockey notes", "AP", "2022-06-30")
    # each claim stands in one of the two, but the Penguins and the 2022 Cup never stand together
    assert verify_answer("The Pittsburgh Penguins won the 2022 Stanley Cup Finals [1][2].",
                         [hockey, WALMART]).unsupported
    # a comparison takes a claim from a window of each report
    assert not verify_answer("Walmart plans 5,000 stores, and the Pittsburgh Penguins signed a new goalie [1][2].",
                             [hockey, WALMART]).unsupported


def test_a_speaker_must_speak_in_the_passage_not_only_be_named_there():
    seed = hit(7, "Sources said Russia's demands, including the exclusion of NATO from talks, stalled the summit. "
                  "He said the meeting would address the Ukrainian conflict. Foreign Minister Sergey Lavrov stressed that Russia would only take part in negotiations if the "
                  "“root causes of the conflict” were addressed — namely NATO’s expansion. “It’s not about dates or "
                  "places,” Lavrov said.", "Summit called off", "Reuters", "2025-10-22")
    nato = verify_answer('NATO said it would only take part in negotiations if the "root causes of the conflict" '
                         "were addressed [1].", [seed], read_question("What did NATO say about the summit?"))
    assert nato.unsupported and not nato.support
    lavrov = verify_answer("Sergey Lavrov said Russia would only take part in negotiations if the root causes of "
                           "the conflict were addressed [1].", [seed], read_question("Who said Russia would only negotiate?"))
    assert not lavrov.unsupported and lavrov.support[0].citation == 1
    he = verify_answer("He said the meeting would address the Ukrainian conflict [1].", [seed])
    assert not he.unsupported  # "he" in the answer is no name to check


def test_a_denial_the_passage_does_not_make_is_not_shown():
    passage = hit(10, "Newton's mechanics affected three-dimensional objects. The laws came in 1687. They were "
                      "printed in Latin. Many read them. Critics did not agree at first.")
    assert verify_answer("Newton's mechanics did not affect three-dimensional objects [1].", [passage]).unsupported
    assert not verify_answer("Newton's mechanics affected three-dimensional objects [1].", [passage]).unsupported
    assert not verify_answer("Critics did not agree at first [1].", [passage]).unsupported
    asked = "What did Newton's mechanics not affect?"  # a denial the question makes is the question's
    assert not verify_answer("Newton's mechanics did not affect three-dimensional objects [1].", [passage],
                             read_question(asked)).unsupported


def test_amounts_names_and_curly_apostrophes_are_read_as_news_writes_them():
    passage = hit(8, "Xi’s government pledged $2.5bn to the fund, officials in Indiana said.", "Pledge", "AP")
    assert verify_answer("Xi's government pledged $2.5 billion [1].", [passage]).unsupported == []
    assert verify_answer("Xi's government pledged $2 [1].", [passage]).unsupported
    assert verify_answer("Xi's government pledged £2.5bn [1].", [passage]).unsupported
    assert missing_from(read_question("What did Xi pledge?"), [passage]) == []
    assert missing_from(read_question("What did India pledge?"), [passage]) == ["India"]
    assert missing_from(read_question("What did Mark Carney pledge?"), [hit(9, "Bond marks fell.")]) == ["Mark Carney"]


def test_a_follow_up_is_verified_against_the_passages_of_its_standalone_question(indexed, embedder, scripted):
    history = [{"role": "user", "content": "Which city hosted the security summit?"},
               {"role": "assistant", "content": "Leaders met in Budapest [1]."}]
    reply = "Mr. Orbán said the meeting showed that dialogue was still possible [1]. Angela Merkel agreed [1]."
    final = QA(indexed, generator=scripted(reply), embedder=embedder).answer(Ask("Who said what there?",
                                                                                   history=history))
    assert final.standalone_question and "Budapest" in final.standalone_question
    assert final.text == "Mr. Orbán said the meeting showed that dialogue was still possible [1]."
    assert final.unsupported == ["Angela Merkel agreed."]


def test_the_gate_declines_a_question_no_passage_is_close_to_unless_it_is_too_short_to_tell():
    far = hit(7, "Heads of European governments met in Budapest on Tuesday.", similarity=0.2)
    plan = SearchPlan(read_question("Which city hosted the security summit of European leaders?"), Filters())
    assert check_before_model(plan, [far], answer_similarity=0.36).reason == "not close enough"
    short = SearchPlan(read_question("Who hosted Budapest?"), Filters())  # two content words: its names are checked instead
    assert check_before_model(short, [far], answer_similarity=0.36) is None
    assert check_before_model(plan, [far], verify=False, answer_similarity=0.36) is None


def test_names_in_other_candidates_or_among_the_index_sources_are_not_missing():
    other = hit(8, "The Verge reviewed the phone.", "Phone review", "The Verge")
    question = "Did The Verge and Reuters agree that the 49ers summit in Budapest mattered?"
    assert missing_from(read_question(question), [BUDAPEST]) == ["The Verge"]  # no "49" from "49ers"
    assert missing_from(read_question(question), [BUDAPEST, other]) == []
    assert missing_from(read_question(question), [BUDAPEST], also=["The Verge"]) == []


def test_a_sentence_about_an_article_no_passage_comes_from_is_removed():
    verified = verify_answer("Leaders met in Budapest [1]. The Age article does not say.", PASSAGES)
    assert verified.text == "Leaders met in Budapest [1]." and verified.unsupported == ["The Age article does not say."]


def test_not_mentioned_is_said_only_of_what_the_whole_index_lacks():
    plan = SearchPlan(read_question("What did Jens Stoltenberg say about the Budapest summit?"), Filters())
    absent = check_before_model(plan, [BUDAPEST], in_index=lambda claim: False)
    assert absent.text == "The indexed articles do not mention Jens Stoltenberg."
    elsewhere = check_before_model(plan, [BUDAPEST], in_index=lambda claim: True)
    assert elsewhere.text == "No passage close to the question mentions Jens Stoltenberg."
    assert elsewhere.reason == absent.reason == "not in the articles"


def test_a_name_another_article_holds_is_not_said_to_be_missing_from_the_articles(indexed, embedder, scripted):
    import dataclasses

    narrow = dataclasses.replace(indexed, top_k=1, candidates=1)  # only the summit article is a candidate
    final = QA(narrow, generator=scripted(refuse=True), embedder=embedder).answer(
        "What did Manchester City say about the security summit in Budapest on Tuesday?")
    assert final.abstained and final.hits[0].title.startswith("Leaders gather in Budapest")
    assert final.text == "No passage close to the question mentions Manchester City."  # the football article does
    nowhere = QA(narrow, generator=scripted(refuse=True), embedder=embedder).answer(
        "What did Jens Stoltenberg say about the security summit in Budapest on Tuesday?")
    assert nowhere.text == "The indexed articles do not mention Jens Stoltenberg."
