"""Two evaluation runs compared: identical retrieval records are counted as such, a moved similarity is
named, and answers are compared by outcome (pure, on small results files)."""

from __future__ import annotations

import json

from studies.compare_runs import main


def write_run(folder, similarity: float, contains: bool, abstained: bool) -> None:
    records = [
        {"kind": "retrieval", "id": "q1", "mode": "hybrid", "retrieved": ["a1"], "similarities": [0.5],
         "time_frame": None},
        {"kind": "retrieval", "id": "q2", "mode": "hybrid", "retrieved": ["a2"], "similarities": [similarity],
         "time_frame": None},
        {"kind": "answer", "id": "q1", "abstained": False, "contains": True},
        {"kind": "answer", "id": "q2", "abstained": abstained, "contains": contains},
    ]  # fmt: skip
    answers = {"contains": 1.0 if contains else 0.5, "abstentions": int(abstained)}
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"records": records, "summary": {"answers": answers}}))


def test_identical_retrieval_and_a_changed_answer_are_told_apart(tmp_path, capsys):
    write_run(tmp_path / "before", 0.42, contains=True, abstained=False)
    write_run(tmp_path / "after", 0.42, contains=False, abstained=True)
    assert main([str(tmp_path / "before"), str(tmp_path / "after"), "--out", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "retrieval records: 2 compared, 2 identical, 0 differ" in out
    assert "1 questions changed outcome\n  q2: right -> abstained" in out
    assert "answer records: 2 compared, 1 identical apart from timings, 1 differ\n  differs: q2" in out
    saved = json.loads((tmp_path / "c.json").read_text())
    assert saved["retrieval_differing"] == [] and saved["answers"]["abstentions"] == {"before": 0, "after": 1}


def test_a_moved_similarity_is_named(tmp_path, capsys):
    write_run(tmp_path / "before", 0.42, contains=True, abstained=False)
    write_run(tmp_path / "after", 0.43, contains=True, abstained=False)
    main([str(tmp_path / "before"), str(tmp_path / "after")])
    out = capsys.readouterr().out
    assert "2 compared, 1 identical, 1 differ" in out and "differs: q2 / hybrid" in out
    assert "0 questions changed outcome" in out
