"""Question answering: QA runs the steps of an answer over one index and keeps the models warm; `answer()` is
the module-level Python API.

    validate  Ask                         -> Ask (the question cleaned, k checked)
    plan      Ask                         -> SearchPlan   the one reading of the question (rag.search.planning)
    gather    SearchPlan, k               -> Retrieved    candidates, top k, the passages to read
    then the components of rag.answering.steps: Across (chosen by the plan), Check, Write, Verify, OnClaim,
    Reread, Gate, Reports"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import replace
from typing import Any

from rag.answering.models import AnsweringModel, load_generator
from rag.answering.replying import Reply, prompt_sources
from rag.answering.steps import Across, Check, Gate, OnClaim, Reports, Reread, Verify, Write, early_answer
from rag.config import Settings
from rag.index.embedding import Embedder
from rag.index.live import LiveIndex
from rag.model import Answer, Ask, Hit, Timings
from rag.search.planning import Retrieved, SearchPlan, check_k, plan_search, search_plan, validate_question
from rag.search.retrieval import Mode, Retriever

__all__ = ["QA", "Retrieved", "answer", "default_qa"]


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
        self.across, self.check, self.write = Across(self), Check(self.settings), Write(self)
        self.verify, self.on_claim, self.reread = Verify(self.settings), OnClaim(self.settings), Reread(self)
        self.gate, self.reports = Gate(self), Reports(self)

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
        return plan_search(Ask.of(ask), self.retriever, self.settings.news_aware)

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

    # --- the API ----------------------------------------------------------------------------------------------

    def validate(self, ask: Ask | str) -> Ask:
        """The request with its question cleaned; QuestionError for an empty or over-long question or a bad k."""
        ask = Ask.of(ask)
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
        found = self.gather(self.plan(ask), ask.k or self.settings.top_k, started)
        across = self.across.run(found)
        if across:
            elapsed = time.perf_counter() - started
            yield replace(across, timings=Timings(found.seconds, elapsed, elapsed), **found.plan.answer_fields())
            return
        early = self.check.run(found)
        if early:
            yield early_answer(early, found, Timings(found.seconds, None, time.perf_counter() - started))
            return
        yield from self._model_answer(found, started, should_stop)

    def _model_answer(
        self, found: Retrieved, started: float, should_stop: Callable[[], bool]
    ) -> Generator[Answer, None, None]:
        """The sources (empty text), the model's reply as it grows, then the verified, judged, dated answer."""
        asked, context = found.plan.user.text, found.plan.answer_fields()
        yield Answer(asked, "", hits=found.hits, done=False, timings=Timings(found.seconds), **context)
        first: float | None = None
        writing = self.write.run(found, should_stop)
        while True:
            try:
                text = next(writing)
            except StopIteration as end:
                reply: Reply = end.value
                break
            first = time.perf_counter() - started if first is None else first
            yield Answer(asked, text, hits=found.hits, done=False, timings=Timings(found.seconds, first), **context)
        verified, reread_s = self.on_claim.run(found, self.verify.run(found, reply)), None
        if self.reread.wanted(verified):
            timings = Timings(found.seconds, first)
            yield Answer(asked, reply.text, hits=found.hits, done=False, rereading=True, timings=timings, **context)
            reread_started = time.perf_counter()
            verified = self.reread.run(found, verified)
            reread_s = round(time.perf_counter() - reread_started, 3)
        final = self.reports.run(found, self.gate.run(found, reply, verified))
        timings = Timings(found.seconds, first, time.perf_counter() - started).with_usage(reply.usages)
        yield replace(final, timings=replace(timings, reread_s=reread_s))

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
