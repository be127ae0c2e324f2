"""`rag bench prompt`: the answer wait of whole passages against other settings (default: the defaults, each
passage cut to 0.4 of its sentences), side by side.

Each configuration answers the same questions (default: 100 of realtimeqa_dev, seed 0) with its own copy of the
answering model (its own prompt cache, as in use); they take turns question by question, which goes first
rotating, so a slower minute of the machine costs each alike. Per configuration: prompt tokens as the model counted
them, first-token time, decode speed, total time, second attempts, and the answer quality of `rag eval`
(contains, citation precision and holds-answer, unsupported claims). Records are kept as they finish in
<out folder>/prompt-records.jsonl, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rag.config import Settings, parse_setting
from rag.errors import RagError
from rag.evaluate import scoring
from rag.evaluate.evaluators import answer_record
from rag.evaluate.questions import load_questions, record_ask, sample_questions
from rag.evaluate.records import Records, answer_shaping, fingerprint
from rag.evaluate.report import markdown_table
from rag.evaluate.set_index import LazyEmbedder, default_articles, eval_index_settings
from rag.evaluate.speed import Log, prompt_reading

if TYPE_CHECKING:
    from rag.answering.qa import QA

WHOLE = {"sentence_share": 1.0}  # whole passages
DEFAULTS: dict[str, object] = {}


def configurations(base: Settings, overrides: Sequence[Mapping[str, Any]]) -> dict[str, Settings]:
    """One configuration per set of setting overrides, named by them ({} is the defaults)."""
    return {
        ", ".join(f"{key} {value}" for key, value in changes.items()) or "defaults": dataclasses.replace(
            base, **changes
        )
        for changes in overrides
    }


def parse_config(text: str) -> dict[str, object]:
    """ "sentence_share=1,fixed_instructions=0" -> {"sentence_share": 1.0, "fixed_instructions": False}; "" is
    the defaults. RagError naming the setting when it is unknown or its value is not one."""
    fields = {f.name: f.type for f in dataclasses.fields(Settings)}
    changes: dict[str, object] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if name not in fields or not value:
            raise RagError(
                f"--config {text!r}: write settings as name=value, like sentence_share=1 (names: "
                "the fields of rag.Settings)"
            )
        changes[name] = parse_setting(name, value, str(fields[name]))
    return changes


@dataclass(frozen=True)
class PromptBench:
    """The configurations (setting overrides) answering the same questions, each with its own model copy, taking
    turns. Returns the summary of each (see summarize) and their ratios to the first."""

    articles: Path | None
    questions_file: Path | None
    sample: int
    seed: int
    out_folder: Path
    overrides: Sequence[Mapping[str, object]] = (WHOLE, DEFAULTS)
    model: str | None = None
    log: Log = print
    name: ClassVar[str] = "prompt"

    def __call__(self) -> dict[str, object]:
        from rag.answering.qa import QA
        from rag.index.indexing import build_index

        articles = self.articles or default_articles()
        questions_file = self.questions_file or articles.parent / "questions.jsonl"
        for path in (articles, questions_file):
            if not path.is_file():
                raise RagError(f"{path} does not exist; pass --articles and --questions of an evaluation set")
        questions = sample_questions(load_questions(questions_file), self.sample, self.seed)
        settings, index_key = eval_index_settings(articles, Settings.from_env(generator=self.model))
        embedder = LazyEmbedder(settings)
        build_index(settings, embedder=embedder, log=self.log, progress=True)
        configs = configurations(settings, self.overrides)
        keys = {
            name: fingerprint({"bench": "prompt", "config": name, **answer_shaping(config, index_key)})
            for name, config in configs.items()
        }
        records = Records(self.out_folder / "prompt-records.jsonl")
        qas = {name: QA(config, embedder=embedder) for name, config in configs.items()}
        try:
            loads = self.answer_all(qas, keys, records, questions)
        finally:
            records.close()
        rows = {
            name: summarize([records.done[Records.key("answer", q["id"], keys[name])] for q in questions])
            for name in configs
        }
        return {
            "articles": str(articles),
            "questions_file": str(questions_file),
            "questions": len(questions),
            "sample": self.sample,
            "seed": self.seed,
            "model_load_s": loads,
            "configurations": rows,
            "first_token_ratio": _ratio(rows, "first_token_s"),
            "prompt_token_ratio": _ratio(rows, "prompt_tokens"),
        }

    def answer_all(self, qas: Mapping[str, QA], keys: Mapping[str, str], records: Records, questions: list[dict]
                   ) -> dict[str, float]:  # fmt: skip
        """Each configuration's answer to each question not yet recorded, which goes first rotating; the seconds
        each configuration's model took to load."""
        loads = {}
        for name, qa in qas.items():
            t0 = time.perf_counter()
            _ = qa.generator  # each its own model copy and prompt cache
            loads[name] = round(time.perf_counter() - t0, 1)
        qas[next(iter(qas))].answer("warm-up question about the news")
        names = list(qas)
        for number, question in enumerate(questions, start=1):
            order = names[number % len(names) :] + names[: number % len(names)]
            for name in order:
                key = Records.key("answer", question["id"], keys[name])
                if key in records.done:
                    continue
                answer = qas[name].answer(record_ask(question))
                records.add(answer_record(question, keys[name], answer))
            self.log(
                f"  {number}/{len(questions)}: "
                + ", ".join(
                    f"{name} {_first_token(records.done[Records.key('answer', question['id'], keys[name])])}"
                    for name in names
                )
            )
        return loads

    @staticmethod
    def table(section: dict) -> str:
        """The side-by-side table of `rag bench prompt`."""
        header = [
            "configuration",
            "asked the model",
            "prompt tokens (median)",
            "first token s (median)",
            "first token s (p95)",
            "decode tok/s",
            "total s (median)",
            "total s (p95)",
            "second attempts",
            "floor s",
            "contains",
            "citation P",
            "holds answer",
            "unsupported claims",
        ]
        rows = [
            [
                name,
                r["asked_the_model"],
                r["prompt_tokens"],
                r["first_token_s"],
                r["first_token_p95_s"],
                r["decode_tokens_per_s"],
                r["total_s"],
                r["total_p95_s"],
                r["second_attempts"],
                r["floor_s"],
                r["contains"],
                r["citation_precision"],
                r["answer_citation_precision"],
                r["unsupported_claims"],
            ]
            for name, r in section["configurations"].items()
        ]
        header[1:1] = ["first token / first row", "prompt tokens / first row"]
        for row in rows:
            row[1:1] = [section["first_token_ratio"][row[0]], section["prompt_token_ratio"][row[0]]]
        return (
            f"Prompt benchmark ({section['questions']} questions of {Path(section['questions_file']).parent.name}, "
            f"seed {section['seed']})\n\n" + markdown_table(header, rows)
        )


