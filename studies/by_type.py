"""A recorded run's answers per question type, and how often a yes/no answer's verdict is right.

    python studies/by_type.py RUN_FOLDER [RUN_FOLDER ...] [--questions-of RUN_FOLDER]

Per type: contains and false abstentions over answerable questions, abstention recall over unanswerable
ones, unsupported claims (the evaluation's own check). For questions answered yes or no: how many answers
end in a verdict ("Yes: ..." / "No: ..." as the last line's first word) and how many of those are right, on
each half (rag.evaluate.questions.half), against always answering yes. A "contains" on these questions
can also come from a "no" or "yes" inside a quoted sentence; the verdict count reads only the verdict.
--questions-of reads only the questions another run asked (a sample's questions within an all-questions run).

Found (multihop_rag, all 500): contains 0.526 / 0.571 / 0.447 on comparison / inference / temporal questions,
null-query abstention recall 0.972; the yes/no verdicts are right on 0.439 of the report half against 0.598 for
always yes. The numbers stand in docs/results.md, "Questions across several reports"."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from rag.evaluate.questions import half
from rag.evaluate.report import markdown_table
from rag.evaluate.scoring import unsupported_claim_share

_VERDICT = re.compile(r"^(yes|no)\b", re.IGNORECASE)


def verdict_word(text: str) -> str | None:
    """ "yes" or "no" when the answer's last line opens with it, else None."""
    lines = text.strip().splitlines()
    match = _VERDICT.match(lines[-1].strip()) if lines else None
    return match.group(1).lower() if match else None


def per_type(records: Sequence[Mapping]) -> Sequence[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for kind in [*sorted({str(r.get("question_type") or "-") for r in records}), "all"]:
        chosen = [r for r in records if kind in ("all", str(r.get("question_type") or "-"))]
        answerable = [r for r in chosen if r["answerable"]]
        unanswerable = [r for r in chosen if not r["answerable"]]
        share = unsupported_claim_share(chosen)
        rows.append((
            kind,
            len(chosen),
            f"{sum(r['contains'] or 0 for r in answerable) / len(answerable):.3f}" if answerable else "-",
            f"{sum(r['abstained'] for r in answerable) / len(answerable):.3f}" if answerable else "-",
            f"{sum(r['abstained'] for r in unanswerable) / len(unanswerable):.3f}" if unanswerable else "-",
            "-" if share is None else f"{share:.3f}",
        ))  # fmt: skip
    return rows


def verdicts(records: Sequence[Mapping]) -> Sequence[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for which in ("fit", "report", "all"):
        asked = [
            r
            for r in records
            if r["answerable"]
            and [a.lower() for a in r["answers"][:1]] in (["yes"], ["no"])
            and which in ("all", half(r["id"]))
        ]
        given = [r for r in asked if verdict_word(r["text"]) and not r["abstained"]]
        right = sum(verdict_word(r["text"]) == r["answers"][0].lower() for r in given)
        yes = sum(r["answers"][0].lower() == "yes" for r in asked)
        rows.append((which, len(asked), len(given), right, f"{right / len(asked):.3f}" if asked else "-",
                     f"{yes / len(asked):.3f}" if asked else "-"))  # fmt: skip
    return rows


def _answers(run: Path) -> list[dict]:
    return [r for r in json.loads((run / "results.json").read_text())["records"] if r["kind"] == "answer"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/by_type.py", description=__doc__.split("\n")[0])
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--questions-of", type=Path, help="read only the questions this run asked")
    args = parser.parse_args(argv)
    asked = {r["id"] for r in _answers(args.questions_of)} if args.questions_of else None
    for run in args.runs:
        records = [r for r in _answers(run) if asked is None or r["id"] in asked]
        print(f"## {run}\n")
        header = ("question type", "questions", "contains", "false abstentions", "abstention recall", "unsupported")
        print(markdown_table(header, per_type(records)))
        print()
        header = ("half", "yes/no questions", "verdicts given", "right", "right share", "always yes")
        print(markdown_table(header, verdicts(records)))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
