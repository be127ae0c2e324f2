"""Two `rag eval` runs of the same questions side by side: are their retrieval records identical (the same
passages with the same similarities, per question and retriever), and how far do their answers move
(contains, abstentions and false abstentions, as counts, and the questions whose outcome changed)?

    python studies/compare_runs.py eval-output/RUN-before eval-output/RUN-after [--out FILE]

For a change that should not change behaviour. Answers are compared by their outcomes and as whole records
less what differs by nature (timings, the code's config key): with the prompt cache off (the default) the
same code gives the same records; with llama.cpp's prompt-cache reuse on, texts may differ from run to run.

It checks that a change kept behaviour (docs/results.md names the command at its top) and records no number of
its own."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.evaluate.report import markdown_table, write_json

ANSWER_METRICS = ("contains", "false_abstention_rate", "abstentions", "citation_precision", "unsupported_claims")


def load_run(folder: Path) -> dict:
    """A run's results.json (what `rag eval --out folder` wrote)."""
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def retrieval_differences(before: dict, after: dict) -> tuple[int, list[str]]:
    """(records compared, the "question id / retriever" of those whose passages or similarities differ)."""

    def by_key(run: dict) -> dict[tuple[str, str], tuple]:
        return {
            (r["id"], r["mode"]): (r["retrieved"], r["similarities"], r["time_frame"])
            for r in run["records"]
            if r["kind"] == "retrieval"
        }

    old, new = by_key(before), by_key(after)
    shared = sorted(old.keys() & new.keys())
    return len(shared), [f"{qid} / {mode}" for qid, mode in shared if old[qid, mode] != new[qid, mode]]


def outcome(record: dict) -> str:
    """What an answer record came to: "right" (holds an accepted answer), "abstained" or "other"."""
    if record["abstained"]:
        return "abstained"
    return "right" if record.get("contains") else "other"


def answer_changes(before: dict, after: dict) -> list[tuple[str, str, str]]:
    """(question id, outcome before, outcome after) for each question whose outcome changed."""
    old = {r["id"]: outcome(r) for r in before["records"] if r["kind"] == "answer"}
    new = {r["id"]: outcome(r) for r in after["records"] if r["kind"] == "answer"}
    return [(qid, old[qid], new[qid]) for qid in sorted(old.keys() & new.keys()) if old[qid] != new[qid]]


RUN_SPECIFIC = frozenset({"key", "config", "timings", "seconds"})  # differ from run to run by nature


def record_differences(before: dict, after: dict) -> tuple[int, list[str]]:
    """(answer records compared, the ids of those that differ in anything but RUN_SPECIFIC fields: the text,
    the model's reply, citations, support, abstention and its reason ...)."""

    def by_id(run: dict) -> dict[str, dict]:
        return {
            r["id"]: {k: v for k, v in r.items() if k not in RUN_SPECIFIC}
            for r in run["records"]
            if r["kind"] == "answer"
        }

    old, new = by_id(before), by_id(after)
    shared = sorted(old.keys() & new.keys())
    return len(shared), [qid for qid in shared if old[qid] != new[qid]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/compare_runs.py", description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path, help="the --out folder of the first run")
    parser.add_argument("after", type=Path, help="the --out folder of the second run")
    parser.add_argument("--out", type=Path, default=None, help="JSON file for the comparison")
    args = parser.parse_args(argv)
    before, after = load_run(args.before), load_run(args.after)
    compared, differing = retrieval_differences(before, after)
    print(f"retrieval records: {compared} compared, {compared - len(differing)} identical, {len(differing)} differ")
    for key in differing[:20]:
        print(f"  differs: {key}")
    result: dict[str, object] = {"before": str(args.before), "after": str(args.after),
                                 "retrieval_records": compared, "retrieval_differing": differing}  # fmt: skip
    old, new = before["summary"].get("answers"), after["summary"].get("answers")
    if old and new:
        rows = [[name, old.get(name), new.get(name)] for name in ANSWER_METRICS]
        changes = answer_changes(before, after)
        records, moved = record_differences(before, after)
        print(
            f"answer records: {records} compared, {records - len(moved)} identical apart from timings, "
            f"{len(moved)} differ" + "".join(f"\n  differs: {qid}" for qid in moved[:20])
        )
        print()
        print(markdown_table(["answers", "before", "after"], rows))
        print(f"\n{len(changes)} questions changed outcome" + "".join(f"\n  {q}: {b} -> {a}" for q, b, a in changes))
        result.update(answers={name: {"before": b, "after": a} for name, b, a in rows}, changed=changes,
                      answer_records=records, answer_records_differing=moved)  # fmt: skip
    if args.out:
        write_json(args.out, result)
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
