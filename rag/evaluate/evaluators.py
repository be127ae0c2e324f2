"""The evaluators behind `rag eval`: each is given a question set and where its records go, and called with a QA it
returns its metrics (a dict), as sentence-transformers' evaluators do with a model. A record already written for
the same configuration (the key: index, settings, the pipeline's code) is kept, not recomputed, so an interrupted
run continues where it stopped. Scoring follows the evaluation sets' conventions (rag.evaluate.scoring)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from rag.config import Settings
from rag.errors import QuestionError
from rag.evaluate import scoring
from rag.evaluate.questions import EXTRAS, record_ask
from rag.evaluate.records import Records, answer_shaping, fingerprint, pipeline_version
from rag.evaluate.set_index import article_id
from rag.model import Answer, TimeWords
from rag.search.retrieval import Mode

if TYPE_CHECKING:
    from rag.answering.qa import QA

MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
RETRIEVAL_K = 10


def retrieval_record(
    question: dict, mode: str, config: str, hits: Sequence, seconds: float, time_frame: TimeWords | None = None
) -> dict:
    ranked = [article_id(h.article_id) for h in hits]
    return {
        "key": Records.key("retrieval", question["id"], config, mode),
        "kind": "retrieval",
        "mode": mode,
        "id": question["id"],
        "config": config,
        "gold": question["gold"],
        "answerable": question["answerable"],
        "retrieved": ranked,
        "similarities": [round(h.similarity, 4) for h in hits],
        "seconds": round(seconds, 5),
        "time_frame": time_frame,
        **scoring.score_retrieval(ranked, question["gold"]),
        **{k: question[k] for k in EXTRAS if k in question},
    }


def answer_record(question: dict, config: str, answer: Answer | None, error: str | None = None) -> dict:
    from rag.answering.citations import answer_sentences

    record = {
        "key": Records.key("answer", question["id"], config),
        "kind": "answer",
        "id": question["id"],
        "config": config,
        "question": question["question"],
        "answers": question["answers"],
        "answerable": question["answerable"],
        "gold": question["gold"],
        **{k: question[k] for k in EXTRAS if k in question},
    }
    if answer is None:
        record.update(
            text="",
            abstained=False,
            citations=[],
            invalid_citations=0,
            sentences=0,
            uncited_sentences=[],
            timings={},
            retrieved=[],
            error=error,
            abstain_reason=None,
            unsupported=[],
        )
    else:
        record.update(
            text=answer.text,
            abstained=answer.abstained,
            citations=[
                {
                    "number": c.number,
                    "article_id": article_id(c.article_id),
                    "title": c.title,
                    "source": c.source,
                    "published": c.published,
                    "passage": c.passage,
                }
                for c in answer.citations
            ],
            abstain_reason=answer.abstain_reason,
            unsupported=list(answer.unsupported),
            reply=answer.reply,
            readings=[dataclasses.asdict(reading) for reading in answer.readings],
            invalid_citations=answer.invalid_citations,
            sentences=0 if answer.abstained else len(answer_sentences(answer.text)),
            uncited_sentences=list(answer.uncited_sentences),
            timings=dataclasses.asdict(answer.timings),
            time_frame=answer.time_frame,
            retrieved=[article_id(h.article_id) for h in answer.hits],
        )
    record.update(
        scoring.score_answer(record["text"], question["answers"], question["answerable"], record["abstained"])
    )
    record["citations_gold"] = [c["article_id"] in set(question["gold"]) for c in record["citations"]]
    return record


def rescore(record: dict) -> dict:
    """The record with its scores recomputed by the current scoring code (records may come from older runs)."""
    if record["kind"] == "retrieval":
        return {**record, **scoring.score_retrieval(record["retrieved"], record["gold"])}
    gold = set(record["gold"])
    return {
        **record,
        **scoring.score_answer(record["text"], record["answers"], record["answerable"], record["abstained"]),
        "citations_gold": [c["article_id"] in gold for c in record["citations"]],
    }


class RetrievalEvaluator:
    """Each retriever (dense, lexical, hybrid) on every question: the top RETRIEVAL_K passages with no similarity
    threshold. Returns {mode: recall@1/5/10, MRR@10, gold coverage@10, the recall curve, search latency} over
    the questions with gold articles."""

    name = "retrieval"

    def __init__(self, questions: list[dict], records: Records, settings: Settings, index_key: str) -> None:
        self.questions, self.records, self.settings = questions, records, settings
        self.config = fingerprint(
            {
                "index": index_key,
                "k": RETRIEVAL_K,
                "candidates": settings.candidates,
                "dense_weight": settings.dense_weight,
                "news_aware": settings.news_aware,
                "max_per_article": settings.max_per_article,
                "code": pipeline_version(),
            }
        )
        self.loading: dict[str, float] = {}  # seconds to load the embedder, when a question was searched
        self.scored: list[dict] = []  # the records of this run, scored by the current code (after the call)

    def keys(self) -> list[str]:
        return [Records.key("retrieval", q["id"], self.config, m) for q in self.questions for m in MODES]

    def describe(self) -> dict[str, object]:
        """The configuration as results.json states it."""
        return {
            "key": self.config,
            "k": RETRIEVAL_K,
            "candidates": self.settings.candidates,
            "min_similarity": -1.0,
            "modes": list(MODES),
        }

    def __call__(self, qa: QA) -> dict[str, object]:
        from tqdm import tqdm

        done = self.records.done
        todo = [q for q in self.questions if any(Records.key("retrieval", q["id"], self.config, m) not in done
                                                 for m in MODES)]  # fmt: skip
        if todo:  # load the embedder outside the timed searches
            t0 = time.perf_counter()
            qa.embedder.encode(["warm-up question"])
            self.loading["embedder_s"] = round(time.perf_counter() - t0, 2)
        for question in tqdm(todo, desc="retrieval", unit="q", disable=not todo):
            for mode in MODES:
                if Records.key("retrieval", question["id"], self.config, mode) not in done:
                    self.records.add(self.search(qa, question, mode))
        self.scored = [rescore(done[key]) for key in self.keys()]
        return cast(dict[str, object], scoring.summarize(self.scored)["retrieval"])

    def search(self, qa: QA, question: dict, mode: Mode) -> dict:
        """One question's record for one retriever."""
        t0 = time.perf_counter()
        plan = qa.plan(record_ask(question))
        hits, plan = qa.search(plan, k=RETRIEVAL_K, mode=mode, min_similarity=-1.0)
        return retrieval_record(
            question,
            mode,
            self.config,
            hits,
            time.perf_counter() - t0,
            plan.frame.to_dict() if plan.frame and plan.frame.applies else None,
        )


