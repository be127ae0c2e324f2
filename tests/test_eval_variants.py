"""The answer-removed question set, the gate calibration and the verification numbers of `rag eval` (pure)."""

from __future__ import annotations

import json

from rag.evaluate import answer_removed
from rag.evaluate.scoring import summarize_answers
from studies import calibrate

ARTICLES = [
    {"id": "g1", "title": "Kroger and Albertsons agree to merge", "text": "The two supermarkets Kroger and Albertsons "
     "plan to merge in 2024."},
    {"id": "o1", "title": "Grocery prices", "text": "Albertsons shoppers paid more; Kroger and Albertsons shares rose."},
    {"id": "g2", "title": "Storm", "text": "Florida braced for the storm."},
    {"id": "n1", "title": "Weather", "text": "Rain in Florida and Georgia."},
    {"id": "x1", "title": "Other", "text": "Nothing relevant here."},
]
QUESTIONS = [
    {"id": "q1", "question": "Which two supermarkets plan to merge?", "answers": ["Kroger and Albertsons"],
     "answerable": True, "gold_article_ids": ["g1"], "question_date": "2022-10-21"},
    {"id": "q2", "question": "Which state braced for the storm?", "answers": ["Florida"], "answerable": True,
     "gold_article_ids": ["g2"]},
    {"id": "q3", "question": "How many?", "answers": ["60%"], "answerable": True, "gold_article_ids": ["x1"]},
    {"id": "q4", "question": "Which city?", "answers": ["San Francisco, California"], "answerable": True,
     "gold_article_ids": ["x1"]},  # the gold article does not spell it so: cannot be removed by spelling
]


def test_every_article_holding_a_chosen_answer_is_dropped(monkeypatch):
    monkeypatch.setattr(answer_removed, "MAX_HOLDERS", 2)
    kept, unanswerable = answer_removed.remove_answers(ARTICLES, QUESTIONS)
    assert [q["id"] for q in unanswerable] == ["q1", "q2"]
    assert {a["id"] for a in kept} == {"x1"}
    first = unanswerable[0]
    assert first["answerable"] is False and first["answers"] == [] and first["gold_article_ids"] == []
    assert first["removed_answers"] == ["Kroger and Albertsons"] and first["question_date"] == "2022-10-21"


def test_an_answer_too_common_to_remove_is_not_chosen(monkeypatch):
    monkeypatch.setattr(answer_removed, "MAX_HOLDERS", 1)  # "Florida" is in two articles
    kept, unanswerable = answer_removed.remove_answers(ARTICLES, QUESTIONS)
    assert [q["id"] for q in unanswerable] == []
    assert len(kept) == len(ARTICLES)


def test_the_variant_is_written_by_its_command(tmp_path, capsys):
    source = tmp_path / "set"
    source.mkdir()
    for name, items in (("articles.jsonl", ARTICLES), ("questions.jsonl", QUESTIONS)):
        (source / name).write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    assert answer_removed.main([str(source), str(tmp_path / "out")]) == 0
    assert "2 of 4 questions kept" in capsys.readouterr().out
    written = [json.loads(line) for line in (tmp_path / "out" / "questions.jsonl").read_text().splitlines()]
    assert all(not q["answerable"] for q in written)
    assert answer_removed.main([str(tmp_path / "missing"), str(tmp_path / "o2")]) == 2


def test_distinctive_answers_are_names_not_numbers_or_time_words():
    assert answer_removed.distinctive("Squid Game") and answer_removed.distinctive("Kroger and Albertsons")
    for answer in ("60%", "$5", "Next week", "September", "the", "Ban on military-style assault weapons"):
        assert not answer_removed.distinctive(answer), answer


