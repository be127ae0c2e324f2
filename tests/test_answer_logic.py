"""Pure logic of answering: fusion, filters, prompt numbering, citation parsing, abstention detection."""

from __future__ import annotations

import pytest

from rag.text.question import read_question, yes_no_question
from rag.answering.citations import align_markers, parse_citations
from rag.answering.prompting import ABSTAIN, build_messages, is_grounded, merge_by_article, select_sources
from rag.model import Timings
from rag.answering.finishing import finish_answer
from rag.search.planning import SearchPlan
from rag.search.retrieval import Filters, boost_numbers, score_fusion
from rag.model import Hit


def hit(chunk_id: int, article: str = "a", text: str = "text", start: int = 0, title: str = "T", **kw) -> Hit:
    values = dict(source="Wire", published="2025-10-21", url="", end=start + len(text), score=1.0 / (chunk_id + 1),
                  similarity=0.5)
    values.update(kw)
    return Hit(chunk_id, article, title, values["source"], values["published"], values["url"], text, start,
               values["end"], values["score"], values["similarity"])


def test_score_fusion_scales_each_list_and_weighs_them():
    dense = [(1, 0.9), (2, 0.8), (3, 0.5)]  # cosines: 1.0, 0.75, 0.0 once scaled
    lexical = [(3, 12.0), (1, 4.0), (4, 2.0)]  # BM25: 1.0, 0.2, 0.0 once scaled
    fused = dict(score_fusion([dense, lexical], (0.6, 0.4)))
    assert fused[1] == pytest.approx(0.6 * 1.0 + 0.4 * 0.2)
    assert fused[2] == pytest.approx(0.6 * 0.75)  # absent from the lexical list: 0 there
    assert fused[3] == pytest.approx(0.4 * 1.0)
    assert fused[4] == pytest.approx(0.0)
    assert [i for i, _ in score_fusion([dense, lexical], (0.6, 0.4))] == [1, 2, 3, 4]
    # a lexical match strong enough overtakes when BM25 weighs more
    assert [i for i, _ in score_fusion([dense, lexical], (0.3, 0.7))][0] == 3


def test_score_fusion_keeps_a_single_list_in_order_and_handles_empty_lists():
    assert [i for i, _ in score_fusion([[(5, 3.0), (9, 2.0), (2, 2.0)]], (1.0,))] == [5, 9, 2]
    assert [i for i, _ in score_fusion([[(7, 0.4)], []], (0.6, 0.4))] == [7]
    assert score_fusion([[], []], (0.6, 0.4)) == []


def test_passages_holding_the_numbers_a_question_names_move_up():
    texts = {1: "The 2019 prize went to Peter Handke.", 2: "The 2018 prize went to Olga Tokarczuk.",
             3: "The prize of 2018 was delayed to 2019."}
    fused = [(1, 0.9), (2, 0.6), (3, 0.5)]
    ranked = boost_numbers(fused, "Who won the 2018 prize?", texts.get, boost=1.0)
    assert ranked == [(2, 1.2), (3, 1.0), (1, 0.9)]
    assert boost_numbers(fused, "Who won the prize?", texts.get) == fused  # no number named: no change
    half = dict(boost_numbers(fused, "Did 2,000 people see the 2019 prize?", texts.get, boost=1.0))
    assert half[1] == pytest.approx(0.9 * 1.5)  # one of the two numbers


def test_filters_on_date_and_source():
    article = {"published": "2025-10-21", "source": "Reuters"}
    assert Filters(since="2025-10-01").allows(article)
    assert not Filters(since="2025-10-22").allows(article)
    assert Filters(until="2025-10-21").allows(article)
    assert not Filters(until="2025-10-20").allows(article)
    assert Filters(sources=("reuters",)).allows(article)
    assert not Filters(sources=("AP",)).allows(article)
    assert not Filters(since="2025-01-01").allows({"published": None, "source": ""})
    assert not Filters().active and Filters(sources=("x",)).active


def test_prompt_numbers_passages_with_title_source_and_date():
    messages = build_messages(read_question("Where?"), [hit(0, "a", "Alpha text.", title="First"),
                                         hit(1, "b", "Beta text.", title="Second", source="", published=None)])
    user = messages[1]["content"]
    assert "[1] First (Wire, 21 October 2025)\nAlpha text." in user
    assert "[2] Second\nBeta text." in user
    assert user.rstrip().endswith("Question: Where?")
    assert ABSTAIN in messages[0]["content"] and "like [1]" in messages[0]["content"]


