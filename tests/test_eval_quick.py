"""`rag eval` on a tiny hand-made set and `rag bench index --quick`, run as a user would (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.evaluate.set_index import DEFAULT_ARTICLES

ARTICLES = [
    {"id": "metro", "title": "Lima opens its second metro line", "source": "Andes Daily", "published": "2025-03-02",
     "url": "", "text": "Lima opened the second line of its metro on Sunday. The underground line links the port "
                        "of Callao with the east of the city. Officials expect half a million passengers a day. "
                        "The project cost five billion dollars and took eleven years to build."},
    {"id": "chess", "title": "Norwegian grandmaster wins the world chess championship",
     "source": "Board News", "published": "2025-04-11", "url": "",
     "text": "Magnus Carlsen won the world chess championship in Dubai after a tie-break on Friday. He beat his "
             "challenger in the final rapid game. It was his sixth world title."},
    {"id": "wheat", "title": "Drought cuts the Kansas wheat harvest", "source": "Farm Report",
     "published": "2025-07-20", "url": "",
     "text": "A long drought destroyed about forty thousand hectares of wheat in Kansas this summer. Farmers "
             "said the harvest was the smallest in a decade. Flour prices rose by six percent."},
    {"id": "volcano", "title": "Volcano erupts near Grindavik in Iceland", "source": "Nordic Wire",
     "published": "2025-01-14", "url": "",
     "text": "A volcano erupted near the fishing town of Grindavik on Tuesday. Lava flowed towards the town "
             "and residents were evacuated. The Blue Lagoon spa closed for the week."},
    {"id": "satellite", "title": "Kenya launches its first weather satellite", "source": "Space Today",
     "published": "2025-05-30", "url": "",
     "text": "Kenya launched its first weather satellite from California on a Falcon 9 rocket. The satellite "
             "will monitor rainfall and help farmers plan their planting season."},
]
QUESTIONS = [
    {"id": "q1", "question": "Which city opened the second line of its metro?", "answers": ["Lima"],
     "answerable": True, "gold_article_ids": ["metro"]},
    {"id": "q2", "question": "Who won the world chess championship in Dubai?", "answers": ["Magnus Carlsen"],
     "answerable": True, "gold_article_ids": ["chess"]},
    {"id": "q3", "question": "How many hectares of wheat did the drought destroy in Kansas?",
     "answers": ["forty thousand hectares", "40,000"], "answerable": True, "gold_article_ids": ["wheat"]},
    {"id": "q4", "question": "What toll will drivers pay on the new Oslo harbour bridge?", "answers": [],
     "answerable": False, "gold_article_ids": []},
]


def run(*args: str, cwd: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", RAG_CACHE_DIR=str(cwd / "cache"))
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def test_eval_retrieval_only_writes_results_and_resumes(tmp_path):
    articles = write_jsonl(tmp_path / "articles.jsonl", ARTICLES)
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    out = tmp_path / "out"
    args = ("eval", "--articles", str(articles), "--questions", str(questions), "--retrieval-only", "--out", str(out))

    first = run(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "resuming" not in first.stdout
    for name in ("results.json", "report.md", "records.jsonl", "recall_at_k.png"):
        assert (out / name).is_file(), name
    assert (out / "recall_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "latency.png").exists()  # no answers were run

    results = json.loads((out / "results.json").read_text())
    summary = results["summary"]
    assert set(summary["retrieval"]) == {"dense", "lexical", "hybrid"}
    assert summary["answers"] is None
    for mode, numbers in summary["retrieval"].items():
        assert numbers["questions"] == 3 and numbers["unscored"] == 1, mode  # q4 has no gold article
        assert 0.0 <= numbers["recall@1"] <= numbers["recall@5"] <= numbers["recall@10"] <= 1.0
        assert numbers["recall@5"] == 1.0, mode
    assert summary["retrieval"]["hybrid"]["recall@1"] == 1.0
    assert summary["retrieval"]["hybrid"]["mrr@10"] == 1.0
    assert results["index"]["articles"] == 5
    assert results["machine"]["cores"] >= 1
    assert len(results["records"]) == 12  # 4 questions x 3 retrievers
    first_hybrid = [r for r in results["records"] if r["mode"] == "hybrid" and r["id"] == "q2"][0]
    assert first_hybrid["retrieved"][0] == "chess"  # ids mapped back from "articles.jsonl#chess"

    report = (out / "report.md").read_text()
    assert report.startswith("# Evaluation: ")
    command_block = report.split("```")[1]
    assert "python -m rag eval --articles" in command_block and "--retrieval-only" in command_block
    assert "| hybrid | 3 |" in report and "![recall_at_k](recall_at_k.png)" in report
    assert "| hybrid |" in first.stdout  # the summary table is printed too

    # the eval index lives in the cache, keyed by content; the second run reuses it and all records
    assert len(list((tmp_path / "cache" / "eval-index").iterdir())) == 1
    records_before = (out / "records.jsonl").read_bytes()
    second = run(*args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "resuming: 12 of 12 records already in" in second.stdout
    assert "added 0, changed 0, removed 0, unchanged 5" in second.stdout
    assert (out / "records.jsonl").read_bytes() == records_before
    assert json.loads((out / "results.json").read_text())["summary"] == summary


@pytest.mark.skipif(not any(p.is_file() for p in DEFAULT_ARTICLES), reason="realtimeqa_dev set not available")
def test_bench_index_quick_writes_json(tmp_path):
    target = tmp_path / "b.json"
    result = run("bench", "index", "--quick", "--out", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(target.read_text())
    index = data["index"]
    for key in ("articles", "chunks", "build_s", "articles_per_s", "chunks_per_s", "raw_encode_chunks_per_s",
                "build_vs_raw_encode", "meets_target", "noop_rebuild_s", "modify_one_rebuild_s",
                "add_one_rebuild_s", "peak_memory_mb", "machine", "command"):
        assert key in index, key
    assert index["articles"] == 30 and index["chunks"] > 30
    assert index["modify_one_chunks_embedded"] >= 1 and index["add_one_chunks_embedded"] >= 1
    assert index["noop_rebuild_s"] < index["build_s"]
    assert 0.2 < index["build_vs_raw_encode"] < 2.0
    assert "Index build (30 articles" in result.stdout


def test_bench_brief_quick_times_the_briefing_and_its_memory_in_a_process_of_its_own(tmp_path):
    target = tmp_path / "b.json"
    result = run("bench", "brief", "--quick", "--out", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    brief = json.loads(target.read_text())["brief"]
    assert (brief["day_articles"], brief["index_articles"], brief["rounds"]) == (200, 200, 3)
    assert 10 <= brief["stories"] <= 200  # stories of about five articles each
    assert 0 < brief["seconds_median"] <= brief["seconds_max"]
    assert brief["briefing_peak_memory_mb"] > 20 and brief["whole_index_load_peak_memory_mb"] > 20
    assert "briefing peak memory" in result.stdout


def test_eval_with_answers_scores_them_and_keeps_each_cited_passage(tmp_path):
    """The answer half of `rag eval`, with the packaged fast model (SmolLM2-135M via llama.cpp)."""
    articles = write_jsonl(tmp_path / "articles.jsonl", ARTICLES)
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    out = tmp_path / "out"
    done = run("eval", "--articles", str(articles), "--questions", str(questions), "--model", "fast",
               "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    results = json.loads((out / "results.json").read_text())
    answers = [r for r in results["records"] if r["kind"] == "answer"]
    assert len(answers) == 4 and results["summary"]["answers"]["questions"] == 4
    cited = [c for r in answers for c in r["citations"]]
    passages = {a["id"]: a["text"] for a in ARTICLES}
    for citation in cited:  # each citation quotes a passage of the article it names
        assert citation["passage"] and citation["passage"] in passages[citation["article_id"]]
    holding = results["summary"]["answers"]["answer_citation_precision"]
    assert (holding is None) == (not any(r["answerable"] and r["citations"] for r in answers))
    assert "citation holds answer" in (out / "report.md").read_text()


def test_bench_prompt_compares_whole_passages_with_selected_sentences_and_resumes(tmp_path):
    """`rag bench prompt` on the tiny set with the fast model: both configurations, the model's own counts."""
    articles = write_jsonl(tmp_path / "articles.jsonl", ARTICLES)
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    target = tmp_path / "bench" / "bench.json"
    args = ("bench", "prompt", "--articles", str(articles), "--questions", str(questions), "--sample", "4",
            "--config", "sentence_share=1,fixed_instructions=0", "--config", "sentence_share=0.3", "--model", "fast",
            "--out", str(target))
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    section = json.loads(target.read_text())["prompt"]
    configs = section["configurations"]
    whole, selected = configs["sentence_share 1.0, fixed_instructions False"], configs["sentence_share 0.3"]
    for row in (whole, selected):
        assert row["questions"] == 4 and row["asked_the_model"] >= 1
        assert row["prompt_tokens"] > 50 and row["decode_tokens_per_s"] > 0 and row["first_token_s"] > 0
    assert selected["prompt_tokens"] <= whole["prompt_tokens"]
    assert "| sentence_share 1.0, fixed_instructions False |" in result.stdout
    assert "| sentence_share 0.3 |" in result.stdout
    records = (tmp_path / "bench" / "prompt-records.jsonl").read_bytes()
    assert records.count(b"\n") == 8
    again = run(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "bench" / "prompt-records.jsonl").read_bytes() == records  # nothing asked twice


def test_bench_runtime_quick_reports_reading_and_decode_speed(tmp_path):
    target = tmp_path / "b.json"
    articles = write_jsonl(tmp_path / "articles.jsonl", ARTICLES * 40)
    result = run("bench", "runtime", "--quick", "--model", "fast", "--articles", str(articles), "--out",
                 str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    variants = json.loads(target.read_text())["runtime"]["variants"]
    assert [(v["flash_attention"], v["batch"]) for v in variants] == [("auto", 512), ("off", 512)]
    assert all(v["prompt_tokens_per_s"] > 0 and v["decode_tokens_per_s"] > 0 and v["prompt_tokens"] > 100
               for v in variants)
    assert "llama.cpp runtime" in result.stdout
