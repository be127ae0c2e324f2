"""Compare the forms of the second reading (the issue on meaning, item 1) on recorded answers.

    python studies/second_reading_forms.py RUN_DIR [RUN_DIR ...] --out eval-output/second-reading-forms

RUN_DIRs are `rag eval` runs made with RAG_SECOND_READING=0 (the answers as the verification left them, with
their cited passages). Every answer the model gave is read again by each form, and its agreement (the share
of the short answer's own words the answer holds, rag.answering.second_reading.agreement) is its score. An
answer is right when it contains an accepted answer of an answerable question, wrong when it answers a
question with no answer in the articles (the answer-removed variant), other when it answers an answerable
question without an accepted answer (a paraphrase or a wrong answer, not told apart by code). Per form and
half: right, other and wrong answers kept (agreement above 0), the AUROC of the agreement (right against
wrong), seconds; "closest3+quote" withholds only when both of those disagree, "closest3, not stated keeps"
only when closest3's short answer names something else. Every reply the model declined
(or the verification removed) is recovered as the pipeline does (rag.answering.second_reading.recover_answer:
two readings of the two best articles among the sources must agree): recovered right / other / wrong.

    closest3   the three sentences of the cited passages closest to the answer (the default)
    sentence   the one sentence closest to the answer (the evidence sentence)
    neighbours that sentence with the sentences before and after it
    quote      closest3, asked to quote the text's words ("Quote the shortest words of the text that answer
               the question. If the text does not answer it, reply: not stated.")
    in-window  closest3's short answer, scored by whether the evidence sentence itself holds it (its
               position in the evidence rather than in the answer; no extra model read)

Found (`after-rt100` and `rt-removed-before`; fitting half: closest3 kept 29/31 right, withheld 1 of 3 wrong, AUROC
0.634, the best of the forms keeping at least 29 right; quote 0.785 but lost one more right answer). Report half:

| form | right kept | other kept | wrong kept | AUROC | s |
|---|---|---|---|---|---|
| **closest three sentences** (the default) | 29/30 | 9/12 | 5/7 | **0.755** | 2.5 |
| the evidence sentence alone | 27/30 | 8/12 | 5/7 | 0.593 | 1.6 |
| the evidence sentence and its neighbours | 27/30 | 8/12 | 4/7 | 0.729 | 2.2 |
| asked to quote the text's words | 28/30 | 10/12 | 5/7 | 0.664 | 2.4 |
| short answer held by the evidence sentence (position, no read) | 28/30 | 9/12 | 5/7 | 0.610 | 0 |
| withheld only when closest three and quote both disagree | 29/30 | 10/12 | 5/7 | 0.683 | 4.8 |

Recovering declines on the same runs: fitting half 9 declined, 1 recovered right in other words, 1 wrong (answer
removed); report half 13 declined, 1 recovered without an accepted answer, none wrong."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fit_gate import answers_of, truthy  # noqa: E402  (the sibling script)

from rag.answering.models import AnsweringModel, read_all  # noqa: E402
from rag.answering.second_reading import (  # noqa: E402
    Embed,
    agreement,
    closest,
    read_again,
    recover_answer,
    says_not_stated,
    text_sentences,
)
from rag.evaluate.questions import record_ask  # noqa: E402
from rag.evaluate.questions import half  # noqa: E402
from rag.evaluate.report import fmt, markdown_table, write_json  # noqa: E402
from rag.evaluate.scoring import auroc, contains  # noqa: E402
from rag.evaluate.set_index import set_qa  # noqa: E402
from rag.markers import MARKER  # noqa: E402
from rag.text.question import read_question  # noqa: E402

FORMS = ("closest3", "sentence", "neighbours", "quote", "in-window", "closest3+quote", "closest3, not stated keeps")
QUOTE_SYSTEM = (
    "Quote the shortest words of the text that answer the question. If the text does not answer it, reply: "
    "not stated."
)


def windows(answer: str, passages: Sequence[str], embed: Embed) -> dict[str, str]:
    """The windows the forms read: three closest, the closest, the closest with its neighbours."""
    every = list(dict.fromkeys(s for p in passages for s in text_sentences(p)))
    best = closest(answer, every, embed, 1)
    at = every.index(best) if best in every else 0
    return {
        "closest3": closest(answer, every, embed, 3),
        "sentence": best,
        "neighbours": " ".join(every[max(0, at - 1) : at + 2]),
    }


def quote(model: AnsweringModel, question: str, window: str) -> str:
    messages = [
        {"role": "system", "content": QUOTE_SYSTEM},
        {"role": "user", "content": f"Text: {window}\n\nQuestion: {question}\nQuoted answer:"},
    ]
    text, _ = read_all(model.stream(messages, 24))
    return " ".join(text.split()).strip().strip('"')


def timed(work: Callable[[], str]) -> tuple[str, float]:
    started = time.perf_counter()
    reply = work()
    return reply, time.perf_counter() - started


def kind(record: dict, text: str) -> str:
    if not truthy(record["answerable"]):
        return "wrong"
    return "right" if contains(text, record.get("answers") or []) else "other"


def recovery_row(qa, record: dict, run: Path) -> dict:
    """The pipeline's recovery of a declined reply, and what it gave."""
    found = qa.gather(qa.plan(record_ask(record)), qa.settings.top_k)
    started = time.perf_counter()
    recovered, readings = recover_answer(qa.generator, found.plan, found.hits, qa.embedder.encode)
    row = {
        "id": record["id"],
        "set": run.name,
        "half": half(record["id"]),
        "recovered": recovered.text if recovered else None,
        "kind": kind(record, recovered.text) if recovered else None,
        "replies": [r.reply for r in readings],
        "seconds": time.perf_counter() - started,
    }
    print(f"{run.name} {record['id']} declined: {row['replies']} -> {row['recovered']} ({row['kind']})", flush=True)
    return row


