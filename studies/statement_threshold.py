"""The statement check's threshold read end to end: each answer of a `rag eval` run with the check on, replayed
at other thresholds from its recorded P(yes) per sentence, on each half of the questions.

    python studies/statement_threshold.py STATED_RUN:BASE_RUN [STATED_RUN:BASE_RUN ...] [--out FILE.json]
    python studies/statement_threshold.py --read RUN --into OUT_RUN

--read: a run made without the statement check, each sentence of its shown answers read by it as the pipeline
reads it (read_statement on the three closest sentences of its cited passages), written to OUT_RUN as a run with
"stated" readings, to be replayed as OUT_RUN:RUN (no question is answered again).

STATED_RUN has the statement check on (its "stated" readings), BASE_RUN is the same questions with it off and
the second reading on (the same replies: the check comes after the reply). At a threshold t an answer is shown
when one of its sentences reaches P(yes) >= t and the short-answer reading keeps it (that reading from
STATED_RUN when it ran there, else from BASE_RUN). Right: an accepted answer in the reply of an answerable
question; wrong: an answer to an unanswerable question; other: an answerable question's answer without an
accepted one. Approximate where a reply of several sentences was trimmed (its reply is read whole).

The rule, written before the squad2 run was read: the threshold is the t with the most right answers shown less
wrong answers shown over the fitting halves of all the runs given (ties to the higher t); it is then reported on
the report halves."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from second_reading_effect import WITHHELD, answer_records, truthy  # noqa: E402

from rag.evaluate.questions import half  # noqa: E402
from rag.evaluate.report import write_json  # noqa: E402
from rag.evaluate.scoring import contains  # noqa: E402

THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def shown_at(record: dict, base: dict | None, t: float) -> bool | None:
    """Whether the answer is shown at threshold t (None: abstained before the readings, at any t)."""
    readings = record.get("readings") or []
    stated = [r["agreement"] for r in readings if r["kind"] == "stated" and r["agreement"] is not None]
    if not stated and truthy(record["abstained"]) and record["abstain_reason"] not in WITHHELD:
        return None
    if stated and max(stated) < t:
        return False
    check = [r for r in readings if r["kind"] == "check"] or [
        r for r in (base or {}).get("readings") or [] if r["kind"] == "check"
    ]
    return bool(check) and (check[-1]["agreement"] or 0) > 0


def rates(counts: dict[str, int], answerable: int, unanswerable: int) -> dict[str, float | None]:
    """contains and false abstentions over the answerable questions, abstention recall over the others."""
    return {
        "contains": round(counts["right"] / answerable, 3) if answerable else None,
        "false_abstentions": round(1 - (counts["right"] + counts["other"]) / answerable, 3) if answerable else None,
        "abstention_recall": round(1 - counts["wrong"] / unanswerable, 3) if unanswerable else None,
    }


def kind(record: dict) -> str:
    if not truthy(record["answerable"]):
        return "wrong"
    return "right" if contains(record["reply"], record.get("answers") or []) else "other"


def read_statements(run: Path, into: Path) -> None:
    """The run's records with a "stated" reading of each sentence of its shown answers, written to into."""
    from dataclasses import asdict

    from rag.answering.citations import answer_sentences, marker_numbers
    from rag.answering.models import load_generator
    from rag.answering.second_reading import evidence_window
    from rag.answering.statement_check import read_statement
    from rag.config import Settings
    from rag.index.embedding import make_embedder
    from rag.markers import MARKER

    settings = Settings.from_env()
    model, embed = load_generator(settings), make_embedder(settings).encode
    records = answer_records(run)
    into.mkdir(parents=True, exist_ok=True)
    with (into / "records.jsonl").open("w", encoding="utf-8") as handle:
        for number, record in enumerate(records, start=1):
            if not truthy(record["abstained"]):
                passages = {c["number"]: c["passage"] for c in record["citations"]}
                for sentence in answer_sentences(record["text"]):
                    cited = [passages[n] for m in MARKER.finditer(sentence) for n in marker_numbers(m) if n in passages]
                    if cited:
                        window = evidence_window(sentence, list(dict.fromkeys(cited)), embed)
                        record["readings"] = [*record["readings"], asdict(read_statement(model, window, sentence))]  # type: ignore[arg-type]
            handle.write(json.dumps(record) + "\n")
            if number % 50 == 0:
                print(f"  {number} of {len(records)}", flush=True)
    print(f"wrote {into / 'records.jsonl'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", nargs="*")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--read", type=Path, help="a run without the statement check, to read its answers")
    parser.add_argument("--into", type=Path, help="with --read: where the run with the readings goes")
    args = parser.parse_args()
    if args.read:
        read_statements(args.read, args.into or args.read.with_name(args.read.name + "-read"))
        return
    report: dict = {}
    for pair in args.pairs:
        stated_run, base_run = (Path(p) for p in pair.split(":"))
        base = {r["id"]: r for r in answer_records(base_run)}
        records = answer_records(stated_run)
        for name in ("fit", "report", "all"):
            mine = [r for r in records if name in ("all", half(r["id"]))]
            answerable = sum(truthy(r["answerable"]) for r in mine)
            rows = {}
            for t in THRESHOLDS:
                counts = {"right": 0, "other": 0, "wrong": 0}
                for record in mine:
                    if shown_at(record, base.get(record["id"]), t):
                        counts[kind(record)] += 1
                rows[str(t)] = {**counts, **rates(counts, answerable, len(mine) - answerable)}
            report[f"{stated_run.name}/{name}"] = rows
            print(stated_run.name, name, len(mine), "questions; shown right / other / wrong by threshold:")
            for t, counts in rows.items():
                print(f"  {t}: {counts['right']} / {counts['other']} / {counts['wrong']}; "
                      + ", ".join(f"{k} {v}" for k, v in counts.items() if k not in ("right", "other", "wrong")))
    totals = {
        t: sum(rows[t]["right"] - rows[t]["wrong"] for key, rows in report.items() if key.endswith("/fit"))
        for t in map(str, THRESHOLDS)
    }
    chosen = max(reversed(list(totals)), key=lambda t: totals[t])
    print(f"fitting halves, right less wrong by threshold: {totals}; chosen: {chosen}")
    for key, rows in report.items():
        if key.endswith(("/report", "/all")):
            print(f"  {key} at {chosen}: {rows[chosen]} (at 0.0: {rows['0.0']})")
    report["chosen"] = {"threshold": float(chosen), "fit_right_less_wrong": totals}
    if args.out:
        write_json(args.out, report)


if __name__ == "__main__":
    main()
