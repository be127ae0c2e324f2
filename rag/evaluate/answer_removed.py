"""An "answer removed" variant of a question set: every article holding an accepted answer of the chosen questions
is dropped, so none of them can be answered from the corpus and the right output is an abstention.

    python -m rag.evaluate.answer_removed SET_DIR OUT_DIR

SET_DIR holds articles.jsonl and questions.jsonl in the shared schema. Chosen are answerable questions whose
every accepted answer is a distinctive string (a name-like phrase of one to three words, no digits, not a month
or a time phrase, held by few articles), since only those can be removed by their spelling. The new questions are unanswerable, with
the removed answers kept as removed_answers, so `rag eval` counts a reply that still names one (it came from
the model's memory)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from rag.search.timeframe import MONTHS, WEEKDAYS
from rag.text.words import STOPWORDS

MAX_HOLDERS = 15  # a chosen answer stands in at most this many articles
# Questions whose answer survives the removal in other words (read from the replies counted wrong): their
# answers are still removed from the articles, but the questions are left out of the variant.
SURVIVES_IN_OTHER_WORDS: dict[str, str] = {
    "20220701_9": "'Sweden and Finland' stays in the articles as 'Finland and Sweden'",
    "20220826_8": "'Fire risks' stays as 'could cause fires'",
    "20220923_4": "'Las Vegas Aces' stays as 'the Aces'",
    "20221021_3": "'Kroger and Albertsons' stays as the two names apart",
}
_TIME_WORDS = frozenset(
    {"week", "weeks", "month", "months", "year", "years", "day", "days", "today", "tomorrow", "next", "last"}
)


def distinctive(answer: str) -> bool:
    """True for an answer that only its own spelling carries: a name-like phrase, no digits or time words."""
    words = re.findall(r"[A-Za-z][\w'&.-]*", answer)
    if not 1 <= len(words) <= 3 or re.search(r"\d", answer) or len(re.sub(r"\W", "", answer)) < 4:
        return False
    lowered = [w.lower() for w in words]
    if any(w in _TIME_WORDS or w in MONTHS or w in WEEKDAYS for w in lowered):
        return False
    return not all(w in STOPWORDS for w in lowered)


def _pattern(answer: str) -> re.Pattern[str]:
    """The answer as it may stand in an article: any case, "The" optional, as whole words."""
    core = re.sub(r"^(?:the|a|an)\s+", "", answer.strip(), flags=re.IGNORECASE)
    return re.compile(rf"(?<!\w){re.escape(core)}", re.IGNORECASE)


def _holders(answers: list[str], articles: list[dict]) -> set[str]:
    """Ids of the articles whose title or text holds one of the answers."""
    patterns = [_pattern(a) for a in answers]
    return {
        str(a["id"])
        for a in articles
        if any(p.search(f"{a.get('title') or ''}\n{a.get('text') or ''}") for p in patterns)
    }


def remove_answers(articles: list[dict], questions: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the articles that hold none of the chosen answers, the chosen questions made unanswerable).

    A question is chosen when its answers are distinctive, its gold articles spell one of them as it is
    written (so removing that spelling removes the answer) and at most MAX_HOLDERS articles hold them (a
    common word such as "Florida" would empty the corpus)."""
    chosen, dropped = [], set()
    for question in questions:
        if (
            not question.get("answerable", True)
            or not question.get("answers")
            or not all(distinctive(a) for a in question["answers"])
        ):
            continue
        holders = _holders(question["answers"], articles)
        gold = {str(g) for g in question.get("gold_article_ids") or []}
        if gold and gold <= holders and len(holders) <= MAX_HOLDERS:
            chosen.append(question)
            dropped |= holders
    kept = [a for a in articles if str(a["id"]) not in dropped]
    unanswerable = [
        {**q, "answers": [], "answerable": False, "gold_article_ids": [], "removed_answers": q["answers"]}
        for q in chosen
        if q["id"] not in SURVIVES_IN_OTHER_WORDS
    ]
    return kept, unanswerable


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _write(path: Path, items: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.evaluate.answer_removed", description=__doc__.split("\n")[0])
    parser.add_argument("set_dir", type=Path, help="folder with articles.jsonl and questions.jsonl")
    parser.add_argument("out_dir", type=Path, help="folder for the variant (created)")
    args = parser.parse_args(argv)
    for name in ("articles.jsonl", "questions.jsonl"):
        if not (args.set_dir / name).is_file():
            print(
                f"error: {args.set_dir / name} not found; SET_DIR must hold articles.jsonl and questions.jsonl",
                file=sys.stderr,
            )
            return 2
    articles, questions = _read(args.set_dir / "articles.jsonl"), _read(args.set_dir / "questions.jsonl")
    kept, unanswerable = remove_answers(articles, questions)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    _write(args.out_dir / "articles.jsonl", kept)
    _write(args.out_dir / "questions.jsonl", unanswerable)
    print(
        f"{len(unanswerable)} of {len(questions)} questions kept (distinctive answers no article holds any more); "
        f"dropped {len(articles) - len(kept)} of {len(articles)} articles holding them; wrote {args.out_dir}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
