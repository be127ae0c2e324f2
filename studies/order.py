"""Does an answer depend on what was asked before it? The same questions asked in two orders on one warm QA
(first to last, then last to first), the final answers compared.

    python studies/order.py --articles A.jsonl --questions Q.jsonl [--count 20] [--seed 0] [--out FILE]

A question whose final text or abstention differs between the two orders is counted as changed.

Found (20 realtimeqa_dev questions): with the prompt cache on, 4 of 20 answers changed with the order (median
first token 3.5 s); off, 0 of 20 (5.4 s). With the instructions' state restored before every prompt
(RAG_PROMPT_CACHE=instructions, the default), 0 of 20 changed at 4.55 s, against 5.49 s off in the next run
(3 of 20 answers differ between the two modes, one of them an abstention). The numbers stand in
docs/results.md, "Speed" (prompt cache and order)."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from rag.answering.qa import QA
from rag.evaluate.questions import load_questions, record_ask, sample_questions
from rag.evaluate.report import markdown_table, write_json
from rag.evaluate.set_index import set_qa
from rag.model import Answer


def ask_all(qa: QA, questions: list[dict]) -> dict[str, Answer]:
    """Each question's final answer, asked in the given order, with one progress line each."""
    answers = {}
    for number, question in enumerate(questions, start=1):
        started = time.perf_counter()
        answers[question["id"]] = qa.answer(record_ask(question))
        print(f"  {number}/{len(questions)} {question['id']} {time.perf_counter() - started:.1f} s", flush=True)
    return answers


def changed(first: dict[str, Answer], second: dict[str, Answer]) -> list[str]:
    """The ids whose final answers differ in text or in abstaining."""
    return [i for i in first if (first[i].text, first[i].abstained) != (second[i].text, second[i].abstained)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/order.py", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    questions = sample_questions(load_questions(args.questions), args.count, args.seed)
    qa = set_qa(args.articles)
    print(f"{len(questions)} questions, first to last:")
    forward = ask_all(qa, questions)
    print("last to first:")
    backward = ask_all(qa, list(reversed(questions)))
    moved = changed(forward, backward)
    abstention = [i for i in moved if forward[i].abstained != backward[i].abstained]
    firsts = [a.timings.first_token_s for a in (*forward.values(), *backward.values()) if a.timings.first_token_s]
    median = round(statistics.median(firsts), 2) if firsts else None
    set_name = args.questions.resolve().parent.name
    print(f"\n{set_name}: the same {len(questions)} questions in two orders ({qa.settings.prompt_cache=})\n")
    print(
        markdown_table(
            ["questions", "answers changed", "of which abstention changed", "median first token (s)"],
            [[len(questions), len(moved), len(abstention), median]],
        )
    )
    out = args.out or Path("eval-output") / f"{set_name}-order.json"
    write_json(
        out,
        {
            "set": set_name,
            "questions": len(questions),
            "prompt_cache": qa.settings.prompt_cache,
            "changed": moved,
            "abstention_changed": abstention,
            "median_first_token_s": median,
            "answers": {
                i: {"forward": forward[i].text, "backward": backward[i].text, "question": forward[i].question}
                for i in forward
            },
        },
    )
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