def test_the_threshold_is_chosen_on_one_half_and_reported_on_the_other(tmp_path, capsys):
    run = tmp_path / "set-ret"
    run.mkdir()
    records = [{"kind": "retrieval", "mode": "hybrid", "id": f"q{i}", "answerable": i % 3 != 0,
                "similarities": [0.2 + 0.05 * (i % 3 != 0) * (i % 7) + 0.01 * (i % 5)]} for i in range(60)]
    (run / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert calibrate.main([str(run), "--out", str(tmp_path / "cal.json")]) == 0
    report = json.loads((tmp_path / "cal.json").read_text())
    fit = [r["similarities"][0] for r in records if r["answerable"] and calibrate.half(r["id"]) == "fit"]
    assert sum(s < report["threshold"] for s in fit) <= 0.05 * len(fit)
    assert set(report["sets"]["set-ret"]) == {"fit", "report"}
    assert calibrate.auroc([0.9, 0.8], [0.1, 0.8]) == 0.875
    assert "abstention recall" in capsys.readouterr().out


def record(**fields):
    base = {"kind": "answer", "answers": ["Budapest"], "answerable": True, "abstained": False, "text": "",
            "citations": [], "gold": []}
    return {**base, **fields}


def test_eval_counts_unsupported_claims_reasons_out_of_range_and_memory_answers():
    cite = {"number": 1, "article_id": "a", "title": "Summit", "source": "AP", "published": "2025-10-01",
            "passage": "Leaders met in Budapest."}
    summary = summarize_answers([
        record(text="Leaders met in Budapest [1]. Orbán hosted 40 guests [1].", citations=[cite],
               time_frame={"since": "2025-10-14", "until": "2025-10-21"}),
        record(text="The indexed articles do not mention X.", abstained=True, abstain_reason="not in the articles"),
        record(text="The indexed articles do not say.", abstained=True, abstain_reason="declined"),
        record(answerable=False, answers=[], removed_answers=["Squid Game"], text="Squid Game [1].",
               citations=[cite]),
    ])
    assert summary["unsupported_claims"] == 2 / 3  # "Orbán hosted 40 guests" and the uncited-by-it "Squid Game"
    assert summary["abstention_reasons"] == {"not in the articles": 1, "declined": 1}
    assert summary["out_of_range_answers"] == 1
    assert summary["removed_answer_named"] == 1


def test_the_checks_tool_counts_what_is_declined_before_the_model(tmp_path, monkeypatch, capsys):
    from rag.evaluate import checks

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    articles = [{"id": "b", "title": "Leaders meet in Budapest", "source": "AP", "published": "2025-10-14",
                 "url": "", "text": "Heads of government met in Budapest on Tuesday for a security summit. Viktor "
                                    "Orban welcomed the delegations."}]
    questions = [
        {"id": "1", "question": "Which city hosted the security summit?", "answers": ["Budapest"],
         "answerable": True, "gold_article_ids": ["b"]},
        {"id": "2", "question": "What did Jens Stoltenberg say at the security summit?", "answers": [],
         "answerable": False, "gold_article_ids": []},
    ]
    for name, items in (("articles.jsonl", articles), ("questions.jsonl", questions)):
        (tmp_path / name).write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    out = tmp_path / "checks.json"
    assert checks.main(["--articles", str(tmp_path / "articles.jsonl"), "--questions",
                        str(tmp_path / "questions.jsonl"), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["answerable"] == {"asks the model": 1}
    assert report["unanswerable"] == {"not in the articles": 1}
    assert "declined before the model" in capsys.readouterr().out


def test_the_unsupported_claims_metric_reads_claims_by_its_own_rule():
    from rag.evaluate.claim_check import unfound_sentences

    passages = {1: "Leaders met in Budapest on Tuesday; Ukrainian officials came in the 1960s.",
                2: "Walmart plans 5,000 US stores in D'Olier Street for £30m."}
    sentences = ["Leaders met in Budapest [1].", "Walmart plans 6,000 stores [2].", "Orbán spoke.",
                 "It was a good meeting [1].", "Officials from Ukraine came [1].", "Walmart plans 5000 stores [2].",
                 'They called it "a new start" [1].', "Officials came in 1960 [1].", "D'Olier Street, 30 [2].",
                 "Walmart has U. S. stores [2]."]
    assert unfound_sentences(sentences, passages) == [
        "Walmart plans 6,000 stores [2].", "Orbán spoke.", 'They called it "a new start" [1].']


def test_the_labelled_sentences_score_the_verification_by_precision_and_recall():
    from rag.evaluate.claim_labels import reply_sentences, score
    from rag.model import Hit

    text = "Leaders met in Budapest on Tuesday. Walmart plans 5,000 stores."
    passage = Hit(1, "a", "Summit", "AP", "2025-10-14", "", text, 0, len(text), 1.0, 0.8)
    rows = reply_sentences("Where did leaders meet?", "Leaders met in Budapest [1]. Walmart plans 6,000 stores.",
                           [passage])
    assert [row["sentence"] for row in rows] == ["Leaders met in Budapest [1].", "Walmart plans 6,000 stores [1]."]
    assert rows[0]["cited"][0]["text"] == text
    labelled = [{**rows[0], "question": "Where did leaders meet?", "label": "supported"},
                {**rows[1], "question": "Where did leaders meet?", "label": "not supported"},
                {**rows[0], "question": "Where did leaders meet?", "label": None}]  # unlabelled: left out
    result = score(labelled)
    assert (result["sentences"], result["kept"], result["precision"], result["recall"]) == (2, 1, 1.0, 1.0)


def test_the_committed_labelled_sentences_are_all_labelled_with_their_cited_passages():
    from rag.evaluate.claim_labels import LABELS

    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 300
    assert {row["label"] for row in rows} == {"supported", "not supported"}
    assert all(row["cited"] and row["sentence"] and row["question"] for row in rows)


def test_the_labelled_sentences_score_the_statement_check_on_the_models_yes_or_no():
    from rag.evaluate.claim_labels import kept_on_statement, score
    from tests.fakes import HashingEmbedder, ReadingModel

    text = "Manchester City won the cup final. The City goalkeeper saved the decisive penalty from the Arsenal captain."
    cited = [{"number": 1, "title": "Final", "source": "AP", "published": "2025-05-24", "text": text}]
    rows = [{"id": "q1", "question": "Who won?", "sentence": "Manchester City won the cup final [1].", "cited": cited,
             "label": "supported"},
            {"id": "q2", "question": "Who saved it?", "sentence": "The Arsenal captain saved the decisive penalty [1].",
             "cited": cited, "label": "not supported"}]  # fmt: skip

    def odds(messages):
        return {"Yes": 0.9, "No": 0.1} if "City won" in messages[-1]["content"].split("say:")[1] else {"No": 1.0}

    model = ReadingModel(odds=odds)
    result = score(rows, kept_on_statement(model, HashingEmbedder().encode))
    assert (result["kept"], result["precision"], result["recall"]) == (1, 1.0, 1.0)
    assert all("Does the text say:" in asked[-1]["content"] for asked in model.asked) and len(model.asked) == 2
