"""Fit the answerability gate on one half of the questions and report it on the other half.

    python studies/fit_gate.py RUN_DIR [RUN_DIR ...] [--max-false-abstention 0.05] [--write]

Each RUN_DIR is the output of `rag eval` with answers (records.jsonl, results.json naming its articles). For
every answer the model gave (not declined, something verified), the question is searched again on the set's
index and the gate's signals are read from the recorded reply finished as the answer step finishes it, with the
second reading the run recorded (its agreement; a run without the reading counts it at the fitted mean). A
logistic model (plain numpy, L2) is fitted on the questions whose id hash puts them in the fitting half
(calibrate.half) to tell answerable from unanswerable ones; its threshold is the highest that abstains on at
most --max-false-abstention of the fitting half's answered answerable questions. The report gives each
signal's AUROC on the report half (kept or not) and, per set, the answers before and after the gate on that
half. The model's P(NONE) for the answering sentence (rag.answering.evidence), the one signal that reads the
answering model, is kept per question beside --out (NAME-evidence.json) and reused by the next fit.
--write saves the weights to rag/answering/data/gate.json.

Found: on runs without the second reading, AUROC 0.780 on the report half (0.768 without P(NONE)); refitted with
the reading's agreement on runs with the statement check (rt100-stated, rt-removed-stated, squad2-160-stated),
AUROC 0.742 (the agreement alone 0.586) and no better than the model's own declines on the report halves, so
RAG_GATE stays off by default. The numbers stand in docs/results.md, "Answerability gate"."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag.answering.answerability import SIGNALS, WEIGHTS, Gate, signals
from rag.answering.evidence import none_probability
from rag.answering.finishing import finish_answer
from rag.answering.selection import select_sentences
from rag.evaluate.questions import half, record_ask
from rag.evaluate.report import fmt, markdown_table, write_json
from rag.evaluate.scoring import auroc, choose_threshold
from rag.evaluate.set_index import set_qa
from rag.model import Reading, Timings

L2 = 1.0  # ridge on the weights (not the bias): the fitting halves hold about a hundred answers


def answers_of(run: Path) -> tuple[Path, list[dict]]:
    """The set's articles file and the run's answer records (the last of each question)."""
    result = json.loads((run / "results.json").read_text(encoding="utf-8"))
    with (run / "records.jsonl").open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    last = {r["id"]: r for r in records if r.get("kind") == "answer"}
    return Path(result["articles_file"]), list(last.values())


def gate_rows(run: Path, asked: dict[str, float | None]) -> list[dict]:
    """One row per answer the model gave in the run: id, set, answerable, contains and the gate's signals.
    asked keeps the model's P(NONE) per question ("set/id") across fits, the one signal that costs a model read."""
    articles, records = answers_of(run)
    qa = set_qa(articles)
    rows, differ = [], 0
    for record in records:
        if record["abstained"] or not record.get("reply"):
            rows.append({"id": record["id"], "set": run.name, "record": record, "signals": None})
            continue
        found = qa.gather(qa.plan(record_ask(record)), qa.settings.top_k)
        chosen = select_sentences(found.plan.read, found.passages, qa.embedder.encode, qa.settings.sentence_share)
        final = None
        for read in (chosen, found.passages):  # the reply was written on the cut passages, or on the whole ones
            final = finish_answer(
                record["reply"], read, found.hits, Timings(), found.plan, True, found.passages
            )
            if final.text == record["text"]:
                break
        assert final is not None
        differ += final.text != record["text"]
        final = replace(final, readings=[Reading(**reading) for reading in record.get("readings") or []])
        key = f"{run.name}/{record['id']}"
        if key not in asked:
            asked[key] = none_probability(qa.generator, found.plan.question, read, qa.embedder.encode)
        none = asked[key]
        rows.append(
            {
                "id": record["id"],
                "set": run.name,
                "record": record,
                "signals": signals(found.plan.read, found.hits, found.passages, final, none),
            }
        )
    answered = sum(row["signals"] is not None for row in rows)
    print(f"{run}: {answered} answers; {differ} finish differently now than recorded (code changed since)")
    return rows


