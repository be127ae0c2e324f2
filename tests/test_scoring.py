"""Scoring functions on small hand-made cases with exact expected values."""

from __future__ import annotations

import json

import pytest

from rag.evaluate.scoring import (abstention_scores, answer_citation_precision, citation_precision,
                                  cited_sentence_share, contains, exact_match, gold_coverage_at_k, mrr_at_k,
                                  normalize_answer, percentile, recall_at_k, score_answer, strip_citations, summarize,
                                  token_f1)


@pytest.mark.parametrize("raw, expected", [
    ("The Eiffel Tower!", "eiffel tower"),
    ("  A   cat, an owl and THE dog. ", "cat owl and dog"),
    ("U.S.-led talks", "usled talks"),
    ("“Squid Game”", "squid game"),
    ("Theater anthem", "theater anthem"),  # articles only as whole words
    ("", ""),
])
def test_normalize_answer(raw, expected):
    assert normalize_answer(raw) == expected


def test_exact_match():
    assert exact_match("The Squid Game.", ["Squid Game"]) == 1.0
    assert exact_match("Squid Game season 2", ["Squid Game"]) == 0.0
    assert exact_match("europe", ["Asia", "Europe"]) == 1.0
    assert exact_match("anything", []) == 0.0


def test_token_f1_best_over_answers():
    # pred "tampa florida stadium" vs gold "tampa florida": precision 2/3, recall 1 -> F1 0.8
    assert token_f1("Tampa, Florida stadium", ["Tampa, Florida"]) == pytest.approx(0.8)
    # best of two answers: "glendale" shares nothing, "raymond james stadium" shares 1 of 3 with 1-token pred
    assert token_f1("Stadium", ["Glendale", "Raymond James Stadium"]) == pytest.approx(0.5)
    assert token_f1("the", ["a"]) == 1.0  # both normalise to nothing
    assert token_f1("Paris", ["London"]) == 0.0
    assert token_f1("x", []) == 0.0
    # a repeated token matches only as often as it occurs in the answer: precision 2/3, recall 1 -> F1 0.8
    assert token_f1("go go home", ["go home"]) == pytest.approx(0.8)


def test_contains():
    assert contains("It will be played in Tampa, Florida [1].", ["Tampa, Florida"]) == 1.0
    assert contains("Squid Game is back", ["“Squid Game”"]) == 1.0
    assert contains("The indexed articles do not say.", ["Europe"]) == 0.0
    assert contains("The answer is: No.", ["no"]) == 1.0
    # whole words only: a short answer is not found inside another word
    assert contains("It is not known.", ["no"]) == 0.0
    assert contains("the European Union", ["Europe"]) == 0.0
    assert contains("played in Tampa, Florida, on Sunday", ["Tampa Florida"]) == 1.0
    assert contains("Brazil's race goes to a run-off", ["Brazil"]) == 1.0  # punctuation read as a space
    assert contains("a 17-year-old pilot", ["17"]) == 1.0
    assert contains("in the U.S. today", ["US"]) == 1.0  # punctuation removed
    assert contains("Brazilian voters", ["Brazil"]) == 0.0
    assert contains("around $5.25 today", ["$5"]) == 0.0  # a number is never split at its point
    assert contains("costs $5 a gallon", ["$5.00", "$5"]) == 1.0
    assert contains("anything", ["the"]) == 0.0  # an answer that normalises to nothing never counts


def test_every_marker_form_the_answer_parser_reads_is_stripped_before_scoring():
    assert strip_citations("Europe [1, 2] and Asia [passage 3].").split() == ["Europe", "and", "Asia", "."]


def test_recall_and_mrr_on_hand_made_rankings():
    ranked = ["a", "a", "b", "c", "a", "d"]  # article of each retrieved passage, best first
    gold = ["c"]
    assert [recall_at_k(ranked, gold, k) for k in (1, 2, 3, 4, 6)] == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert mrr_at_k(ranked, gold, 10) == pytest.approx(1 / 3)  # distinct articles a, b, c -> rank 3
    assert mrr_at_k(ranked, gold, 3) == 0.0  # c is the 4th passage: outside the top 3
    assert mrr_at_k(ranked, ["a", "d"], 10) == 1.0
    assert mrr_at_k(ranked, ["d"], 10) == pytest.approx(1 / 4)
    assert recall_at_k(ranked, ["z"], 10) == 0.0 and mrr_at_k(ranked, ["z"], 10) == 0.0
    assert recall_at_k([], ["a"], 5) == 0.0
    assert gold_coverage_at_k(ranked, ["b", "d", "z"], 3) == pytest.approx(1 / 3)
    assert gold_coverage_at_k(ranked, ["b", "d", "z"], 6) == pytest.approx(2 / 3)


def test_abstention_precision_recall():
    # 3 unanswerable (False); abstained on two of them and on one answerable question
    abstained = [True, True, False, True, False]
    answerable = [False, False, False, True, True]
    scores = abstention_scores(abstained, answerable)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["abstentions"] == 3 and scores["unanswerable"] == 3
    assert abstention_scores([False, False], [True, False]) == {"precision": None, "recall": 0.0,
                                                                 "abstentions": 0, "unanswerable": 1}
    assert abstention_scores([True], [True])["recall"] is None


def test_citation_precision_pools_citations():
    cited = [["a", "a", "x"], [], ["b"]]
    gold = [["a"], ["c"], ["c"]]
    assert citation_precision(cited, gold) == pytest.approx(2 / 4)
    assert citation_precision([[], []], [["a"], ["b"]]) is None


