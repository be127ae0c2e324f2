"""`rag eval`: retrieval (dense, lexical, hybrid) and answer quality on a question set, resumable.

The set's articles are indexed once into the cache (rag.evaluate.set_index); the user's index is never touched.
The retrieval and answer evaluators (rag.evaluate.evaluators) append per-question records to <out>/records.jsonl
as they finish, so an interrupted run continues where it stopped; <out> then gets results.json (the summary and
every record), report.md and the plots (rag.evaluate.eval_report)."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from rag.config import Settings
from rag.errors import RagError
from rag.evaluate.eval_report import make_plots, report_markdown, summary_tables
from rag.evaluate.evaluators import AnswerEvaluator, RetrievalEvaluator
from rag.evaluate.questions import load_questions, sample_questions
from rag.evaluate.records import Records
from rag.evaluate.report import command_line, machine_info, settings_dict, write_json
from rag.evaluate.set_index import DEFAULT_STORE, LazyEmbedder, eval_index_settings


def chosen_questions(args: argparse.Namespace) -> list[dict]:
    """The set's questions the command asks for: of one type (--question-type), a sample (--sample, --seed)."""
    for path in (args.articles, args.questions):
        if not path.is_file():
            raise RagError(f"{path} does not exist; pass the set's articles.jsonl and questions.jsonl")
    questions = load_questions(args.questions)
    if getattr(args, "question_type", None):
        questions = [q for q in questions if q.get("question_type") == args.question_type]
        if not questions:
            raise RagError(f"{args.questions} has no questions of type {args.question_type!r}")
    return sample_questions(questions, args.sample, args.seed)


def run_from_cli(args: argparse.Namespace) -> int:
    from rag.answering.qa import QA
    from rag.index.indexing import build_index

    started = time.perf_counter()
    questions = chosen_questions(args)
    set_name = args.questions.resolve().parent.name
    out: Path = args.out or Path("eval-output") / set_name
    base = Settings.from_env(
        generator=getattr(args, "model", None), news_aware=False if getattr(args, "no_news", False) else None
    )
    settings, index_key = eval_index_settings(args.articles, base, getattr(args, "store", DEFAULT_STORE))
    print(f"{len(questions)} questions from {args.questions}; index of {args.articles} in {settings.index_dir}")

    embedder = LazyEmbedder(settings)
    build = build_index(settings, embedder=embedder, log=print, progress=True)
    print(f"index: {build.summary()}")

    qa = QA(settings, embedder=embedder)
    retriever = qa.retriever()
    records = Records(out / "records.jsonl")
    retrieval = RetrievalEvaluator(questions, records, settings, index_key)
    answers = None if args.retrieval_only else AnswerEvaluator(questions, records, settings, index_key)
    wanted = retrieval.keys() + (answers.keys() if answers else [])
    already = sum(1 for key in wanted if key in records.done)
    if already:
        print(f"resuming: {already} of {len(wanted)} records already in {records.path}, not recomputed")
    try:
        summary = {"retrieval": retrieval(qa), "answers": answers(qa) if answers else None}
    finally:
        records.close()

    manifest = retriever.store.manifest
    result = {
        "command": command_line(args),
        "cwd": os.getcwd(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "set": set_name,
        "articles_file": str(args.articles.resolve()),
        "questions_file": str(args.questions.resolve()),
        "sample": args.sample,
        "seed": args.seed,
        "questions": len(questions),
        "machine": machine_info(),
        "settings": settings_dict(settings),
        "index": {
            "folder": str(settings.index_dir),
            "key": index_key,
            "articles": len(manifest["articles"]),
            "chunks": retriever.store.count(),
            "settings": manifest["settings"],
        },
        "retrieval_config": retrieval.describe(),
        "answer_config": answers.describe() if answers else None,
        "seconds": round(time.perf_counter() - started, 1),
        "model_load_s": {**retrieval.loading, **(answers.loading if answers else {})},
        "summary": summary,
        "records": retrieval.scored + (answers.scored if answers else []),
    }
    write_outputs(out, result)
    return 0


def write_outputs(out: Path, result: dict) -> None:
    """results.json, the plots and report.md into out; the summary's tables printed."""
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "results.json", result)
    plots = make_plots(out, result["summary"], result["records"])
    tables = summary_tables(result["summary"])
    (out / "report.md").write_text(report_markdown(result, tables, plots), encoding="utf-8")
    print()
    print(tables)
    print(f"\nwrote {out / 'results.json'}, {out / 'report.md'}" + "".join(f", {out / p}" for p in plots))
