"""Question answering as named steps: plan -> search -> check before the model -> reply -> finish (verify).
`QA` runs them over one index and keeps the models warm; `answer()` is the module-level Python API.

    plan    question, history, dates, sources   -> SearchPlan          (rag.search.planning)
    gather  SearchPlan, k                       -> Retrieved           (candidates, top k, the passages to read)
    check   question, Retrieved                 -> EarlyAnswer | None  (rag.answering.gate)
    reply   question, Retrieved                 -> text so far ... Reply  (rag.answering.replying)
    finish  question, Reply, Retrieved          -> Answer              (rag.answering.finishing)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rag.answering.across.evidence import report_evidence, says_claim
from rag.answering.across.verdict import derive_verdict
from rag.answering.across.writing import across_answer
from rag.answering.answerability import judge, load_gate
from rag.answering.evidence import none_probability
from rag.answering.finishing import finish_answer, with_reports
from rag.answering.gate import EarlyAnswer, check_before_model, index_holds
from rag.answering.generation import AnsweringModel, load_generator
from rag.answering.replying import Reply, prompt_sources, write_reply
from rag.answering.selection import select_sentences
from rag.config import Settings
from rag.index.embedding import Embedder
from rag.index.live import LiveIndex
from rag.model import Answer, Ask, Hit, Timings
from rag.search.planning import SearchPlan, check_k, plan_search, search_plan, validate_question
from rag.search.retrieval import Mode, Retriever
from rag.search.several import SeveralReports, several_reports

__all__ = ["QA", "Retrieved", "answer", "default_qa"]


@dataclass(frozen=True)
class Retrieved:
    """What the search step found for an answer, from one index generation: the plan as searched (its dates
    widened when the asked range held nothing), every candidate (ranked), the top k shown as sources (hits),
    the passages the model reads, whole (passages), and the seconds from the question to here."""

    plan: SearchPlan
    ranked: list[Hit]
    hits: list[Hit]
    passages: list[Hit]
    retriever: Retriever
    seconds: float


class QA:
    """Question answering over one index; models load on first use and stay warm."""

    def __init__(
        self,
        settings: Settings | None = None,
        generator: AnsweringModel | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.index = LiveIndex(self.settings, embedder)
        self._generator = generator
        self._retriever: Retriever | None = None
        self._lock = threading.Lock()  # the retriever
        self._generator_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        return self.index.embedder

    @property
    def model_loaded(self) -> bool:
        """True once the answering model is loaded (it loads on first use)."""
        return self._generator is not None

    @property
    def generator(self) -> AnsweringModel:
        with self._generator_lock:
            if self._generator is None:
                self._generator = load_generator(self.settings)
            return self._generator

    def retriever(self) -> Retriever:
        """The retriever over the newest complete index generation (built from the articles folder first when
        there is no index yet)."""
        store = self.index.store()
        with self._lock:
            if self._retriever is None or self._retriever.store is not store:
                self._retriever = Retriever(
                    store,
                    self.embedder,
                    self.settings.candidates,
                    self.settings.max_per_article,
                    self.settings.dense_weight,
                )
            return self._retriever

    # --- the steps ------------------------------------------------------------------------------------------

    def plan(self, ask: Ask | str) -> SearchPlan:
        """What to search for (see plan_search)."""
        return plan_search(Ask(ask) if isinstance(ask, str) else ask, self.retriever, self.settings.news_aware)

    def search(
        self,
        plan: SearchPlan,
        k: int | None = None,
        mode: Mode = "hybrid",
        min_similarity: float | None = None,
        retriever: Retriever | None = None,
    ) -> tuple[list[Hit], SearchPlan]:
        """The passages for a plan and the plan as searched (see search_plan)."""
        return search_plan(
            retriever or self.retriever(),
            plan,
            k or self.settings.top_k,
            mode,
            self.settings.min_score if min_similarity is None else min_similarity,
            self.settings.news_aware,
        )

    def gather(self, plan: SearchPlan, top: int, started: float | None = None) -> Retrieved:
        """The search step of an answer: every candidate, the top passages and those the model reads, all from
        one index generation even if a build lands meanwhile (started: when the question came in)."""
        started = time.perf_counter() if started is None else started
        retriever = self.retriever()
        ranked, plan = self.search(plan, max(top, self.settings.candidates), retriever=retriever)
        passages = self.prompt_sources(ranked, top)
        return Retrieved(plan, ranked, ranked[:top], passages, retriever, time.perf_counter() - started)

    def prompt_sources(self, ranked: Sequence[Hit], top: int) -> list[Hit]:
        """The passages the model reads, whole (see replying.prompt_sources)."""
        return prompt_sources(ranked, top, self.settings)

    def check(self, question: str, found: Retrieved) -> EarlyAnswer | None:
        """The check before the model: an abstention decided from the passages alone, or None to ask it."""
        return check_before_model(
            question,
            found.plan,
            found.passages + found.hits,
            self.settings.verify,
            self.settings.answer_similarity,
            found.ranked,
            found.retriever.sources,
            lambda claim: index_holds(found.retriever.store, claim),
        )

    def reply(self, question: str, found: Retrieved, should_stop: Callable[[], bool]) -> Generator[str, None, Reply]:
        """The model's step: its reply on the passages cut to the sentences that matter (yielding the text so
        far), asked again on the whole passages after a decline (see write_reply)."""
        chosen = select_sentences(
            found.plan.question, found.passages, self.embedder.encode, self.settings.sentence_share
        )
        confident = found.hits[0].similarity >= self.settings.recheck_similarity
        return write_reply(
            self.generator, question, found.plan.question, found.passages, chosen, confident, self.settings, should_stop
        )

    def finish(self, question: str, reply: Reply, found: Retrieved) -> Answer:
        """The final answer: citations checked against the passages as the model read them and showing them
        whole, sentences not found in them removed, the answerability gate's say, and, for news, what each
        dated report says."""
        final = finish_answer(
            question, reply.text, reply.read, found.hits, Timings(), found.plan, self.settings.verify, found.passages
        )
        final = replace(final, reply=reply.text)
        if self.settings.verify and self.settings.gate:
            searched = found.plan.question
            final = judge(
                searched, found.hits, found.passages, final, load_gate(),
                lambda: none_probability(self.generator, searched, reply.read, self.embedder.encode),
            )  # fmt: skip
        if self.settings.news_aware:
            final = with_reports(final, found.plan.question, found.passages, found.retriever, self.embedder)
        return final

    def across(self, question: str, several: SeveralReports, found: Retrieved) -> Answer | None:
        """The answer to a question about several reports, from each one's own evidence and a verdict derived
        from them (rag.answering.across); None when no verdict can be derived and the model should answer."""
        evidence = report_evidence(
            several.reports, found.ranked, self.embedder.encode, found.retriever.store.manifest["articles"].values(),
            lambda asked: found.retriever.search(asked.claim, 3, filters=asked.filters()),
        )  # fmt: skip
        says: list[bool | None] = [None] * len(evidence)
        if several.kind == "verdict" and not any(e.missing for e in evidence):
            says = [says_claim(self.generator, e, self.embedder.encode) for e in evidence]
        verdict = derive_verdict(several, evidence, says, found.plan.question)
        if several.kind == "shared" and not verdict.word and not any(e.missing for e in evidence):
            return None
        return across_answer(question, several, evidence, says, verdict)

    # --- the API ----------------------------------------------------------------------------------------------

    def validate(self, ask: Ask | str) -> Ask:
        """The request with its question cleaned; QuestionError for an empty or over-long question or a bad k."""
        ask = Ask(ask) if isinstance(ask, str) else ask
        check_k(ask.k)
        return replace(ask, question=validate_question(ask.question, self.settings.max_question_chars))

    def retrieve(self, ask: Ask | str) -> list[Hit]:
        """The passages retrieval finds for a question (what the answer would be based on)."""
        ask = self.validate(ask)
        return self.search(self.plan(ask), ask.k)[0]

    def stream(self, ask: Ask | str, should_stop: Callable[[], bool] = lambda: False) -> Generator[Answer, None, None]:
        """Yield partial answers: first the retrieved sources (empty text), then growing text, then the final.

        The ask's history holds the earlier chat turns ({"role", "content"} messages) so follow-ups can be
        understood."""
        started = time.perf_counter()
        ask = self.validate(ask)
        question = ask.question
        found = self.gather(self.plan(ask), ask.k or self.settings.top_k, started)
        context = found.plan.answer_fields()
        several = several_reports(found.plan.question, found.retriever.sources) if self.settings.news_aware else None
        across = self.across(question, several, found) if several else None
        if across:
            elapsed = time.perf_counter() - started
            yield replace(across, timings=Timings(found.seconds, elapsed, elapsed), **context)
            return
        early = self.check(question, found)
        if early:
            timings = Timings(found.seconds, None, time.perf_counter() - started)
            yield Answer(
                question, early.text, early.citations, found.hits, True, True, abstain_reason=early.reason,
                timings=timings, **context,
            )  # fmt: skip
            return
        yield Answer(question, "", hits=found.hits, done=False, timings=Timings(found.seconds), **context)
        first: float | None = None
        writing = self.reply(question, found, should_stop)
        while True:
            try:
                text = next(writing)
            except StopIteration as end:
                reply: Reply = end.value
                break
            first = time.perf_counter() - started if first is None else first
            yield Answer(question, text, hits=found.hits, done=False, timings=Timings(found.seconds, first), **context)
        final = self.finish(question, reply, found)
        timings = Timings(found.seconds, first, time.perf_counter() - started).with_usage(reply.usages)
        yield replace(final, timings=timings)

    def answer(self, ask: Ask | str) -> Answer:
        """The final answer to the question (see stream)."""
        final = None
        for final in self.stream(ask):
            pass
        assert final is not None
        return final


_default: QA | None = None
_default_lock = threading.Lock()


def default_qa() -> QA:
    """The process-wide QA over the settings from the environment (safe to call from several threads)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = QA()
        return _default


def answer(question: str | Ask, stream: bool = False, **options: Any) -> Answer | Iterator[Answer]:
    """Answer a question from the indexed articles; with stream=True, yield partial answers. options are the
    fields of an Ask (k, since, until, sources, history, reference_date)."""
    ask = question if isinstance(question, Ask) else Ask(question, **options)
    qa = default_qa()
    return qa.stream(ask) if stream else qa.answer(ask)
