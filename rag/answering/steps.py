"""The steps of an answer after the search, as components: each is given what it needs once (the settings and
the warm models) and has one typed run(). QA.stream runs them in order:

    Across   Retrieved                  -> Answer | None       questions about several reports (chosen by the plan)
    Check    Retrieved                  -> EarlyAnswer | None  the check before the model
    Write    Retrieved, stop            -> text so far ... Reply
    Verify   Retrieved, Reply           -> Answer              citations checked, unsupported sentences removed
    OnClaim  Retrieved, Answer          -> Answer              a follow-up's evidence holds the earlier claim
    Reread   Retrieved, Answer          -> Answer              the second reading: kept, withheld or recovered
    Gate     Retrieved, Reply, Answer   -> Answer              the answerability gate's say (RAG_GATE=1)
    Reports  Retrieved, Answer          -> Answer              what each dated report on the story says"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import Protocol

from rag.answering.across.evidence import report_evidence, says_claim
from rag.answering.across.verdict import derive_verdict
from rag.answering.across.writing import across_answer
from rag.answering.answerability import judge, load_gate
from rag.answering.evidence import none_probability
from rag.answering.finishing import finish_answer, with_reports
from rag.answering.follow_up import stays_on_claim
from rag.answering.gate import EarlyAnswer, check_before_model, index_holds
from rag.answering.models import AnsweringModel
from rag.answering.replying import Reply, write_reply
from rag.answering.second_reading import check_answer, recover_answer
from rag.answering.selection import select_sentences
from rag.answering.statement_check import check_statements
from rag.config import Settings
from rag.index.embedding import Embedder
from rag.model import Answer, Timings
from rag.search.planning import Retrieved


class Warm(Protocol):
    """What the steps share: the settings and the models, loaded on first use and kept warm (QA)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def generator(self) -> AnsweringModel: ...

    @property
    def embedder(self) -> Embedder: ...


@dataclass(frozen=True)
class Across:
    """A question about several reports answered from each one's own evidence and a verdict derived from them
    (rag.answering.across); None when the plan found no several reports, or no verdict can be derived and the
    model should answer."""

    warm: Warm

    def run(self, found: Retrieved) -> Answer | None:
        several, encode = found.plan.several, self.warm.embedder.encode
        if several is None:
            return None
        evidence = report_evidence(
            several.reports, found.ranked, encode, found.retriever.store.manifest["articles"].values(),
            lambda asked: found.retriever.search(asked.claim, 3, filters=asked.filters()),
        )  # fmt: skip
        says: list[bool | None] = [None] * len(evidence)
        if several.kind == "verdict" and not any(e.missing for e in evidence):
            says = [says_claim(self.warm.generator, e, encode) for e in evidence]
        verdict = derive_verdict(several, evidence, says, found.plan.question)
        if several.kind == "shared" and not verdict.word and not any(e.missing for e in evidence):
            return None
        return across_answer(found.plan.user.text, several, evidence, says, verdict)


@dataclass(frozen=True)
class Check:
    """The check before the model: an abstention decided from the passages alone, or None to ask it."""

    settings: Settings

    def run(self, found: Retrieved) -> EarlyAnswer | None:
        return check_before_model(
            found.plan,
            found.passages + found.hits,
            self.settings.verify,
            self.settings.answer_similarity,
            found.ranked,
            found.retriever.sources,
            lambda claim: index_holds(found.retriever.store, claim),
        )


@dataclass(frozen=True)
class Write:
    """The model's reply on the passages cut to the sentences that matter (yielding the text so far), asked
    again on the whole passages after a decline (see write_reply)."""

    warm: Warm

    def run(self, found: Retrieved, should_stop: Callable[[], bool]) -> Generator[str, None, Reply]:
        settings = self.warm.settings
        chosen = select_sentences(found.plan.read, found.passages, self.warm.embedder.encode, settings.sentence_share)
        confident = found.hits[0].similarity >= settings.recheck_similarity
        return write_reply(
            self.warm.generator, found.plan.user, found.plan.read, found.passages, chosen, confident, settings,
            should_stop,
        )  # fmt: skip


@dataclass(frozen=True)
class Verify:
    """The reply into an Answer: citations checked against the passages as the model read them and showing them
    whole, sentences not found in them removed (see finish_answer)."""

    settings: Settings

    def run(self, found: Retrieved, reply: Reply) -> Answer:
        plan = found.plan
        final = finish_answer(reply.text, reply.read, found.hits, Timings(), plan, self.settings.verify, found.passages)
        return replace(final, reply=reply.text)


@dataclass(frozen=True)
class OnClaim:
    """A follow-up leaning on an earlier answer ("Who said that?") is answered about that answer's claim: its
    evidence must hold what the earlier answer named, or it abstains (see stays_on_claim; with verification)."""

    settings: Settings

    def run(self, found: Retrieved, answer: Answer) -> Answer:
        if not self.settings.verify:
            return answer
        return stays_on_claim(answer, found.plan.earlier, found.plan.user, found.passages)


RECOVERABLE = ("declined", "nothing verified")  # abstentions of the model's own reply


@dataclass(frozen=True)
class Reread:
    """The second reading (RAG_SECOND_READING, with verification; rag.answering.second_reading): a verified
    answer keeps only the sentences its evidence states (RAG_STATEMENT_CHECK; rag.answering.statement_check),
    and is kept only when it holds the short answer to the question asked again on its evidence; with
    RAG_RECOVER_DECLINES, a reply the model declined or the verification removed is recovered when two
    readings agree on a short answer."""

    warm: Warm

    def wanted(self, answer: Answer) -> bool:
        """True when the answer gets a second reading."""
        settings = self.warm.settings
        recoverable = settings.recover_declines and answer.abstain_reason in RECOVERABLE
        return settings.verify and settings.second_reading and (not answer.abstained or recoverable)

    def run(self, found: Retrieved, answer: Answer) -> Answer:
        if not self.wanted(answer):
            return answer
        model, encode = self.warm.generator, self.warm.embedder.encode
        if not answer.abstained:
            if self.warm.settings.statement_check:
                answer = check_statements(model, answer, encode)
            return check_answer(model, found.plan.read, answer, encode)
        recovered, readings = recover_answer(model, found.plan, found.hits, encode)
        return recovered or replace(answer, readings=readings)


@dataclass(frozen=True)
class Gate:
    """The answerability gate's say over a verified answer (on with RAG_GATE=1 and verification)."""

    warm: Warm

    def run(self, found: Retrieved, reply: Reply, answer: Answer) -> Answer:
        settings = self.warm.settings
        if not (settings.verify and settings.gate):
            return answer
        searched = found.plan.question
        return judge(
            found.plan.read, found.hits, found.passages, answer, load_gate(),
            lambda: none_probability(self.warm.generator, searched, reply.read, self.warm.embedder.encode),
        )  # fmt: skip


@dataclass(frozen=True)
class Reports:
    """For news: the answer with what each dated report on its story says."""

    warm: Warm

    def run(self, found: Retrieved, answer: Answer) -> Answer:
        if not self.warm.settings.news_aware:
            return answer
        return with_reports(answer, found.plan.question, found.passages, found.retriever, self.warm.embedder)


def early_answer(early: EarlyAnswer, found: Retrieved, timings: Timings) -> Answer:
    """The Answer of an abstention decided before the model."""
    return Answer(
        found.plan.user.text,
        early.text,
        citations=early.citations,
        hits=found.hits,
        abstained=True,
        abstain_reason=early.reason,
        timings=timings,
        **found.plan.answer_fields(),
    )
