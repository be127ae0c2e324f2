"""A labelled set of real reply sentences, to measure the verification against reading.

    python -m rag.evaluate.claim_labels build RESULTS.json [RESULTS.json ...] --out FILE.jsonl
    python -m rag.evaluate.claim_labels score [--labels FILE.jsonl] [--out FILE.json] [--second-reading]
                                              [--statement-check]

build: every sentence of the model's replies in `rag eval` runs (their results.json), with the passages it
cites as the model read them (found again by the same search; markers placed as the answer step places them),
unlabelled. Labels are then written by reading, by the rule in LABEL_RULE, and never changed after a score.
score: the verification's decision on each labelled sentence (kept or removed) against its label: precision
(of the sentences it keeps, the share labelled supported) and recall (of the sentences labelled supported,
the share it keeps), over all sentences and over each half of the questions (rag.evaluate.questions.half: rules are
changed looking at the fitting half only, and reported on the other); VerificationEvaluator gives both. With
--second-reading, a sentence the verification keeps must also hold the short answer the answering model gives
on its evidence (rag.answering.second_reading, the sentence taken as the answer). With --statement-check, a
kept sentence must also be said by its evidence, the model asked (rag.answering.statement_check)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import cast

from rag.answering.citations import answer_sentences, marker_numbers
from rag.answering.evidence import ReadsTokenOdds
from rag.answering.finishing import place_markers
from rag.answering.models import AnsweringModel
from rag.answering.second_reading import Embed, agreement, evidence_window, keeps, read_again
from rag.answering.statement_check import plain, read_statement
from rag.answering.verify import states_something, verify_answer
from rag.evaluate.questions import half, record_ask
from rag.evaluate.report import write_json
from rag.evaluate.set_index import set_qa
from rag.markers import MARKER
from rag.model import Hit
from rag.text.question import read_question

LABELS = Path(__file__).parent / "data" / "claim_labels.jsonl"
LABEL_RULE = (
    "supported: everything the sentence states (who, what, when, where, how many, who said it, and how the "
    "parts relate) is stated by the passages it cites, read with their title, source and date; words of the "
    "question it repeats count as stated only when the passages state them too. A sentence that adds any "
    "name, number, date, quotation, speaker or relation the cited passages do not state, or that turns what "
    "they say around (a cancelled meeting as held, one person's words as another's), is not supported. "
    "Judged on the cited passages alone, not on what is true elsewhere."
)


def reply_sentences(question: str, reply: str, passages: list[Hit]) -> list[dict]:
    """The sentences of a reply that state something, each with the passages it cites (markers checked and
    placed as the answer step does before its verification)."""
    text, _ = place_markers(reply, passages)
    rows = []
    for sentence in answer_sentences(text):
        cited = sorted({n for m in MARKER.finditer(sentence) for n in marker_numbers(m) if 1 <= n <= len(passages)})
        if cited and states_something(sentence):
            rows.append({"sentence": sentence, "cited": [_passage(n, passages[n - 1]) for n in cited]})
    return rows


def _passage(number: int, hit: Hit) -> dict:
    return {"number": number, "title": hit.title, "source": hit.source, "published": hit.published, "text": hit.text}


def build(results: list[Path], out: Path) -> int:
    """Write the unlabelled sentences of the runs' replies to out (JSON lines); the count written."""
    rows = []
    for path in results:
        run = json.loads(path.read_text(encoding="utf-8"))
        qa = set_qa(Path(run["articles_file"]))
        set_name = Path(run["questions_file"]).parent.name
        for record in run["records"]:
            if record["kind"] != "answer" or not record.get("reply"):
                continue
            plan = qa.plan(record_ask(record))
            found = qa.gather(plan, qa.settings.top_k)
            for row in reply_sentences(found.plan.question, record["reply"], found.passages):
                rows.append({"set": set_name, "id": record["id"], "question": record["question"], **row})
        print(f"{path}: {len(rows)} sentences so far", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps({**row, "label": None}, ensure_ascii=False) + "\n" for row in rows))
    return len(rows)


def _hit(passage: dict) -> Hit:
    """A cited passage of the labelled set as a Hit."""
    text, number = passage["text"], passage["number"]
    return Hit(
        number,
        f"p{number}",
        passage["title"],
        passage["source"],
        passage["published"],
        "",
        text,
        0,
        len(text),
        1.0,
        1.0,
    )


def kept(row: dict) -> bool:
    """The verification's decision on a labelled sentence: kept as written (found in the passages it cites;
    a sentence shown with a name trimmed to the passages' spelling is not the labelled sentence)."""
    hits = [_hit(p) for p in row["cited"]]
    numbered = {p["number"]: i for i, p in enumerate(row["cited"], start=1)}  # cited passages renumbered 1..n
    sentence = MARKER.sub(lambda m: "".join(f"[{numbered[n]}]" for n in marker_numbers(m) if n in numbered),
                          row["sentence"])  # fmt: skip
    verified = verify_answer(sentence, hits, read_question(row["question"]))
    return not verified.unsupported and plain(verified.text) == plain(sentence)


