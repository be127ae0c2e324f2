"""What the checks before the model decide on a question set, without generating anything: how many answerable
questions they decline (false abstentions) and how many unanswerable ones, by reason.

    python -m rag.evaluate.checks --articles A.jsonl --questions Q.jsonl [--sample N] [--out FILE]

Each question goes through the steps of an answer up to the check before the model (QA.plan, QA.gather,
QA.check): an abstention decided from the passages, or none (the model would be asked)."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rag.answering.qa import QA
from rag.evaluate.questions import load_questions, record_ask, sample_questions
from rag.evaluate.report import markdown_table, write_json
from rag.evaluate.set_index import set_qa


def first_decision(qa: QA, question: dict) -> str | None:
    """The reason the checks before the model abstain on the question, or None when the model would be asked:
    the steps of an answer up to the check (plan, gather, check), without the model."""
    ask = qa.validate(record_ask(question))
    early = qa.check.run(qa.gather(qa.plan(ask), qa.settings.top_k))
    return early.reason if early else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.evaluate.checks", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    questions = sample_questions(load_questions(args.questions), args.sample, args.seed)
    qa = set_qa(args.articles)
    decided: dict[str, Counter[str]] = {"answerable": Counter(), "unanswerable": Counter()}
    for question in questions:
        kind = "answerable" if question["answerable"] else "unanswerable"
        decided[kind][first_decision(qa, question) or "asks the model"] += 1
    rows = []
    for kind, counts in decided.items():
        total = sum(counts.values())
        declined = total - counts["asks the model"]
        rows.append(
            [
                kind,
                total,
                declined,
                round(declined / total, 3) if total else None,
                ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()) if reason != "asks the model")
                or "none",
            ]
        )
    set_name = args.questions.resolve().parent.name
    print(f"{set_name}: checks before the model ({len(questions)} questions)\n")
    print(markdown_table(["questions", "count", "declined before the model", "share", "by reason"], rows))
    out = args.out or Path("eval-output") / f"{set_name}-checks.json"
    write_json(
        out, {"set": set_name, "questions": len(questions), **{kind: dict(counts) for kind, counts in decided.items()}}
    )
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