def fit(features: np.ndarray, labels: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method: weights and bias."""
    x = np.hstack([features, np.ones((len(features), 1))])
    beta = np.zeros(x.shape[1])
    ridge = np.diag([l2] * features.shape[1] + [0.0])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ beta))
        gradient = x.T @ (p - labels) + ridge @ beta
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + ridge + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def matrix(rows: list[dict]) -> np.ndarray:
    """The rows' signals, a signal not measured for an answer (no second reading) at the mean of the others."""
    values = np.array([[row["signals"].get(name, np.nan) for name in SIGNALS] for row in rows], dtype=float)
    return np.where(np.isnan(values), np.nanmean(values, axis=0), values)


def truthy(value: object) -> bool:
    return value is True or value == "True" or value == 1


def outcome(rows: list[dict], gate: Gate | None) -> dict[str, object]:
    """The set's answers on these questions, without the gate (None) or with it."""
    answerable = [r for r in rows if truthy(r["record"]["answerable"])]
    unanswerable = [r for r in rows if not truthy(r["record"]["answerable"])]

    def abstains(row: dict) -> bool:
        if truthy(row["record"]["abstained"]):
            return True
        return gate is not None and row["signals"] is not None and gate.probability(row["signals"]) < gate.threshold

    abstained = [r for r in rows if abstains(r)]
    right = [r for r in answerable if not abstains(r) and float(r["record"].get("contains", 0)) == 1.0]
    return {
        "questions": len(rows),
        "contains": len(right) / len(answerable) if answerable else None,
        "false_abstention": sum(map(abstains, answerable)) / len(answerable) if answerable else None,
        "abstention_recall": sum(map(abstains, unanswerable)) / len(unanswerable) if unanswerable else None,
        "abstention_precision": (
            sum(not truthy(r["record"]["answerable"]) for r in abstained) / len(abstained) if abstained else None
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/fit_gate.py", description=__doc__.split("\n")[0])
    parser.add_argument("runs", type=Path, nargs="+", help="rag eval output folders (with answers)")
    parser.add_argument("--max-false-abstention", type=float, default=0.05)
    parser.add_argument("--write", action="store_true", help=f"save the fitted gate to {WEIGHTS}")
    parser.add_argument("--out", type=Path, default=Path("eval-output") / "gate.json")
    args = parser.parse_args(argv)
    asked_file = args.out.with_name(args.out.stem + "-evidence.json")
    asked = json.loads(asked_file.read_text(encoding="utf-8")) if asked_file.exists() else {}
    rows = []
    for run in args.runs:
        rows += gate_rows(run, asked)
        write_json(asked_file, asked)
    answered = [r for r in rows if r["signals"] is not None]
    fitting = [r for r in answered if half(r["id"]) == "fit"]
    labels = np.array([truthy(r["record"]["answerable"]) for r in fitting], dtype=float)
    weights, bias = fit(matrix(fitting), labels)
    gate = Gate(dict(zip(SIGNALS, map(float, weights), strict=True)), bias, 0.0)
    fitted_yes = [gate.probability(r["signals"]) for r, y in zip(fitting, labels, strict=True) if y]
    means = dict(zip(SIGNALS, map(float, matrix(fitting).mean(axis=0)), strict=True))
    gate = Gate(gate.weights, bias, choose_threshold(fitted_yes, args.max_false_abstention), means)
    reporting = [r for r in answered if half(r["id"]) == "report"]

    def separation(value: object) -> float | None:
        yes = [value(r) for r in reporting if truthy(r["record"]["answerable"])]  # type: ignore[operator]
        no = [value(r) for r in reporting if not truthy(r["record"]["answerable"])]  # type: ignore[operator]
        return auroc(yes, no)

    signal_rows = [
        [name, fmt(gate.weights[name]), fmt(separation(lambda r, n=name: r["signals"][n]))] for name in SIGNALS
    ]
    signal_rows.append(["the gate", fmt(bias) + " (bias)", fmt(separation(lambda r: gate.probability(r["signals"])))])
    print(f"fitted on {len(fitting)} answers ({int(labels.sum())} answerable); threshold {gate.threshold:.3f} "
          f"(at most {args.max_false_abstention:.0%} of the fitting half's answerable answers gated)\n")  # fmt: skip
    print(markdown_table(["signal", "weight", "AUROC (report half)"], signal_rows))
    table: list[list[object]] = []
    per_set: dict[str, dict[str, object]] = {}
    for run in args.runs:
        mine = [r for r in rows if r["set"] == run.name and half(r["id"]) == "report"]
        before, after = outcome(mine, None), outcome(mine, gate)
        per_set[run.name] = {"before": before, "after": after}
        for name, numbers in (("without gate", before), ("with gate", after)):
            table.append([run.name, name, numbers["questions"], *(fmt(numbers[k]) for k in list(numbers)[1:])])
    print("\nreport half, the same replies without and with the gate\n")
    print(markdown_table(["run", "", "questions", "contains", "false abst.", "abst. recall", "abst. precision"], table))
    signal_auroc = {row[0]: row[2] for row in signal_rows}
    write_json(
        args.out, {"gate": gate.to_dict(), "auroc": signal_auroc, "runs": [str(r) for r in args.runs], "sets": per_set}
    )
    print(f"\nwrote {args.out}")
    if args.write:
        write_json(WEIGHTS, {**gate.to_dict(), "fitted_on": [run.name for run in args.runs], "answers": len(fitting)})
        print(f"wrote {WEIGHTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
