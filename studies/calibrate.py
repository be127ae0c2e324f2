"""The answerability gate's threshold, chosen on one half of the questions and reported on the other half.

    python studies/calibrate.py RUN_DIR [RUN_DIR ...] [--max-false-abstention 0.05]

Each RUN_DIR is the output of `rag eval --retrieval-only` (its records.jsonl). The signal is the cosine
similarity of the best hybrid passage. A question's half comes from a hash of its id, so no question that
chose the threshold is among those it is reported on. The threshold is the highest one that declines at most
--max-false-abstention of the answerable questions of the fitting half; the report gives, per set and
half, how many unanswerable questions it declines (recall), how many answerable ones (false abstentions),
and the AUROC of the signal.

Found: the best passage's similarity alone declines, on the report half, 0.233 of the unanswerable questions at
0.033 false abstentions over all sets (AUROC 0.694); the threshold it chose (0.363) set RAG_ANSWER_SIMILARITY's
default, 0.36. The numbers stand in docs/results.md, "Checks before the model"."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.evaluate.questions import half
from rag.evaluate.report import fmt, markdown_table, write_json
from rag.evaluate.scoring import auroc, choose_threshold


def best_similarity(record: dict) -> float:
    return float(record["similarities"][0]) if record.get("similarities") else -1.0


def load(run: Path) -> list[dict]:
    with (run / "records.jsonl").open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return [r for r in records if r.get("kind") == "retrieval" and r.get("mode") == "hybrid"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/calibrate.py", description=__doc__.split("\n")[0])
    parser.add_argument("runs", type=Path, nargs="+", help="rag eval --retrieval-only output folders")
    parser.add_argument("--max-false-abstention", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=Path("eval-output") / "calibration.json")
    args = parser.parse_args(argv)
    sets = {run.name: load(run) for run in args.runs}
    sets["all sets"] = [r for records in list(sets.values()) for r in records]
    fitting = [best_similarity(r) for r in sets["all sets"] if r["answerable"] and half(r["id"]) == "fit"]
    threshold = choose_threshold(fitting, args.max_false_abstention)
    rows, report = [], {"threshold": threshold, "max_false_abstention": args.max_false_abstention, "sets": {}}
    for name, records in sets.items():
        for part in ("fit", "report"):
            mine = [r for r in records if half(r["id"]) == part]
            yes = [best_similarity(r) for r in mine if r["answerable"]]
            no = [best_similarity(r) for r in mine if not r["answerable"]]
            numbers = {
                "answerable": len(yes),
                "unanswerable": len(no),
                "abstention_recall": sum(s < threshold for s in no) / len(no) if no else None,
                "false_abstention": sum(s < threshold for s in yes) / len(yes) if yes else None,
                "auroc": auroc(yes, no),
            }
            report["sets"].setdefault(name, {})[part] = numbers
            rows.append(
                [
                    name,
                    part,
                    numbers["answerable"],
                    numbers["unanswerable"],
                    numbers["abstention_recall"],
                    numbers["false_abstention"],
                    numbers["auroc"],
                ]
            )
    print(
        f"threshold (best passage similarity) {fmt(threshold)}, chosen on the fitting half's answerable "
        f"questions (at most {args.max_false_abstention:.0%} declined)\n"
    )
    print(
        markdown_table(
            ["set", "half", "answerable", "unanswerable", "abstention recall", "false abstention", "AUROC"], rows
        )
    )
    write_json(args.out, report)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
