"""The answerability gate: its signals, its decision over a checked answer, the shipped weights, and the fit."""

import json
from dataclasses import replace

import numpy as np
import pytest

from rag.text.question import read_question
from rag.model import Answer, Reading, Timings
from rag.answering.answerability import SIGNALS, UNLIKELY, Gate, answer_type, judge, load_gate, signals
from rag.answering.finishing import finish_answer
from rag.errors import RagError
from studies.fit_gate import fit, outcome
from rag.search.planning import SearchPlan
from rag.search.retrieval import Filters
from rag.model import Hit


SUMMIT = (
    "Leaders were due to meet in Budapest. The summit was called off on Tuesday. "
    "Sergey Lavrov said Russia would only negotiate if the root causes were addressed."
)


def passage(text: str = SUMMIT, similarity: float = 0.7, n: int = 1) -> Hit:
    return Hit(n, f"a{n}", "Budapest summit", "Reuters", "2025-10-22", "", text, 0, len(text), 1.0, similarity)


def finished(question: str, reply: str, passages: list[Hit]) -> Answer:
    return finish_answer(reply, passages, passages, Timings(), SearchPlan(read_question(question), Filters()))


def test_answer_type_reads_what_the_question_asks_for() -> None:
    assert answer_type(read_question("Who said Russia would negotiate?"), "Sergey Lavrov said so [1].") == 1.0
    assert answer_type(read_question("Who said Russia would negotiate?"), "Russia would negotiate [1].") == 0.0
    assert answer_type(read_question("How many people died?"), "Twelve people died [1].") == 1.0
    assert answer_type(read_question("How many people died?"), "People died [1].") == 0.0
    assert answer_type(read_question("When was the summit called off?"), "It was called off in October 2025 [1].") == 1.0
    assert answer_type(read_question("Why was the summit called off?"), "Talks stalled [1].") == 0.5


def test_signals_of_an_answer_that_holds_the_question_near_its_evidence() -> None:
    question = "Who said Russia would only negotiate if the root causes were addressed?"
    hits = [passage(similarity=0.7), passage("Unrelated weather report.", 0.3, 2)]
    answer = finished(question, "Sergey Lavrov said Russia would only negotiate then [1].", hits)
    found = signals(read_question(question), hits, hits, answer)
    assert set(found) == set(SIGNALS) - {"evidence_none", "reading_agreement"}  # no token odds, no second reading
    assert signals(read_question(question), hits, hits, answer, 0.25)["evidence_none"] == 0.25
    read = replace(answer, readings=[Reading("check", SUMMIT, "Sergey Lavrov", 0.5)])
    assert signals(read_question(question), hits, hits, read)["reading_agreement"] == 0.5
    assert found["best_similarity"] == pytest.approx(0.7)
    assert found["similarity_margin"] == pytest.approx(0.4)
    assert found["question_in_passages"] == 1.0 and found["question_near_answer"] == 1.0
    assert found["answer_kept"] == 1.0 and found["answer_type"] == 1.0


def test_signals_of_a_reply_whose_sentences_were_removed() -> None:
    question = "Who won the 2022 Stanley Cup?"
    hits = [passage()]
    answer = finished(question, "Leaders were due to meet [1]. The Avalanche won it [1].", hits)
    found = signals(read_question(question), hits, hits, answer)
    assert answer.unsupported and found["answer_kept"] == 0.5
    assert found["question_near_answer"] == 0.0 and found["answer_type"] == 0.0


def gate(threshold: float) -> Gate:
    weights = dict.fromkeys(SIGNALS, 0.0) | {"question_near_answer": 4.0}
    return Gate(weights, -2.0, threshold)


def test_the_gate_abstains_below_its_threshold_and_keeps_the_reply() -> None:
    question = "Who won the 2022 Stanley Cup?"
    hits = [passage()]
    answer = finished(question, "Leaders were due to meet in Budapest [1].", hits)
    assert not answer.abstained
    gated = judge(read_question(question), hits, hits, answer, gate(0.5))
    assert gated.abstained and gated.text == UNLIKELY and gated.abstain_reason == "unlikely answerable"
    assert gated.citations == [] and gated.reply == answer.reply and gated.answerable == pytest.approx(0.119, abs=1e-3)
    kept = judge(read_question(question), hits, hits, answer, gate(0.1))
    assert not kept.abstained and kept.text == answer.text and kept.answerable == gated.answerable
    declined = finished(question, "The passages do not say.", hits)
    assert judge(read_question(question), hits, hits, declined, gate(0.5)) is declined


def test_the_shipped_gate_loads_and_a_wrong_file_is_named(tmp_path) -> None:
    shipped = load_gate()
    assert set(shipped.weights) == set(SIGNALS) and 0 < shipped.threshold < 1
    other = tmp_path / "gate.json"
    other.write_text(json.dumps({"signals": ["best_similarity"], "weights": {}, "bias": 0, "threshold": 0.5}))
    with pytest.raises(RagError, match="refit it with python studies/fit_gate.py"):
        load_gate(other)
    with pytest.raises(RagError, match="cannot read the answerability gate"):
        load_gate(tmp_path / "missing.json")


def test_the_fit_finds_the_signal_that_separates() -> None:
    rng = np.random.default_rng(0)
    useful, noise = rng.random(200), rng.random(200)
    labels = (useful + 0.1 * rng.standard_normal(200) > 0.5).astype(float)
    weights, bias = fit(np.column_stack([useful, noise]), labels)
    assert weights[0] > 5 and abs(weights[1]) < 1 and bias < 0


def test_outcome_counts_the_gated_answers_as_abstentions() -> None:
    def row(answerable: bool, abstained: bool, contains: float, near: float) -> dict:
        record = {"answerable": answerable, "abstained": abstained, "contains": contains}
        return {"record": record, "signals": dict.fromkeys(SIGNALS, 0.0) | {"question_near_answer": near}}

    rows = [row(True, False, 1.0, 1.0), row(True, False, 0.0, 0.0), row(False, False, 0.0, 0.0), row(False, True, 0, 0)]
    assert outcome(rows, None) == {
        "questions": 4, "contains": 0.5, "false_abstention": 0.0, "abstention_recall": 0.5, "abstention_precision": 1.0
    }  # fmt: skip
    assert outcome(rows, gate(0.5)) == {
        "questions": 4, "contains": 0.5, "false_abstention": 0.5, "abstention_recall": 1.0,
        "abstention_precision": 2 / 3,
    }  # fmt: skip


def test_a_signal_the_model_cannot_give_counts_at_its_fitted_mean() -> None:
    weights = dict.fromkeys(SIGNALS, 0.0) | {"evidence_none": -4.0}
    fitted = Gate(weights, 1.0, 0.5, {"evidence_none": 0.25})
    assert fitted.probability({}) == pytest.approx(0.5)
    assert fitted.probability({"evidence_none": 0.9}) < 0.1 and fitted.probability({"evidence_none": 0.0}) > 0.7