class AnswerEvaluator:
    """Every question answered as `rag ask` answers it. Returns EM / F1 / contains over the answerable questions,
    abstention precision and recall, citation precision, unsupported claims (the evaluation's own reading),
    removed sentences and latency (rag.evaluate.scoring.summarize_answers); None for a set without questions."""

    name = "answers"

    def __init__(self, questions: list[dict], records: Records, settings: Settings, index_key: str) -> None:
        self.questions, self.records = questions, records
        self.shaping = answer_shaping(settings, index_key)
        self.config = fingerprint(self.shaping)
        self.loading: dict[str, float] = {}  # seconds to load the answering model, when a question was asked
        self.scored: list[dict] = []  # the records of this run, scored by the current code (after the call)

    def keys(self) -> list[str]:
        return [Records.key("answer", q["id"], self.config) for q in self.questions]

    def describe(self) -> dict[str, object]:
        """The configuration as results.json states it."""
        return {"key": self.config, **self.shaping}

    def __call__(self, qa: QA) -> dict[str, object] | None:
        from tqdm import tqdm

        todo = [q for q in self.questions if Records.key("answer", q["id"], self.config) not in self.records.done]
        if todo:  # load the answering model outside the timed answers
            t0 = time.perf_counter()
            _ = qa.generator
            self.loading["answer_model_s"] = round(time.perf_counter() - t0, 2)
        for question in tqdm(todo, desc="answers", unit="q", disable=not todo):
            try:
                answer = qa.answer(record_ask(question))
                self.records.add(answer_record(question, self.config, answer))
            except QuestionError as exc:
                self.records.add(answer_record(question, self.config, None, str(exc)))
        self.scored = [rescore(self.records.done[key]) for key in self.keys()]
        return cast(dict[str, object] | None, scoring.summarize(self.scored)["answers"])