def answer_rows(run: Path) -> tuple[list[dict], list[dict]]:
    """One row per answer the model gave in the run: each form's short answer, agreement and seconds; and one
    per reply it declined: the recovery."""
    articles, records = answers_of(run)
    qa = set_qa(articles)
    model, embed = qa.generator, qa.embedder.encode
    rows, recoveries = [], []
    for record in records:
        if record.get("abstain_reason") in ("declined", "nothing verified"):
            recoveries.append(recovery_row(qa, record, run))
            continue
        if truthy(record["abstained"]) or not record["citations"]:
            continue
        question = read_question(record["question"])
        answer = MARKER.sub(" ", record["text"])
        read = windows(answer, [c["passage"] for c in record["citations"]], embed)
        replies: dict[str, tuple[str, float]] = {
            form: timed(lambda w=window: read_again(model, question.text, w, form).reply)
            for form, window in read.items()
        }
        replies["quote"] = timed(lambda: quote(model, question.text, read["closest3"]))
        scores = {form: agreement(reply, answer, question) for form, (reply, _) in replies.items()}
        scores["in-window"] = agreement(replies["closest3"][0], read["sentence"], question)
        replies["in-window"] = (replies["closest3"][0], 0.0)
        scores["closest3+quote"] = max(scores["closest3"], scores["quote"])
        replies["closest3+quote"] = ("", replies["closest3"][1] + replies["quote"][1])
        scores["closest3, not stated keeps"] = 1.0 if says_not_stated(replies["closest3"][0]) else scores["closest3"]
        replies["closest3, not stated keeps"] = (replies["closest3"][0], 0.0)
        rows.append(
            {
                "id": record["id"],
                "set": run.name,
                "half": half(record["id"]),
                "kind": kind(record, record["text"]),
                "forms": {f: {"reply": replies[f][0], "agreement": scores[f], "seconds": replies[f][1]} for f in FORMS},
            }
        )
        print(
            f"{run.name} {record['id']} {rows[-1]['kind']}: "
            + " ".join(f"{f}={scores[f]:.2f}" for f in FORMS),
            flush=True,
        )
    return rows, recoveries


def summary(rows: Sequence[dict]) -> list[list[object]]:
    """Per form: right, other and wrong answers kept (agreement above 0), AUROC, median seconds."""
    table: list[list[object]] = []
    by = {name: [r for r in rows if r["kind"] == name] for name in ("right", "other", "wrong")}
    for form in FORMS:
        kept = {name: sum(r["forms"][form]["agreement"] > 0 for r in group) for name, group in by.items()}
        separation = auroc(
            [r["forms"][form]["agreement"] for r in by["right"]], [r["forms"][form]["agreement"] for r in by["wrong"]]
        )
        seconds = sorted(r["forms"][form]["seconds"] for r in rows)
        median = seconds[len(seconds) // 2] if seconds else None
        shares = [f"{kept[name]}/{len(by[name])}" for name in ("right", "other", "wrong")]
        table.append([form, *shares, fmt(separation), fmt(median, 2)])
    return table


def recovered(rows: Sequence[dict]) -> list[object]:
    """Declined replies, and those recovered right / other / wrong."""
    return [len(rows), *(sum(r["kind"] == name for r in rows) for name in ("right", "other", "wrong"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("eval-output/second-reading-forms"))
    args = parser.parse_args()
    rows, recoveries = [], []
    for run in args.runs:
        answered, declined = answer_rows(run)
        rows += answered
        recoveries += declined
    header = ["form", "right kept", "other kept", "wrong kept", "AUROC", "s per answer"]
    report = {name: summary([r for r in rows if r["half"] == name]) for name in ("fit", "report")}
    recovery = {name: recovered([r for r in recoveries if r["half"] == name]) for name in ("fit", "report")}
    for name, table in report.items():
        print(f"\n{name} half\n" + markdown_table(header, table))
        print("declined, recovered right / other / wrong: " + " / ".join(map(str, recovery[name])))
    write_json(args.out / "forms.json", {"rows": rows, "recoveries": recoveries, "summary": report, "recovery": recovery})


if __name__ == "__main__":
    main()