def test_one_passage_prompt_names_its_only_number_and_recheck_drops_the_decline_clause():
    one = build_messages(read_question("Where?"), [hit(0, "a", "Alpha text.")], fixed=False)[0]["content"]
    assert "with [1], the only passage" in one and "like [1]" not in one
    again = build_messages(read_question("Where?"), [hit(0, "a", "Alpha text.")], decline=False, fixed=False)
    assert ABSTAIN not in again[0]["content"]
    assert again[1]["content"].endswith("Question: Where?\nAnswer with a full sentence that names the answer."), \
        "asked again, the model must write the answer out, not a bare [1]"
    yes_no = build_messages(read_question("Did the report change?"), [hit(0, "a", "Alpha text.")], decline=False, fixed=False)
    assert yes_no[1]["content"].endswith("Question: Did the report change?"), \
        "a yes/no question has no answer to name; asked to name one, the model declined"


def test_fixed_instructions_make_every_prompt_and_its_second_attempt_share_their_beginning():
    one, two = [hit(0, "a", "Alpha text.")], [hit(0, "a", "Alpha text."), hit(1, "b", "Beta text.")]
    first = build_messages(read_question("Where?"), one, fixed=True)
    assert first[0] == build_messages(read_question("Who?"), two, fixed=True)[0] == \
        build_messages(read_question("Where?"), one, decline=False, fixed=True)[0]
    assert ABSTAIN in first[0]["content"]
    again = build_messages(read_question("Where?"), one, decline=False, fixed=True)[1]["content"]
    assert again.startswith(first[1]["content"])  # the runtime reads only the added lines
    assert again.endswith("do not decline.\nAnswer with a full sentence that names the answer.")
    assert build_messages(read_question("Did it change?"), one, decline=False, fixed=True)[1]["content"].endswith(
        "do not decline.")


def test_neighbouring_chunks_of_one_article_merge_in_reading_order():
    hits = [hit(2, "a", "Third part.", start=30), hit(5, "b", "Other story."), hit(0, "a", "First part. Second",
                                                                                       start=0),
            hit(1, "a", "Second part.", start=12)]
    merged = merge_by_article(hits)
    assert [m.article_id for m in merged] == ["a", "b"], "articles keep the rank of their best chunk"
    assert merged[0].text == "First part. Second part. … Third part."


def test_prompt_budget_keeps_best_sources():
    hits = [hit(i, f"art{i}", "word " * 200) for i in range(6)]
    chosen = select_sources(hits, budget_tokens=700)
    assert 1 <= len(chosen) < 6 and [h.article_id for h in chosen] == [f"art{i}" for i in range(len(chosen))]
    huge = select_sources([hit(0, "a", "word " * 5000)], budget_tokens=700)
    assert len(huge) == 1 and len(huge[0].text) < 5000 * 5
    tiny_budget = select_sources([hit(0, "a", "word " * 500)], budget_tokens=10)
    assert len(tiny_budget) == 1 and tiny_budget[0].text.startswith("word word")  # the best passage always goes in


def test_best_article_reads_whole_before_other_articles():
    hits = [hit(7, "best", "Lavrov objected.", start=300), hit(9, "other", "Unrelated story.")]
    more = [hit(5, "best", "The summit is in Budapest.", start=0), hit(8, "other", "More of it.", start=50)]
    chosen = select_sources(hits, budget_tokens=700, more_of_best=more)
    assert [h.article_id for h in chosen] == ["best", "other"]
    assert chosen[0].text == "The summit is in Budapest. … Lavrov objected.", "reading order, gap marked"
    assert chosen[0].chunk_id == 7 and chosen[1].text == "Unrelated story.", "only the best article grows"
    assert select_sources(hits, budget_tokens=700) == hits
    too_long = hit(6, "best", "word " * 600, start=100)
    chosen = select_sources(hits, budget_tokens=700, more_of_best=[too_long, *more])
    assert chosen[0].text == "The summit is in Budapest. … Lavrov objected.", "a chunk that does not fit is left out"


def test_citation_parsing_out_of_range_repeated_and_missing():
    check = parse_citations("Budapest [1]. Lavrov said so [2, 9]. Uncited claim. Again [1][1] and [Passage 3].", 3)
    assert check.cited == [1, 2, 3]
    assert check.invalid == 1
    assert "[9]" not in check.text and "[2]" in check.text
    assert check.uncited_sentences == ["Uncited claim."]


