"""Questions across several reports: recognition (pure), each report's evidence found on its own, the
derived verdicts (both say it, one does not, a contradiction in figures, dates), a missing named report, and
the answer that lists each report then the verdict."""

from __future__ import annotations

import numpy as np

from rag.answering.across.evidence import ReportEvidence, report_evidence, support_of, why_missing
from rag.answering.across.verdict import agreement, derive_verdict, order, shared_name
from rag.answering.across.writing import across_answer
from rag.model import Hit
from rag.search.several import ReportAsked, several_reports

SOURCES = ["Vellmar Courier", "Harbor Gazette", "The Verge", "Reuters Health"]


def hit(number: int, source: str, published: str, text: str, article: str = "") -> Hit:
    return Hit(number, article or f"a{number}", f"Report {number}", source, published, "", text, 0, len(text), 0.5, 0.5)


def words_embed(texts: list[str]) -> np.ndarray:
    """A bag-of-words embedding over a fixed vocabulary: enough to rank sentences by shared words."""
    vocabulary = sorted({w for t in texts for w in t.lower().split()})
    vectors = np.array([[t.lower().split().count(w) for w in vocabulary] for t in texts], dtype=float)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


# --- recognition ------------------------------------------------------------------------------------------


def test_a_yes_no_question_naming_two_sources_asks_for_a_verdict_with_each_ones_claim():
    asked = several_reports(
        "Did the Vellmar Courier report that the bridge reopens in March, while the Harbor Gazette said "
        "the repairs cost six million euros?",
        SOURCES,
    )
    assert asked and asked.kind == "verdict" and not asked.asks_difference
    courier, gazette = asked.reports
    assert (courier.source, gazette.source) == ("Vellmar Courier", "Harbor Gazette")
    assert "bridge reopens in March" in courier.claim and "repairs cost six million euros" in gazette.claim
    assert "Gazette" not in courier.claim


def test_dates_go_with_their_sources_and_a_shared_claim_is_the_topic():
    asked = several_reports(
        "Between the report from the Vellmar Courier on 2026-03-10 and the report from the Harbor Gazette on "
        "2026-03-12, was there inconsistency in the reopening date of the bridge?",
        SOURCES,
    )
    assert asked and asked.kind == "verdict" and asked.asks_difference
    assert [(r.source, r.date) for r in asked.reports] == [
        ("Vellmar Courier", "2026-03-10"),
        ("Harbor Gazette", "2026-03-12"),
    ]
    assert all("reopening date of the bridge" in r.claim for r in asked.reports)
    late = several_reports(
        "Between the Vellmar Courier report on 2026-03-10 and the Harbor Gazette report on 2026-03-12, did the "
        "reopening date change?",
        SOURCES,
    )
    assert late and late.asks_difference


def test_the_kinds_order_shared_and_each():
    first = several_reports("Was the Vellmar Courier report published before the Harbor Gazette report?", SOURCES)
    shared = several_reports(
        "Which company do both the Vellmar Courier and the Harbor Gazette name as builder?", SOURCES
    )
    each = several_reports("What did the Vellmar Courier and the Harbor Gazette say about the repairs?", SOURCES)
    assert (first.kind, shared.kind, each.kind) == ("order", "shared", "each")


def test_a_question_about_one_report_or_none_is_not_caught():
    assert several_reports("When does the bridge reopen?", SOURCES) is None
    assert several_reports("What did the Vellmar Courier say about the bridge?", SOURCES) is None
    assert several_reports("Did Reuters Health and the mayor agree?", SOURCES) is None  # one source, no outlet
    # "The Verge" inside a longer name, a title-case opener, a person: none is an outlet
    assert several_reports("Did the author of The Verge's review like the phone?", SOURCES) is None


def test_a_yes_no_question_that_sets_one_report_before_another_asks_for_their_order():
    def earlier(question: str) -> tuple[int, int] | None:
        asked = several_reports(question, SOURCES)
        assert asked and asked.kind == "verdict"
        return asked.earlier

    assert earlier("Did the Vellmar Courier report the closure before the Harbor Gazette named the cost?") == (0, 1)
    assert earlier("Did the Vellmar Courier report the closure after the Harbor Gazette named the cost?") == (1, 0)
    assert earlier("Before the Vellmar Courier reported the closure, did the Harbor Gazette name the cost?") == (1, 0)
    assert earlier("After the Vellmar Courier reported the closure, did the Harbor Gazette name the cost?") == (0, 1)
    # a time word that sets no report in time, and two reports named side by side
    assert earlier("Did the Vellmar Courier say the bridge reopens after the repairs, while the Harbor Gazette "
                   "named the cost?") is None  # fmt: skip
    assert earlier("Did the Vellmar Courier say the bridge reopens before April, as did the Harbor Gazette?") is None
    assert earlier("After the Vellmar Courier report and the Harbor Gazette report, was there a change?") is None


