"""Compare the forms of the evidence step (issue 37 item 1) on recorded runs: which passage sentence does the
answer rest on, or none?

    python studies/evidence_forms.py RUN_DIR [RUN_DIR ...] --out eval-output/evidence-forms [--half fit]

For every question of each run (the output of `rag eval` with answers) the question is searched again on the
set's index, the passages are cut to their sentences as the model reads them, and the ten sentences most
similar to the question are the candidates. Four forms pick the evidence:

    ids     the model names the candidate's letter or NONE (single-token letters A-J); its probabilities are
            read before any grammar, renormalised over the letters and NONE, and averaged over two orders
            (most similar first, and reversed) to take out position bias; score 1 - P(NONE)
    answer  the recorded reply (the model answered first): code finds the sentence that holds the answer's
            claims (the verification's support span); score 1 when a sentence of the reply was kept
    copy    the model copies the sentence that answers, word for word, or NONE; code matches it back to the
            passages' sentences (difflib ratio >= COPY_MATCH); score the ratio
    yes/no  per candidate, P(Yes) to "Does the sentence answer the question?" (llama.cpp reuses the prompt
            up to the sentence); score the highest P(Yes)

Per form and half: how often the picked sentence holds a gold answer (answerable questions whose answer is in
the passages read), how often it picks none for unanswerable questions, the AUROC of its score (answerable
against unanswerable) and the seconds it takes per question.

Found (fitting half of rt100 and the answer-removed run): the letter form separates answerable from unanswerable
questions best (AUROC 0.889; its P(NONE) feeds the gate), answering first picks a sentence holding the answer
most often (29 of 36). The numbers stand in docs/studies.md, "The evidence step"."""

from __future__ import annotations

import argparse
import difflib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fit_gate import answers_of, truthy  # the sibling script (studies/ is this script's folder)

from rag.answering.evidence import candidates as closest_sentences
from rag.answering.evidence import letter_pick, sentences_of
from rag.answering.finishing import finish_answer
from rag.answering.models import LlamaCppGenerator, read_all
from rag.answering.prompting import source_header
from rag.answering.qa import Retrieved
from rag.answering.selection import select_sentences
from rag.evaluate.questions import half, record_ask
from rag.evaluate.report import fmt, markdown_table, write_json
from rag.evaluate.scoring import auroc, contains
from rag.evaluate.set_index import set_qa
from rag.model import Hit, Timings

COPY_MATCH = 0.8
FORMS = ("ids", "answer", "copy", "yes/no")


@dataclass(frozen=True)
class Pick:
    """A form's evidence: the sentence picked ("" for none), its score and the seconds it took."""

    sentence: str
    score: float
    seconds: float


def pick_by_ids(model: LlamaCppGenerator, question: str, sentences: Sequence[str]) -> tuple[str, float]:
    """The letter pick over two orders (rag.answering.evidence) and 1 - P(NONE)."""
    pick = letter_pick(model, question, sentences)
    return pick.sentence, 1 - pick.none


def pick_by_answer(question: str, reply: str, read: list[Hit], found: Retrieved) -> tuple[str, float]:
    """The sentence the verification found for the recorded reply's first kept sentence, and 1 if any."""
    if not reply:
        return "", 0.0
    final = finish_answer(reply, read, found.hits, Timings(), found.plan, True, found.passages)
    evidence = [] if final.abstained else final.evidence()
    return (evidence[0][1], 1.0) if evidence else ("", 0.0)


def pick_by_copy(model: LlamaCppGenerator, question: str, read: list[Hit]) -> tuple[str, float]:
    """The copied sentence matched back to the passages' sentences (difflib ratio), or ""."""
    passages = "\n\n".join(f"{source_header(i, hit)}\n{hit.text}" for i, hit in enumerate(read, start=1))
    messages = [
        {
            "role": "system",
            "content": "Copy, word for word, the one sentence of the passages that answers the question. "
            "If no sentence answers it, write NONE.",
        },
        {"role": "user", "content": f"{passages}\n\nQuestion: {question}\nSentence copied from the passages:"},
    ]
    copied, _ = read_all(model.stream(messages, 80))
    copied = copied.strip().strip('"')
    if not copied or copied.upper().startswith("NONE"):
        return "", 0.0
    best, ratio = "", 0.0
    for sentence in sentences_of(read):
        matcher = difflib.SequenceMatcher(None, copied.lower(), sentence.lower(), autojunk=False)
        if matcher.ratio() > ratio:
            best, ratio = sentence, matcher.ratio()
    return (best if ratio >= COPY_MATCH else ""), ratio