def _first_token(record: dict) -> str:
    seconds = (record.get("timings") or {}).get("first_token_s")
    return "declined before the model" if seconds is None else f"{seconds:.1f} s"


def summarize(records: list[dict]) -> dict[str, object]:
    """Speed and quality of one configuration's answers."""
    timings = [r.get("timings") or {} for r in records]
    asked = [t for t in timings if t.get("prompt_tokens")]
    read = prompt_reading(asked)
    prompt_tokens = scoring.percentile([t["prompt_tokens"] for t in asked], 50)
    answers = scoring.summarize_answers(records)
    return {
        "questions": len(records),
        "asked_the_model": len(asked),
        "prompt_tokens": prompt_tokens,
        "first_token_s": scoring.percentile([t.get("first_token_s") for t in asked], 50),
        "first_token_p95_s": scoring.percentile([t.get("first_token_s") for t in asked], 95),
        "decode_tokens_per_s": scoring.percentile([t.get("decode_tokens_per_s") for t in asked], 50),
        "total_s": scoring.percentile([t.get("total_s") for t in asked], 50),
        "total_p95_s": scoring.percentile([t.get("total_s") for t in asked], 95),
        "second_attempts": sum(1 for t in asked if t.get("attempts", 0) > 1),
        "prompt_tokens_read": read["prompt_tokens_read"],
        "prompt_reading_tokens_per_s": read["prompt_tokens_per_s"],
        "floor_s": read["floor_s"],
        **{
            key: answers[key]
            for key in (
                "contains",
                "f1",
                "abstentions",
                "false_abstention_rate",
                "citation_precision",
                "answer_citation_precision",
                "unsupported_claims",
            )
        },
    }


def _ratio(rows: dict[str, dict], key: str) -> dict[str, float | None]:
    """Each configuration's value as a share of the first's."""
    before = next(iter(rows.values()))[key]
    return {name: round(row[key] / before, 3) if before and row[key] else None for name, row in rows.items()}