def test_an_outlet_the_index_does_not_hold_is_named_as_missing():
    asked = several_reports(
        "Did the Vellmar Courier report and an article from The Daily Planet agree on the reopening date?", SOURCES
    )
    assert asked and asked.missing_outlets == ["The Daily Planet"]
    assert [r.known for r in asked.reports] == [True, False]


# --- each report's evidence -------------------------------------------------------------------------------


def test_each_report_gets_its_own_article_and_the_sentence_closest_to_its_claim():
    courier = hit(1, "Vellmar Courier", "2026-03-10", "Traffic was heavy. The bridge reopens at the end of March.")
    gazette = hit(2, "Harbor Gazette", "2026-03-12", "The repairs cost six million euros. Rain fell all week.")
    asked = [
        ReportAsked("Vellmar Courier", "", "the bridge reopens"),
        ReportAsked("Harbor Gazette", "", "repairs cost"),
    ]
    found = report_evidence(asked, [gazette, courier], words_embed, [])
    assert [e.hit.source for e in found] == ["Vellmar Courier", "Harbor Gazette"]
    assert found[0].sentence == "The bridge reopens at the end of March."
    assert courier.text[slice(*found[0].span)] == found[0].sentence  # the span shown in the passage
    assert found[1].sentence == "The repairs cost six million euros."
    assert support_of("the bridge reopens", courier.text) == 1.0


def test_two_reports_of_one_source_take_two_articles():
    bridge = hit(1, "Vellmar Courier", "", "The bridge reopens at the end of March.", "bridge")
    school = hit(2, "Vellmar Courier", "", "The new school opens in September.", "school")
    asked = [ReportAsked("Vellmar Courier", "", "school opens"), ReportAsked("Vellmar Courier", "", "bridge reopens")]
    found = report_evidence(asked, [bridge, school], words_embed, [])
    assert [e.hit.article_id for e in found] == ["school", "bridge"]


def test_a_missing_report_says_whether_the_index_holds_it_at_all():
    articles = [{"source": "Harbor Gazette", "published": "2026-03-12"}]
    assert why_missing(ReportAsked("Harbor Gazette", "2026-03-20", "x"), articles) == (
        "no report from Harbor Gazette dated 20 March 2026 is in the index"
    )
    assert why_missing(ReportAsked("Harbor Gazette", "2026-03-12", "x"), articles) == (
        "no report from Harbor Gazette dated 12 March 2026 close to the question was found"
    )
    assert why_missing(ReportAsked("", "", "x", outlet="The Daily Planet"), articles) == (
        "no report from The Daily Planet is in the index"
    )


# --- derived verdicts -------------------------------------------------------------------------------------


def _found(source: str, published: str, sentence: str, number: int) -> ReportEvidence:
    passage = hit(number, source, published, sentence)
    return ReportEvidence(ReportAsked(source, published, "claim"), passage, sentence, span=(0, len(sentence)))


COURIER = _found("Vellmar Courier", "2026-03-10", "The bridge reopens at the end of March.", 1)
GAZETTE = _found("Harbor Gazette", "2026-03-12", "The bridge will reopen in late March.", 2)


def test_both_reports_saying_it_is_a_yes_citing_both():
    verdict = agreement([COURIER, GAZETTE], [True, True], asks_difference=False)
    assert verdict.word == "Yes" and "[1]" in verdict.sentence and "[2]" in verdict.sentence
    assert agreement([COURIER, GAZETTE], [True, True], asks_difference=True).word == "No"  # "was there a change?"


def test_one_report_not_saying_it_is_a_no_naming_that_report():
    verdict = agreement([COURIER, GAZETTE], [True, False], asks_difference=False)
    assert verdict.word == "No"
    assert "only Vellmar Courier (10 March 2026) [1] says" in verdict.sentence
    assert "Harbor Gazette (12 March 2026) [2] does not say" in verdict.sentence


def test_different_figures_are_a_contradiction():
    four = _found("Vellmar Courier", "2026-03-10", "The repairs cost 4 million euros in 2026.", 1)
    six = _found("Harbor Gazette", "2026-03-12", "The repairs cost 6 million euros in 2026.", 2)
    verdict = agreement([four, six], [True, True], asks_difference=False)
    assert verdict.word == "No" and "different figures" in verdict.sentence
    assert "4 million euros" in verdict.sentence and "6 million euros" in verdict.sentence
    assert agreement([four, four], [True, True], asks_difference=False).word == "Yes"


def test_a_missing_report_leaves_the_verdict_open_and_says_which():
    missing = ReportEvidence(
        ReportAsked("", "", "claim", "The Daily Planet"),
        None,
        missing="no report from The Daily Planet is in the index",
    )
    verdict = agreement([COURIER, missing], [True, False], asks_difference=False)
    assert verdict.word == "" and verdict.sentence.startswith("No report from The Daily Planet is in the index.")