def kept_on_reading(model: AnsweringModel, embed: Embed) -> Callable[[dict], bool]:
    """The decision with the second reading (as check_answer decides): kept by the verification, and holding
    the short answer to the question read again on the sentence's evidence window."""

    def decide(row: dict) -> bool:
        if not kept(row):
            return False
        question = read_question(row["question"])
        window = evidence_window(row["sentence"], [p["text"] for p in row["cited"]], embed)
        short = read_again(model, question.text, window, "check").reply
        return keeps(agreement(short, row["sentence"], question))

    return decide


def kept_on_statement(model: AnsweringModel, embed: Embed) -> Callable[[dict], bool]:
    """The decision with the statement check (as check_statements decides): kept by the verification, and said
    by the three sentences of its cited passages closest to it, the model asked yes or no."""

    def decide(row: dict) -> bool:
        if not kept(row):
            return False
        window = evidence_window(row["sentence"], [p["text"] for p in row["cited"]], embed)
        return read_statement(cast(ReadsTokenOdds, model), window, row["sentence"]).reply != "no"

    return decide


def score(rows: list[dict], decide: Callable[[dict], bool] = kept) -> dict[str, object]:
    """Precision and recall of the verification (decide: its decision on a row) against the labels
    (unlabelled rows are left out)."""
    labelled = [row for row in rows if row.get("label") in ("supported", "not supported")]
    decided = [(decide(row), row["label"] == "supported") for row in labelled]
    keeps = sum(k for k, _ in decided)
    true_keeps = sum(k and s for k, s in decided)
    supported = sum(s for _, s in decided)
    return {
        "sentences": len(labelled),
        "labelled supported": supported,
        "kept": keeps,
        "precision": round(true_keeps / keeps, 3) if keeps else None,
        "recall": round(true_keeps / supported, 3) if supported else None,
        "shown though not supported": [row["sentence"] for row, (k, s) in zip(labelled, decided) if k and not s],
        "removed though supported": [row["sentence"] for row, (k, s) in zip(labelled, decided) if s and not k],
    }


class VerificationEvaluator:
    """The verification against the labelled sentences: precision and recall (see score) over all of them, and
    over each half of their questions ("halves")."""

    name = "verification"

    def __init__(self, rows: list[dict], decide: Callable[[dict], bool] = kept) -> None:
        self.rows, self.decide = rows, decide

    def __call__(self) -> dict[str, object]:
        decisions = {id(row): self.decide(row) for row in self.rows}  # each row decided once (a model read)
        decide = lambda row: decisions[id(row)]
        halves = {name: score([r for r in self.rows if half(r["id"]) == name], decide) for name in ("fit", "report")}
        return {**score(self.rows, decide), "halves": halves}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.evaluate.claim_labels", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    making = commands.add_parser("build")
    making.add_argument("results", type=Path, nargs="+")
    making.add_argument("--out", type=Path, required=True)
    scoring = commands.add_parser("score")
    scoring.add_argument("--labels", type=Path, default=LABELS)
    scoring.add_argument("--out", type=Path, default=Path("eval-output") / "claim-labels.json")
    scoring.add_argument("--second-reading", action="store_true", help="also read each kept sentence again")
    scoring.add_argument("--statement-check", action="store_true", help="also ask whether its evidence says it")
    args = parser.parse_args(argv)
    if args.command == "build":
        print(f"wrote {build(args.results, args.out)} sentences to {args.out}")
        return 0
    rows = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    decide: Callable[[dict], bool] = kept
    if args.second_reading or args.statement_check:
        from rag.answering.models import load_generator
        from rag.config import Settings
        from rag.index.embedding import make_embedder

        settings = Settings.from_env()
        model, embed = load_generator(settings), make_embedder(settings).encode
        decide = (kept_on_reading if args.second_reading else kept_on_statement)(model, embed)
    result = VerificationEvaluator(rows, decide)()
    halves = cast(dict[str, dict], result["halves"])
    print(f"verification against {result['sentences']} labelled sentences ({args.labels}):")
    for name, numbers in (("all", result), *(halves.items())):
        print(
            f"  {name}: {numbers['sentences']} sentences, precision {numbers['precision']} (kept "
            f"{numbers['kept']}), recall {numbers['recall']} (labelled supported {numbers['labelled supported']})"
        )
    write_json(args.out, {"labels": str(args.labels), "rule": LABEL_RULE, **result})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
