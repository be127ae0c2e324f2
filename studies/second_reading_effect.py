"""What the second reading did in a `rag eval` run with it on (the issue on meaning): answers it kept, withheld
and recovered, right or wrong, on each half, and the time it took.

    python studies/second_reading_effect.py RUN_DIR [RUN_DIR ...] [--out FILE.json]

An answer is right when it contains an accepted answer of an answerable question; on an unanswerable question
every answer is wrong. A withheld answer's text is the last of its removed sentences. The total time without
the second reading is the answer's total less the reading's own seconds (timings.reread_s), in the same run."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fit_gate import answers_of, truthy  # noqa: E402  (the sibling script)

from rag.evaluate.questions import half  # noqa: E402
from rag.evaluate.report import write_json  # noqa: E402
from rag.evaluate.scoring import contains  # noqa: E402


def outcome(record: dict) -> str | None:
    """kept / withheld / recovered / declined-unrecovered, or None when no reading ran."""
    kinds = {reading["kind"] for reading in record.get("readings") or []}
    if "check" in kinds:
        return "withheld" if record["abstain_reason"] == "readings disagree" else "kept"
    if "recover" in kinds:
        return "unrecovered" if truthy(record["abstained"]) else "recovered"
    return None


def rightness(record: dict, what: str) -> str:
    """right / wrong / other (an answerable question's answer without an accepted answer) of the answer the
    reading judged (a withheld one: its removed text), or of a recovery."""
    if what == "unrecovered":
        return "-"
    text = record["unsupported"][-1] if what == "withheld" else record["text"]
    if not truthy(record["answerable"]):
        return "wrong"
    return "right" if contains(text, record.get("answers") or []) else "other"


def summarize(records: list[dict]) -> dict[str, object]:
    counts: Counter[str] = Counter()
    for record in records:
        what = outcome(record)
        if what:
            counts[f"{what} {rightness(record, what)}"] += 1
    totals = [r["timings"]["total_s"] for r in records if r.get("timings", {}).get("total_s")]
    rereads = [r["timings"].get("reread_s") or 0.0 for r in records if r.get("timings", {}).get("total_s")]
    return {
        "questions": len(records),
        "outcomes": dict(sorted(counts.items())),
        "reread_s_median_when_run": statistics.median([s for s in rereads if s] or [0.0]),
        "total_s_median": statistics.median(totals) if totals else None,
        "total_s_median_without_reading": statistics.median([t - s for t, s in zip(totals, rereads)])
        if totals
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report = {}
    for run in args.runs:
        _, records = answers_of(run)
        report[run.name] = {
            "all": summarize(records),
            **{name: summarize([r for r in records if half(r["id"]) == name]) for name in ("fit", "report")},
        }
        print(run.name, json.dumps(report[run.name], indent=1))
    if args.out:
        write_json(args.out, report)


if __name__ == "__main__":
    main()
