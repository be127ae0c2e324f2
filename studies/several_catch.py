"""How many questions the multi-report reading catches, per question type, and of what kind (no model).

    python studies/several_catch.py SET_FOLDER [SET_FOLDER ...] [--out FILE]

Each SET_FOLDER holds articles.jsonl (whose sources are the ones the index would hold) and questions.jsonl.
On a set of multi-report questions (multihop_rag) the catches are wanted; on sets of single-report questions
(realtimeqa_dev, squad2) every catch is a false one.

Found: of multihop_rag, 137 of 154 comparison, 99 of 114 temporal, 131 of 161 inference questions and 33 of 71
null queries caught; no question of realtimeqa_dev, squad2, rgb_en_fact or nq_open. The numbers stand in
docs/results.md, "Questions across several reports"."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from rag.evaluate.questions import load_questions
from rag.evaluate.report import markdown_table, write_json
from rag.search.several import several_reports


def catches(folder: Path) -> Counter[tuple[str, str]]:
    """(question type, kind caught or "-") -> questions, over one set."""
    with (folder / "articles.jsonl").open(encoding="utf-8") as lines:
        sources = {json.loads(line).get("source") or "" for line in lines if line.strip()} - {""}
    counted: Counter[tuple[str, str]] = Counter()
    for question in load_questions(folder / "questions.jsonl"):
        found = several_reports(question["question"], sources)
        kind = "-" if found is None else found.kind + (" (outlet missing)" if found.missing_outlets else "")
        counted[(str(question.get("question_type") or folder.name), kind)] += 1
    return counted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/several_catch.py", description=__doc__.split("\n")[0])
    parser.add_argument("sets", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=Path("eval-output/several-catch.json"))
    args = parser.parse_args(argv)
    rows: list[tuple[object, ...]] = []
    result: dict[str, dict[str, object]] = {}
    for folder in args.sets:
        counted = catches(folder)
        result[folder.name] = {}
        for question_type in sorted({t for t, _ in counted}):
            total = sum(n for (t, _), n in counted.items() if t == question_type)
            kinds = {k: n for (t, k), n in counted.items() if t == question_type}
            caught = total - kinds.get("-", 0)
            result[folder.name][question_type] = {"questions": total, "caught": caught, "kinds": kinds}
            spread = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()) if k != "-")
            rows.append((folder.name, question_type, total, caught, f"{caught / total:.3f}", spread or "-"))
    print(markdown_table(("set", "question type", "questions", "caught", "share", "kinds"), rows))
    write_json(args.out, result)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
