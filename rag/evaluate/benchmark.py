"""`rag bench`: indexing throughput, retrieval latency and answer latency on this machine.

Each section is a speed evaluator (called, it returns its numbers; its table renders them):

index   build throughput against a bare encode, incremental rebuilds (rag.evaluate.index_speed)
query   retrieval latency on synthetic indexes, for each store (rag.evaluate.query_speed)
answer  warm answer latency over the seed articles (rag.evaluate.model_speed)
prompt  whole passages against selected sentences on an evaluation set's questions (rag.evaluate.prompt_bench)
runtime llama.cpp's prompt-reading and decode speed with other runtime settings (rag.evaluate.model_speed)
brief   a briefing over a day of articles in a larger index (rag.evaluate.brief_speed)

Numbers go to a JSON file (default bench-output/bench.json); sections already in that file from other runs are kept.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from rag.config import Settings
from rag.evaluate.brief_speed import BriefSpeed
from rag.evaluate.index_speed import IndexSpeed
from rag.evaluate.model_speed import AnswerSpeed, RuntimeSpeed
from rag.evaluate.prompt_bench import DEFAULTS, WHOLE, PromptBench
from rag.evaluate.query_speed import QuerySpeed
from rag.evaluate.report import command_line, machine_info, settings_dict, write_json

SECTIONS = ("index", "query", "answer", "prompt", "runtime", "brief")
# Each section's table, in the order they are printed
TABLES: dict[str, Callable[[dict], str]] = {
    "index": IndexSpeed.table,
    "query": QuerySpeed.table,
    "answer": AnswerSpeed.table,
    "runtime": RuntimeSpeed.table,
    "prompt": PromptBench.table,
    "brief": BriefSpeed.table,
}


def evaluator(name: str, args: argparse.Namespace, out: Path) -> Callable[[], dict[str, object]]:
    """The speed evaluator of one section, given the command's arguments."""
    if name == "index":
        return IndexSpeed(args.articles, args.quick)
    if name == "query":
        return QuerySpeed(args.quick, getattr(args, "store", None) or ("folder",))
    if name == "brief":
        return BriefSpeed(args.quick, getattr(args, "index_articles", None) or BriefSpeed.index_articles)
    if name == "runtime":
        return RuntimeSpeed(args.model, args.articles, args.quick)
    if name == "prompt":
        configs = getattr(args, "config", None) or (WHOLE, DEFAULTS)
        questions = getattr(args, "questions", None)
        return PromptBench(args.articles, questions, args.sample, args.seed, out.parent, configs, args.model)
    return AnswerSpeed(args.model, getattr(args, "seeds", None), args.quick)


def tables(results: dict[str, dict]) -> str:
    return "\n\n".join(table(results[name]) for name, table in TABLES.items() if name in results)


def run_from_cli(args: argparse.Namespace) -> int:
    what = ["index", "query", "answer"] if args.what == "all" else [args.what]
    out: Path = args.out or Path("bench-output") / "bench.json"
    meta = {
        "command": command_line(args),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick": args.quick,
        "machine": machine_info(),
        "settings": settings_dict(Settings.from_env()),
    }
    results: dict[str, dict] = {}
    for name in what:
        started = time.perf_counter()
        section = evaluator(name, args, out)()
        results[name] = {**section, "seconds": round(time.perf_counter() - started, 1), **meta}
    previous: dict = {}
    if out.exists():
        try:
            previous = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            previous = {}
    data = {
        **{k: v for k, v in previous.items() if k in SECTIONS},
        **results,
        "updated": meta["date"],
        "machine": meta["machine"],
    }
    write_json(out, data)
    print()
    print(tables(results))
    kept = sorted(set(data) & set(SECTIONS) - set(results))
    print(f"\nwrote {out}" + (f" (kept the {', '.join(kept)} section(s) of an earlier run)" if kept else ""))
    return 0