def pick_by_yes_no(model: LlamaCppGenerator, question: str, candidates: Sequence[str]) -> tuple[str, float]:
    """The candidate with the highest P(Yes) (renormalised over Yes and No), and that probability."""
    chances = []
    for i, sentence in enumerate(candidates):
        odds = model.next_token(
            [
                {"role": "system", "content": "Answer Yes or No."},
                {
                    "role": "user",
                    "content": f"Question: {question}\nSentence: {sentence}\nDoes the sentence answer the question?",
                },
            ],
            reuse_prefix=i > 0,
        )
        yes, no = odds.get("Yes", 0.0) + odds.get("yes", 0.0), odds.get("No", 0.0) + odds.get("no", 0.0)
        chances.append(yes / (yes + no) if yes + no else 0.0)
    best = max(range(len(candidates)), key=lambda i: chances[i])
    return (candidates[best] if chances[best] >= 0.5 else ""), chances[best]


def timed(work: Callable[..., tuple[str, float]], *args: object) -> Pick:
    started = time.perf_counter()
    sentence, score = work(*args)
    return Pick(sentence, score, time.perf_counter() - started)


def question_rows(run: Path, only: str | None) -> list[dict]:
    """One row per question of the run (of the half `only`, or both): gold, candidates and every form's pick."""
    articles, records = answers_of(run)
    qa = set_qa(articles)
    model = qa.generator
    assert isinstance(model, LlamaCppGenerator), "the forms read token probabilities: use the default GGUF model"
    rows = []
    for number, record in enumerate(records, start=1):
        if only and half(record["id"]) != only:
            continue
        question = record["question"]
        found = qa.gather(qa.plan(record_ask(record)), qa.settings.top_k)
        if not found.passages:
            continue
        read = select_sentences(found.plan.read, found.passages, qa.embedder.encode, qa.settings.sentence_share)
        every = sentences_of(read)
        candidates = closest_sentences(found.plan.question, read, qa.embedder.encode)
        reply = record.get("reply") or ""
        picks = {
            "ids": timed(pick_by_ids, model, found.plan.question, candidates),
            "answer": timed(pick_by_answer, question, reply, read, found),
            "copy": timed(pick_by_copy, model, found.plan.question, read),
            "yes/no": timed(pick_by_yes_no, model, found.plan.question, candidates),
        }
        answers = record.get("answers") or []
        rows.append(
            {
                "id": record["id"],
                "set": run.name,
                "half": half(record["id"]),
                "answerable": truthy(record["answerable"]),
                "in_read": any(contains(s, answers) for s in every) if answers else False,
                "in_candidates": any(contains(s, answers) for s in candidates) if answers else False,
                "picks": {
                    form: {
                        "sentence": p.sentence,
                        "score": p.score,
                        "seconds": p.seconds,
                        "holds": bool(p.sentence and answers and contains(p.sentence, answers)),
                    }
                    for form, p in picks.items()
                },
            }
        )
        print(f"{run.name} {number}/{len(records)}: " + " ".join(
            f"{form}={'+' if p['holds'] else ('0' if not p['sentence'] else '-')}"
            for form, p in rows[-1]["picks"].items()
        ), flush=True)  # fmt: skip
    return rows


def summary(rows: Sequence[dict]) -> list[list[object]]:
    """Per form: picks holding the answer, NONE for unanswerable questions, AUROC, seconds per question."""
    table: list[list[object]] = []
    findable = [r for r in rows if r["answerable"] and r["in_read"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    for form in FORMS:
        held = sum(r["picks"][form]["holds"] for r in findable)
        none = sum(not r["picks"][form]["sentence"] for r in unanswerable)
        separation = auroc(
            [r["picks"][form]["score"] for r in rows if r["answerable"]],
            [r["picks"][form]["score"] for r in unanswerable],
        )
        seconds = sorted(r["picks"][form]["seconds"] for r in rows)
        table.append(
            [
                form,
                f"{held}/{len(findable)}",
                f"{none}/{len(unanswerable)}",
                fmt(separation),
                fmt(seconds[len(seconds) // 2] if seconds else None, 2),
            ]
        )
    return table


HEADER = ["form", "pick holds the answer", "none when unanswerable", "AUROC", "median s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--half", choices=("fit", "report"), default=None, help="only this half's questions")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    for run in args.runs:
        rows += question_rows(run, args.half)
        write_json(args.out / "rows.json", rows)
    text = []
    for name in ["all", *sorted({r["set"] for r in rows})]:
        chosen = [r for r in rows if name in ("all", r["set"])]
        for part in ("fit", "report"):
            part_rows = [r for r in chosen if r["half"] == part]
            if part_rows:
                text.append(f"### {name}, {part} half ({len(part_rows)} questions)\n")
                text.append(markdown_table(HEADER, summary(part_rows)) + "\n")
    (args.out / "report.md").write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
