"""A question set in the shared schema: its questions read and sampled, what a question record asks (an Ask),
and the half (fitting or report) each question falls in."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rag.errors import RagError
from rag.model import Ask

EXTRAS = ("question_date", "question_type", "removed_answers")  # kept in the records for later breakdowns


def load_questions(path: Path) -> list[dict]:
    """Questions in the shared schema; a malformed line is an error naming the line."""
    questions = []
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                question = {
                    "id": str(item["id"]),
                    "question": str(item["question"]),
                    "answers": [str(a) for a in item.get("answers") or []],
                    "answerable": bool(item.get("answerable", True)),
                    "gold": [str(g) for g in item.get("gold_article_ids") or []],
                }
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise RagError(f"{path} line {lineno} is not a question in the shared schema ({exc})") from None
            for extra in EXTRAS:
                if extra in item:
                    question[extra] = item[extra]
            questions.append(question)
    ids = [q["id"] for q in questions]
    if len(set(ids)) != len(ids):
        raise RagError(f"{path} has duplicate question ids")
    return questions


def sample_questions(questions: list[dict], size: int | None, seed: int) -> list[dict]:
    """A seeded random sample of `size` questions, in file order (all questions when size is None or larger)."""
    if not size or size >= len(questions):
        return questions
    chosen = set(random.Random(seed).sample(range(len(questions)), size))
    return [q for i, q in enumerate(questions) if i in chosen]


def record_ask(record: Mapping[str, Any]) -> Ask:
    """What a question record asks: its question on its date (question_date, when the set has one)."""
    return Ask(record["question"], reference_date=record.get("question_date"))


def half(question_id: str) -> str:
    """ "fit" or "report", from a hash of the question id: a rule or threshold is chosen on the fitting half and
    reported on the other, so no question that chose it is among those it is reported on."""
    return "fit" if hashlib.sha1(question_id.encode("utf-8")).digest()[0] % 2 == 0 else "report"