def test_citation_ranges_and_lists_in_words_name_each_passage():
    check = parse_citations("Both met [1-3]. Lavrov objected [2 and 4]. Talks ended [passages 1, 5-9].", 5)
    assert check.text == "Both met [1][2][3]. Lavrov objected [2][4]. Talks ended [1][5]."
    assert check.cited == [1, 2, 3, 4, 5] and check.invalid == 4
    years = parse_citations("Talks ran [2021-2022] and polls [1990 and 1991] came first [1].", 5)
    assert years.text == "Talks ran [2021-2022] and polls [1990 and 1991] came first [1]." and years.invalid == 0
    single = parse_citations("Prices rose in [2021] [1].", 5)  # one bracketed number is a marker, as before
    assert single.text == "Prices rose in [1]." and single.invalid == 1


def test_citation_after_full_stop_counts_for_its_sentence():
    check = parse_citations("The summit is in Budapest. [1] Lavrov objected. [2]", 2)
    assert check.uncited_sentences == [] and check.cited == [1, 2]


def test_all_markers_invalid():
    check = parse_citations("Something [0] and [4].", 3)
    assert check.cited == [] and check.invalid == 2 and check.uncited_sentences == ["Something and."]


def test_an_uncited_sentence_gets_the_passage_it_came_from():
    text = align_markers("Trump said they would meet in Budapest. Unrelated words entirely.",
                         ["Rates rose again.", "Trump said both leaders would meet in two weeks in Budapest."])
    assert text == "Trump said they would meet in Budapest [2]. Unrelated words entirely."
    listed = align_markers("In short:\n- Rates rose again [2].\n- Trump named Budapest. [1]",
                           ["Rates rose again.", "Trump said both leaders would meet in two weeks in Budapest."])
    assert listed == "In short:\n- Rates rose again [1].\n- Trump named Budapest [2].", "line breaks are kept"


def test_a_citation_of_a_passage_that_does_not_hold_the_sentence_moves_to_the_one_that_does():
    passages = ["32.9% of the eligible voting population did not vote.", "Of the 129 MSPs, 73 are elected."]
    assert align_markers("32.9% of the eligible voting population did not vote. [2]", passages) == \
        "32.9% of the eligible voting population did not vote [1]."
    kept = ["Doc Films, the student film society", "Doc Films shows films nightly."]
    assert align_markers("Doc Films is the film society. [2]", kept) == "Doc Films is the film society. [2]"
    together = ["Lavrov spoke in Moscow.", "Trump named Budapest."]
    assert align_markers("Lavrov spoke and Trump named Budapest [1][2].", together) == \
        "Lavrov spoke and Trump named Budapest [1][2].", "two passages that support it together are kept"
    assert align_markers("Words from nowhere at all [2].", passages) == "Words from nowhere at all [2].", \
        "a sentence no passage supports keeps the model's marker"


def test_a_sentence_naming_a_passages_source_and_date_gets_that_passage():
    sources = [hit(0, "a", "Google pays browsers to be their default search engine.", title="Apple defends deal",
                   source="The Verge", published="2023-09-26"),
               hit(1, "b", "A publisher sued Google over news revenue.", title="Class action", source="TechCrunch",
                   published="2023-12-15")]
    reply = "Google paid browsers, The Verge said [1]. TechCrunch reported the suit on December 15, 2023."
    answer = finish_answer(reply, sources, sources, Timings(), SearchPlan(read_question("Q"), Filters()))
    assert answer.text.endswith("on December 15, 2023 [2].") and answer.uncited_sentences == []
    assert [c.source for c in answer.citations] == ["The Verge", "TechCrunch"]


