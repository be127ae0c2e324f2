"""What the second reading did in a `rag eval` run with it on (the issue on meaning): answers it kept, trimmed
(the statement check removed a sentence), withheld and recovered, right or wrong, on each half, and the time
it took.

    python studies/second_reading_effect.py RUN_DIR [RUN_DIR ...] [--out FILE.json]

An answer is right when it contains an accepted answer of an answerable question; on an unanswerable question
every answer is wrong. A withheld answer is read in the model's reply (what the verification kept of it was
shown). "without" gives the
run's contains, false abstentions and abstention recall as they would have been without the reading (a withheld
answer shown, a recovered one abstaining), "with" as the defaults leave them (a recovery abstains:
RAG_RECOVER_DECLINES is off). The total time without
the second reading is the answer's total less the reading's own seconds (timings.reread_s), in the same run."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fit_gate import truthy  # noqa: E402  (the sibling script)

from rag.evaluate.questions import half  # noqa: E402
from rag.evaluate.report import write_json  # noqa: E402
from rag.evaluate.scoring import contains  # noqa: E402


def answer_records(run: Path) -> list[dict]:
    """The run's answer records, the last of each question (a run still under way gives those so far)."""
    with (run / "records.jsonl").open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return list({r["id"]: r for r in records if r.get("kind") == "answer"}.values())


WITHHELD = ("readings disagree", "not stated")  # the short answer disagreed; the evidence said no sentence


def outcome(record: dict) -> str | None:
    """kept / trimmed (a sentence the statement check removed, the answer shown) / withheld / recovered /
    unrecovered (a decline the readings did not recover), or None when no reading ran."""
    readings = record.get("readings") or []
    kinds = {reading["kind"] for reading in readings}
    if kinds & {"check", "stated"}:
        if record["abstain_reason"] in WITHHELD:
            return "withheld"
        said_no = any(r["kind"] == "stated" and r["reply"] == "no" for r in readings)
        return "trimmed" if said_no and not truthy(record["abstained"]) else "kept"
    if "recover" in kinds:
        return "unrecovered" if truthy(record["abstained"]) else "recovered"
    return None


def rightness(record: dict, what: str) -> str:
    """right / wrong / other (an answerable question's answer without an accepted answer) of the answer the
    reading judged (a withheld one: its removed text), or of a recovery."""
    if what == "unrecovered":
        return "-"
    text = record["reply"] if record["abstain_reason"] in WITHHELD else record["text"]
    if not truthy(record["answerable"]):
        return "wrong"
    return "right" if contains(text, record.get("answers") or []) else "other"


def without_reading(record: dict) -> tuple[bool, float]:
    """(abstained, contains) of the answer as it would have been without the second reading."""
    what = outcome(record)
    if what in ("withheld", "trimmed"):  # read in the reply (what the verification alone kept of it was shown)
        return False, float(contains(record["reply"], record.get("answers") or []))
    if what == "recovered":
        return True, 0.0
    return truthy(record["abstained"]), float(record.get("contains") or 0.0)


def with_reading(record: dict) -> tuple[bool, float]:
    """(abstained, contains) of the answer as the second reading left it (recoveries abstain: the default)."""
    if outcome(record) == "recovered":
        return True, 0.0
    return truthy(record["abstained"]), float(record.get("contains") or 0.0)


def rates(records: list[dict], read: bool) -> dict[str, float | None]:
    """contains and false abstentions over answerable questions, abstention recall over the others."""
    answerable = [r for r in records if truthy(r["answerable"])]
    other = [r for r in records if not truthy(r["answerable"])]
    state = [with_reading(r) if read else without_reading(r) for r in answerable]
    unanswered = [with_reading(r)[0] if read else without_reading(r)[0] for r in other]
    return {
        "contains": round(sum(c for _, c in state) / len(state), 3) if state else None,
        "false_abstentions": round(sum(a for a, _ in state) / len(state), 3) if state else None,
        "abstention_recall": round(sum(unanswered) / len(unanswered), 3) if unanswered else None,
    }


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
        "with": rates(records, read=True),
        "without": rates(records, read=False),
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
        records = answer_records(run)
        report[run.name] = {
            "all": summarize(records),
            **{name: summarize([r for r in records if half(r["id"]) == name]) for name in ("fit", "report")},
        }
        print(run.name, json.dumps(report[run.name], indent=1))
    if args.out:
        write_json(args.out, report)


if __name__ == "__main__":
    main()