def test_a_citation_holds_the_answer_when_its_passage_states_it():
    cited = [["Ford recalled 2.9 million vehicles.", "Gas prices rose."], ["Sweden and Finland were invited."],
             ["The two reports agree."]]
    answers = [["Ford"], ["Finland"], ["Yes"]]
    assert answer_citation_precision(cited, answers) == pytest.approx(2 / 3), "a yes/no answer is left out"
    assert answer_citation_precision([["Fordham University"]], [["Ford"]]) == 0.0, "whole words only"
    assert answer_citation_precision([[]], [["Ford"]]) is None


def test_cited_sentence_share_and_percentile():
    assert cited_sentence_share(4, 1) == 0.75
    assert cited_sentence_share(0, 0) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert percentile([7], 95) == 7
    assert percentile([], 50) is None


def test_score_answer_conventions():
    assert score_answer("Europe [1].", ["Europe"], True, False) == {"em": 1.0, "f1": 1.0, "contains": 1.0}
    assert score_answer("The indexed articles do not say.", ["Europe"], True, True) == {
        "em": 0.0, "f1": 0.0, "contains": 0.0}
    assert score_answer("whatever", [], False, True) == {"em": None, "f1": None, "contains": None}


def test_summarize():
    records = [
        {"kind": "retrieval", "mode": "dense", "retrieved": ["a", "b"], "gold": ["a"], "seconds": 0.01},
        {"kind": "retrieval", "mode": "dense", "retrieved": ["b", "b", "a"], "gold": ["a"], "seconds": 0.03},
        {"kind": "retrieval", "mode": "dense", "retrieved": ["a"], "gold": [], "seconds": 0.02},  # unscored
        {"kind": "answer", "answers": ["Europe"], "answerable": True, "abstained": False, "text": "Europe [1].",
         "citations": [{"article_id": "a", "passage": "Europe agreed."}], "gold": ["a"], "sentences": 1,
         "uncited_sentences": [],
         "invalid_citations": 0, "timings": {"retrieve_s": 0.1, "first_token_s": 1.0, "total_s": 2.0}},
        {"kind": "answer", "answers": ["Paris"], "answerable": True, "abstained": False,
         "text": "London [1]. It rains.", "citations": [{"article_id": "b"}], "gold": ["a"], "sentences": 2,
         "uncited_sentences": ["It rains."], "invalid_citations": 1,
         "timings": {"retrieve_s": 0.3, "first_token_s": 3.0, "total_s": 4.0}},
        {"kind": "answer", "answers": [], "answerable": False, "abstained": True,
         "text": "The indexed articles do not say.", "citations": [], "gold": [], "sentences": 0,
         "uncited_sentences": [], "invalid_citations": 0,
         "timings": {"retrieve_s": 0.2, "first_token_s": None, "total_s": 0.2}},
    ]
    summary = summarize(records)
    dense = summary["retrieval"]["dense"]
    assert dense["questions"] == 2 and dense["unscored"] == 1
    assert dense["recall@1"] == 0.5 and dense["recall@5"] == 1.0 and dense["recall@10"] == 1.0
    assert dense["mrr@10"] == pytest.approx((1 + 1 / 2) / 2)
    assert dense["recall_curve"]["2"] == 0.5 and dense["recall_curve"]["3"] == 1.0
    assert dense["latency_s"]["median"] == pytest.approx(0.02)
    answers = summary["answers"]
    assert answers["questions"] == 3 and answers["answerable"] == 2
    assert answers["em"] == 0.5 and answers["contains"] == 0.5
    assert answers["abstention_precision"] == 1.0 and answers["abstention_recall"] == 1.0
    assert answers["false_abstention_rate"] == 0.0
    assert answers["citation_precision"] == 0.5
    assert answers["answer_citation_precision"] == 1.0, "a record without quoted passages is left out"
    assert answers["cited_sentence_share"] == pytest.approx((1.0 + 0.5) / 2)
    assert answers["invalid_citations"] == 1
    assert answers["total_s"]["median"] == 2.0
    assert answers["first_token_s"]["n"] == 2


def test_citation_markers_do_not_count_as_answer_words():
    assert score_answer("Tampa, Florida [1][2].", ["Tampa, Florida"], True, False) == {
        "em": 1.0, "f1": 1.0, "contains": 1.0}
    assert score_answer("In 2021 [3, 4].", ["2021"], True, False)["f1"] == pytest.approx(2 * 0.5 * 1 / 1.5)


def test_per_type_table_has_a_row_for_all_and_reads_a_samples_questions(tmp_path, capsys):
    from studies.by_type import main

    def record(id_: str, kind: str, answerable: bool, abstained: bool, contains: float) -> dict:
        return {"kind": "answer", "id": id_, "question_type": kind, "answerable": answerable, "answers": ["x"],
                "abstained": abstained, "contains": contains, "text": "" if abstained else "x", "citations": []}

    every = [record("1", "temporal", True, False, 1.0), record("2", "temporal", True, True, 0.0),
             record("3", "null", False, True, 0.0), record("4", "comparison", True, False, 0.0)]
    for name, records in (("all", every), ("sample", every[:3])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps({"records": records}))
    main([str(tmp_path / "all"), "--questions-of", str(tmp_path / "sample")])
    table = capsys.readouterr().out
    assert "| temporal | 2 | 0.500 | 0.500 | - |" in table and "comparison" not in table
    assert "| all | 3 | 0.500 | 0.500 | 1.000 |" in table