def test_a_reply_that_only_restates_the_question_is_an_abstention():
    sources = [hit(0, "a", "Tesco and Asda agreed to merge in 2024.")]
    question = "Which two major supermarkets plan to merge in 2024?"

    def finish(reply: str):  # the reading of declines alone; verification is tested in test_verify
        return finish_answer(reply, sources, sources, Timings(), SearchPlan(read_question(question), Filters()),
                             verify=False)

    vacuous = finish("The two major supermarkets plan to merge in 2024, according to the news passages.")
    assert vacuous.abstained and vacuous.text == ABSTAIN and not vacuous.citations
    assert not finish("Tesco and Asda plan to merge [1].").abstained
    assert finish("Two major supermarkets planned a merger in 2024 [1].").abstained is False  # "merger" is new
    many = "How many missiles did the United States agree to send?"
    assert finish_answer("The United States agreed to send missiles [1].", sources, sources, Timings(),
                         SearchPlan(read_question(many), Filters())).abstained  # only word forms differ, no number
    did = "Did the supermarkets plan to merge in 2024?"
    either = "Did the supermarkets plan to merge or to close?"
    between = "Between the Monday and the Friday report, which one says the supermarkets plan to merge?"
    after = "After the Monday report, did the Friday report say the supermarkets plan to merge?"
    for asked, reply in ((did, "No [1]."), (did, "Yes, they did [1]."),
                         (did, "The supermarkets did plan to merge in 2024 [1]."),
                         (either, "The supermarkets plan to merge [1]."),
                         (between, "The Friday report says the supermarkets plan to merge [1]."),
                         (after, "The Friday report did say the supermarkets plan to merge [1].")):
        assert not finish_answer(reply, sources, sources, Timings(), SearchPlan(read_question(asked), Filters())).abstained
    denied = finish_answer("The supermarkets did not plan to merge in 2024 [1].", sources, sources, Timings(),
                           SearchPlan(read_question(did), Filters()))  # a denial the passage does not make: removed, not shown
    assert denied.abstained and denied.abstain_reason == "nothing verified" and denied.unsupported


def test_yes_no_questions_are_told_from_open_ones():
    for asked in ("Did the report change?", "Was the reporting on Valve inconsistent after the Polygon report?",
                  "According to Fortune, has the perspective on housing changed between the two articles?",
                  "Between the report from The Verge on 2023-11-24 and the report from Wired, is there consistency?",
                  "After the Monday report, did the Friday report say the supermarkets plan to merge?"):
        assert yes_no_question(asked), asked
    for asked in ("Which company said it will seek approval for the vaccine against RSV, or RSV?",
                  "Benzene, a chemical, was recently detected in batches of which household product?",
                  "Between the two reports, which one names the company?",
                  "Considering the articles from the BBC and CNN, which country, a rising power, is named?"):
        assert not yes_no_question(asked), asked


def test_an_answer_that_says_what_the_passages_leave_out_is_kept_and_a_cited_decline_is_not():
    sources = [hit(0, "a", "Leaders met in Budapest on Tuesday for a security summit.", title="Summit")]
    asked = "Where did the leaders meet, and when is the next summit?"

    def finish(reply: str):
        return finish_answer(reply, sources, sources, Timings(), SearchPlan(read_question(asked), Filters()))

    partial = finish("Leaders met in Budapest [1]. The passages do not mention the next summit.")
    assert not partial.abstained and [c.number for c in partial.citations] == [1]
    assert partial.uncited_sentences == ["The passages do not mention the next summit."]
    for reply in (f"{ABSTAIN} [1]", "The passages do not say where they met [1].", "The passages do not mention it."):
        assert finish(reply).abstained, reply


def test_finish_answer_abstention_and_citations():
    sources = [hit(0, "a", "The meeting will be in Budapest.", title="Summit")]
    abstained = finish_answer(ABSTAIN, sources, sources, Timings(), SearchPlan(read_question("Q"), Filters()))
    assert abstained.abstained and abstained.citations == [] and abstained.text == ABSTAIN
    cited = finish_answer("It is in Budapest [1].", sources, sources, Timings(), SearchPlan(read_question("Q"), Filters()))
    assert not cited.abstained and cited.citations[0].title == "Summit"
    assert cited.citations[0].passage == "The meeting will be in Budapest."
    two = [hit(0, "a", "The meeting will be in Budapest.", title="Summit"),
           hit(1, "b", "Rates rose again in October.", title="Markets")]
    moved = finish_answer("The meeting will be in Budapest. [2]", two, two, Timings(), SearchPlan(read_question("Q"), Filters()))
    assert moved.text == "The meeting will be in Budapest [1]." and [c.title for c in moved.citations] == ["Summit"]


def test_grounding_check_rejects_invented_numbers_and_empty_replies():
    sources = [hit(0, "a", "Trump said both leaders would meet in two weeks in Budapest.")]
    assert is_grounded("Trump said they would meet in Budapest [1].", read_question("Where would they meet?"), sources)
    assert not is_grounded("[1]", read_question("Where would they meet?"), sources)
    assert not is_grounded("They agreed on 10 missiles [1].", read_question("How many missiles?"), sources)
    # marker numbers are not claims: "[1, 2]" is a citation, not the numbers 1 and 2
    assert is_grounded("Trump said they would meet in Budapest [1, 2].", read_question("Where would they meet?"), sources)
