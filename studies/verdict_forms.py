"""Ways to tell whether each report says what a question asks of it, compared on multihop_rag's yes/no
questions about several reports (one half of them), before the verdict rule was chosen.

    python studies/verdict_forms.py --articles A.jsonl --questions Q.jsonl [--half fit] [--out FILE]

Forms, each a score per question (higher: the reports bear the question out; turned round for questions
asking whether they differ), reported as AUROC against the yes/no answer and as accuracy by threshold:
    lexical   the lowest share of a report's claim words its passage holds
    A         the lowest P(Yes) to "Does this report say that <claim>?" on the report's three closest sentences
    C         as A, with the whole question and "considering only the part about <source>"
    B         one prompt with every report's sentences and the whole question (the model's own verdict)

Found (fitting half, 104 questions; AUROC yes against no): claim-word share 0.532, P(Yes) per report on its
three closest sentences 0.653 (kept), the same with the whole question 0.578, one prompt with every report 0.686.
The numbers stand in docs/results.md, "Questions across several reports"."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from rag.answering.across.evidence import closest_sentences, report_evidence
from rag.evaluate.questions import half, load_questions
from rag.evaluate.report import markdown_table, write_json
from rag.evaluate.scoring import auroc
from rag.evaluate.set_index import set_qa
from rag.model import Ask
from rag.search.several import several_reports

_SYSTEM = {"role": "system", "content": "Answer Yes or No."}


def p_yes(model: object, content: str) -> float:
    odds = model.next_token([_SYSTEM, {"role": "user", "content": content}])  # type: ignore[attr-defined]
    yes = sum(p for token, p in odds.items() if token.lower() == "yes")
    no = sum(p for token, p in odds.items() if token.lower() == "no")
    return yes / (yes + no) if yes + no else 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/verdict_forms.py", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--half", choices=("fit", "report"), default="fit")
    parser.add_argument("--out", type=Path, default=Path("eval-output/verdict-forms.json"))
    args = parser.parse_args(argv)
    qa = set_qa(args.articles)
    retriever = qa.retriever()
    articles = list(retriever.store.manifest["articles"].values())
    records = []
    for question in load_questions(args.questions):
        answers = [a.lower() for a in question["answers"]]
        several = several_reports(question["question"], retriever.sources)
        if half(question["id"]) != args.half or answers[:1] not in (["yes"], ["no"]) or not several:
            continue
        if several.kind != "verdict":
            continue
        found = qa.gather(qa.plan(Ask(question["question"])), qa.settings.top_k)
        evidence = [e for e in report_evidence(several.reports, found.ranked, qa.embedder.encode, articles) if e.hit]
        if not evidence:
            continue
        scores: dict[str, list[float]] = {"lexical": [], "A": [], "C": []}
        blocks = []
        for number, e in enumerate(evidence, start=1):
            assert e.hit is not None
            said = " ".join(closest_sentences(e.asked.claim, e.hit.text, qa.embedder.encode, 3))
            header = f"{e.hit.source}, {e.hit.published}"
            blocks.append(f"[{number}] {header}: {said}")
            scores["lexical"].append(e.support)
            scores["A"].append(
                p_yes(qa.generator, f"Report ({header}): {said}\n\nDoes this report say that {e.asked.claim}?")
            )
            scores["C"].append(
                p_yes(
                    qa.generator,
                    f"Report ({header}): {said}\n\nQuestion about several reports: {question['question']}\n\n"
                    f"Considering only the part of the question about {e.asked.source}: does this report support it?",
                )
            )
        record = {key: min(values) for key, values in scores.items()}
        record["B"] = p_yes(qa.generator, "\n\n".join(blocks) + f"\n\nQuestion: {question['question']}")
        turned = {k: 1 - v if several.asks_difference and k != "B" else v for k, v in record.items()}
        records.append(
            {"id": question["id"], "yes": answers[0] == "yes", "difference": several.asks_difference, **turned}
        )
        print(f"  {len(records)} {question['id']} " + " ".join(f"{k} {v:.2f}" for k, v in turned.items()), flush=True)
    rows = []
    for form in ("lexical", "A", "C", "B"):
        yes = [r[form] for r in records if r["yes"]]
        no = [r[form] for r in records if not r["yes"]]
        accuracy = {
            f"{t:.2f}": sum((r[form] >= t) == r["yes"] for r in records) / len(records)
            for t in np.arange(0.3, 0.9, 0.05)
        }
        best = max(accuracy.items(), key=lambda kv: kv[1])
        rows.append((form, len(records), f"{auroc(yes, no) or 0:.3f}", f"{best[1]:.3f} at {best[0]}"))
    always_yes = sum(r["yes"] for r in records) / len(records)
    print(markdown_table(("form", "questions", "AUROC", "best accuracy (threshold)"), rows))
    print(f"always yes: {always_yes:.3f}")
    write_json(args.out, {"half": args.half, "records": records, "always_yes": always_yes})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