def test_the_order_comes_from_the_dates():
    assert order([GAZETTE, COURIER], "Was the Harbor Gazette report published before the Courier's?").word == "No"
    assert order([COURIER, GAZETTE], "Was the Vellmar Courier report published before the Gazette's?").word == "Yes"
    first = order([GAZETTE, COURIER], "Which report came first?")
    assert first.word == "Vellmar Courier (10 March 2026)" and first.sentence.startswith("Vellmar Courier")
    same_day = _found("Harbor Gazette", "2026-03-10", "x y z", 2)
    assert order([COURIER, same_day], "Which report came first?").word == ""


def test_a_report_set_before_one_it_came_after_is_a_no_whatever_each_says():
    asked = several_reports("Did the Vellmar Courier report the reopening after the Harbor Gazette did?", SOURCES)
    assert asked and asked.earlier == (1, 0)
    verdict = derive_verdict(asked, [COURIER, GAZETTE], [True, True], "")
    assert verdict.word == "No"
    assert verdict.sentence == (
        "No: Harbor Gazette (12 March 2026) [2] came out after Vellmar Courier (10 March 2026) [1], not before it."
    )
    in_order = several_reports("Did the Vellmar Courier report the reopening before the Harbor Gazette did?", SOURCES)
    assert in_order and derive_verdict(in_order, [COURIER, GAZETTE], [True, True], "").word == "Yes"
    assert derive_verdict(in_order, [COURIER, GAZETTE], [True, False], "").word == "No"  # in order, one silent


def test_the_shared_name_is_one_both_passages_hold_and_the_question_does_not():
    one = _found("Vellmar Courier", "2026-03-10", "Brightwater Construction will rebuild the bridge for Vellmar.", 1)
    two = _found("Harbor Gazette", "2026-03-12", "The city hired Brightwater Construction, the mayor said.", 2)
    verdict = shared_name([one, two], "Which company do both reports say will rebuild the bridge for Vellmar?")
    assert verdict.word == "Brightwater Construction" and "[1]" in verdict.sentence and "[2]" in verdict.sentence
    alone = _found("Harbor Gazette", "2026-03-12", "The city hired a builder, the mayor said.", 2)
    assert shared_name([one, alone], "Which company will rebuild the bridge?").word == ""


# --- the answer -------------------------------------------------------------------------------------------


def test_the_answer_lists_each_report_then_the_verdict_with_spans_in_the_passages():
    asked = several_reports(
        "Did the Vellmar Courier and the Harbor Gazette both say the bridge reopens in March?", SOURCES
    )
    verdict = derive_verdict(asked, [COURIER, GAZETTE], [True, True], asked.reports[0].claim)
    answer = across_answer("q", asked, [COURIER, GAZETTE], [True, True], verdict)
    lines = answer.text.splitlines()
    assert lines[0] == '- Vellmar Courier (10 March 2026) [1] says: "The bridge reopens at the end of March."'
    assert lines[1].startswith("- Harbor Gazette (12 March 2026) [2] says:")
    assert lines[-1].startswith("Yes: ") and not answer.abstained
    assert [c.number for c in answer.citations] == [1, 2] and answer.across_reports
    assert [r.finding for r in answer.reports] == ["says so", "says so"]
    assert [(s.citation, s.start, s.end) for s in answer.support][0] == (1, 0, len(COURIER.sentence))


def test_an_answer_with_no_named_report_found_abstains_naming_them():
    asked = several_reports(
        "Did an article from The Daily Planet and a piece by The Morning Star agree on the bridge?", SOURCES
    )
    missing = [ReportEvidence(r, None, missing=why_missing(r, [])) for r in asked.reports]
    answer = across_answer("q", asked, missing, [None, None], derive_verdict(asked, missing, [None, None], "q"))
    assert answer.abstained and answer.abstain_reason == "report not in the index" and not answer.citations
    assert (
        "No report from The Daily Planet is in the index; no report from The Morning Star is in the index."
        in answer.text
    )


def test_the_page_shows_an_answer_across_reports_once():
    from ui.render import evidence_markdown, sources_markdown

    asked = several_reports(
        "Did the Vellmar Courier and the Harbor Gazette both say the bridge reopens in March?", SOURCES
    )
    verdict = derive_verdict(asked, [COURIER, GAZETTE], [True, True], "q")
    answer = across_answer("q", asked, [COURIER, GAZETTE], [True, True], verdict)
    assert evidence_markdown(answer) == ""  # the text quotes each report already
    sources = sources_markdown(answer)
    assert "What each report says" not in sources and "Harbor Gazette" in sources
