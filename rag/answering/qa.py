"""Question answering: retrieve -> prompt -> generate -> cite. `answer()` and `QA` are the Python API."""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Generator as Gen
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from rag.answering.citations import align_markers, answer_sentences, parse_citations
from rag.answering.generation import Generator, Usage, load_generator
from rag.answering.prompting import build_messages, is_grounded, readable_date, restates_question, select_sources
from rag.answering.reports import Report, dated_reports
from rag.answering.selection import select_sentences
from rag.answering.verify import Support, missing_from, verify_answer
from rag.config import Settings
from rag.errors import ArticleNotFoundError, IndexNotFoundError, NoArticlesError, QuestionError, RagError
from rag.index.embedding import Embedder
from rag.index.indexing import BuildReport, Progress, build_index, index_model, indexed_model, make_embedder
from rag.index.lexical import tokenize
from rag.index.stores import index_stamp, load_store, read_manifest
from rag.ingest.uploads import delete_article_file
from rag.markers import ABSTAIN, MARKER
from rag.search.followup import last_turn, standalone_question
from rag.search.named import NamedReports, named_reports
from rag.search.retrieval import Filters, Hit, Mode, Retriever
from rag.search.timeframe import TimeFrame, names_dates, resolve_time

GATE_MIN_WORDS = 3  # a question of fewer content words ("Who is Lavrov?") is too short for its similarity to tell
ABSTAIN_REASONS = {
    "nothing retrieved": "no passage is close enough to the question",
    "not close enough": "no retrieved passage is close enough to the question to answer it",
    "not in the articles": "the question names something no retrieved passage mentions",
    "outside the time range": "nothing in the asked time range is about it",
    "declined": "the model found no answer in the passages",
    "nothing verified": "no sentence of the reply was found in the passages it cites",
}
_ABSTAIN_PATTERNS = re.compile(
    r"indexed articles do not say|passages do not (?:contain|say|mention|provide)", re.IGNORECASE
)


@dataclass(frozen=True)
class Citation:
    """A source the answer cites: its number in the answer, the article and the quoted passage."""

    number: int
    title: str
    source: str
    published: str | None
    url: str
    passage: str
    score: float
    article_id: str
    chunk_id: int
    also_reported_by: tuple[dict[str, str | None], ...] = ()


@dataclass(frozen=True)
class Timings:
    """Seconds to the sources, the first token and the end; what the model read and wrote, as it counted
    (None when the model was not asked or its runtime does not say)."""

    retrieve_s: float = 0.0
    first_token_s: float | None = None
    total_s: float = 0.0
    prompt_tokens: int | None = None  # of the first attempt
    prompt_read_s: float | None = None  # all attempts
    decode_tokens_per_s: float | None = None
    attempts: int = 0  # model replies: 2 when a declined question was asked again

    def with_usage(self, usages: Sequence[Usage]) -> Timings:
        """These timings with the model's own counts of its replies."""
        if not usages:
            return self
        total = Usage.total(usages)
        rate = total.decode_tokens_per_s
        return replace(
            self,
            prompt_tokens=usages[0].prompt_tokens,
            prompt_read_s=round(total.prompt_s, 3),
            decode_tokens_per_s=None if rate is None else round(rate, 2),
            attempts=len(usages),
        )


@dataclass(frozen=True)
class Answer:
    """An answer (partial while streaming: done is False) with its citations and retrieved passages."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    abstained: bool = False
    done: bool = True
    invalid_citations: int = 0
    uncited_sentences: list[str] = field(default_factory=list)
    timings: Timings = Timings()
    filters: dict[str, object] = field(default_factory=dict)
    standalone_question: str | None = None  # a follow-up question rewritten with the turn it depends on
    time_frame: dict[str, object] | None = None  # how time words were read (TimeFrame.to_dict())
    named_reports: dict[str, object] | None = None  # sources and dates the question names (NamedReports.to_dict())
    relies_on: str = ""  # the dates and sources of the cited passages, e.g. "CNN, 21 October 2025 [1]"
    reports: list[Report] = field(default_factory=list)  # what each dated article on the story says, oldest first
    abstain_reason: str | None = None  # why it abstained: one of ABSTAIN_REASONS
    support: list[Support] = field(default_factory=list)  # each verified sentence's citation and passage span
    unsupported: list[str] = field(default_factory=list)  # sentences removed: not found in the sources
    reply: str = ""  # the model's reply before any check ("" when the model was not asked)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def _check_k(k: int | None) -> None:
    """QuestionError unless k is None (the default) or a whole number of at least 1."""
    if k is not None and (not isinstance(k, int) or k < 1):
        raise QuestionError(f"k={k!r} passages: ask for at least 1 (or leave it out for the default)")


def validate_question(question: str, max_chars: int) -> str:
    """The question without control characters; QuestionError when empty or too long."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question).strip()
    cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
    if not cleaned:
        raise QuestionError("the question is empty; type a question about the articles")
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"the question is {len(cleaned):,} characters; the limit is {max_chars:,} "
            "(shorten it, or raise RAG_MAX_QUESTION_CHARS)"
        )
    return cleaned


def relies_on(citations: list[Citation]) -> str:
    """The dates and sources the answer relies on, e.g. "CNN, 21 October 2025 [1]; BBC, undated [2]"."""
    return "; ".join(
        f"{', '.join(p for p in (c.source, readable_date(c.published) or 'undated') if p)} [{c.number}]"
        for c in citations
    )


def declines(reply: str, question: str) -> bool:
    """True when the reply is no answer: it declines, is empty or only restates the question. A reply that
    answers in a cited sentence and says what the passages leave out ("Leaders met in Budapest [1]. The
    passages do not mention the date.") is an answer."""
    if restates_question(reply, question):
        return True
    return bool(_ABSTAIN_PATTERNS.search(reply)) and not any(
        MARKER.search(sentence) and not _ABSTAIN_PATTERNS.search(sentence) for sentence in answer_sentences(reply)
    )


def finish_answer(
    question: str,
    reply: str,
    sources: list[Hit],
    hits: list[Hit],
    timings: Timings,
    plan: SearchPlan,
    verify: bool = True,
    shown: list[Hit] | None = None,
) -> Answer:
    """Turn the model's full reply into an Answer: abstention (see declines), citations re-pointed to the
    passages that hold their words, then (with verify) only the sentences found in the passages they cite;
    a reply of which no sentence is found there abstains (pure). `sources` are the passages as the model read
    them; a citation shows passage n of `shown` (default: sources), e.g. whole where the model read sentences."""
    context = plan.answer_fields()
    if declines(reply, question):
        return Answer(question, ABSTAIN, [], hits, True, True, 0, [], timings, **context, abstain_reason="declined")
    check = parse_citations(reply, len(sources))
    invalid = check.invalid
    # a passage's header counts as its words: "TechCrunch reported on 15 December that ..." names passage 2
    described = [" ".join((s.title, s.source, readable_date(s.published), s.text)) for s in sources]
    text = align_markers(check.text, described)
    verified = verify_answer(text, sources, question, shown) if verify else None
    if verified is not None:
        if not verified.claims and verified.unsupported:
            return Answer(
                question,
                ABSTAIN,
                [],
                hits,
                True,
                True,
                invalid,
                [],
                timings,
                **context,
                abstain_reason="nothing verified",
                unsupported=verified.unsupported,
            )
        text = verified.text
    check = parse_citations(text, len(sources))
    citations = [cite(n, (shown or sources)[n - 1]) for n in check.cited]
    return Answer(
        question,
        check.text,
        citations,
        hits,
        False,
        True,
        invalid,
        check.uncited_sentences,
        timings,
        **context,
        relies_on=relies_on(citations),
        support=verified.support if verified else [],
        unsupported=verified.unsupported if verified else [],
    )


def cite(number: int, hit: Hit) -> Citation:
    """The citation [number] of a passage."""
    return Citation(
        number,
        hit.title,
        hit.source,
        hit.published,
        hit.url,
        hit.text,
        hit.score,
        hit.article_id,
        hit.chunk_id,
        hit.also_reported_by,
    )


def before_the_model(
    question: str,
    plan: SearchPlan,
    hits: list[Hit],
    verify: bool = True,
    answer_similarity: float = 0.0,
    candidates: Sequence[Hit] = (),
    sources: Sequence[str] = (),
) -> tuple[str, str, list[Citation]] | None:
    """An abstention decided from the passages alone, (text, reason, citations), or None to ask the model:
    no passage, the question names something that none of the passages nor the other candidates mention
    (sources the index holds count as mentioned), the best passage is less similar to the question than
    answer_similarity, or nothing in its time range was relevant (the nearest earlier report is
    named and cited instead of being presented as news of that range)."""
    if not hits:
        return ABSTAIN, "nothing retrieved", []
    if not verify:
        return None
    missing = missing_from(question, [*hits, *candidates], sources)
    if missing:  # said first: it tells the reader what is missing
        names = ", ".join(missing[:-1]) + (" or " if len(missing) > 1 else "") + missing[-1]
        return f"The indexed articles do not mention {names}.", "not in the articles", []
    if len(tokenize(question)) >= GATE_MIN_WORDS and max(hit.similarity for hit in hits) < answer_similarity:
        return ABSTAIN, "not close enough", []
    frame = plan.frame
    if frame and frame.widened:
        dated = [h for h in hits if h.published]
        span = f"from {readable_date(frame.since)} to {readable_date(frame.until or frame.reference)}"
        if not dated:
            return f"No article {span} is about this.", "outside the time range", []
        nearest = max(dated, key=lambda h: h.published or "")
        return (
            f"No article {span} is about this; the nearest report is from {readable_date(nearest.published)} [1].",
            "outside the time range",
            [cite(1, nearest)],
        )
    return None


@dataclass(frozen=True)
class SearchPlan:
    """What retrieval will look for: the (standalone) question, the filters and how time words were read."""

    question: str
    filters: Filters
    rewritten: str | None = None
    frame: TimeFrame | None = None
    named: NamedReports = NamedReports()

    def answer_fields(self) -> dict[str, object]:
        return {
            "filters": {key: value for key, value in asdict(self.filters).items() if value and key != "keep_undated"},
            "standalone_question": self.rewritten,
            "time_frame": self.frame.to_dict() if self.frame and self.frame.applies else None,
            "named_reports": self.named.to_dict() if self.named.any else None,
        }


class QA:
    """Question answering over one index; models load on first use and stay warm."""

    def __init__(
        self, settings: Settings | None = None, generator: Generator | None = None, embedder: Embedder | None = None
    ) -> None:
        self.settings = settings or Settings.from_env()
        self._generator = generator
        self._embedder = embedder
        self._retriever: Retriever | None = None
        self._generation: int | None = None
        self._manifest_stamp: object = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            manifest = read_manifest(self.settings.index_dir)
            # the index decides the query embedder; the settings only when there is no index yet
            model = index_model(self.settings, None) if manifest is None else indexed_model(manifest)
            self._embedder = make_embedder(self.settings, model)
        return self._embedder

    @property
    def model_loaded(self) -> bool:
        """True once the answering model is loaded (it loads on first use)."""
        return self._generator is not None

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = load_generator(self.settings)
        return self._generator

    def retriever(self) -> Retriever:
        """The retriever over the newest complete index generation (reloaded after a rebuild). With no index
        yet, it is built from the articles folder first (progress on stderr), as `rag serve` does."""
        if self._retriever is None and read_manifest(self.settings.index_dir) is None:
            self._build_first()
        with self._lock:
            stamp = index_stamp(self.settings.index_dir)
            if self._retriever is not None and stamp == self._manifest_stamp:
                return self._retriever  # no build saved since: same generation
            manifest = read_manifest(self.settings.index_dir)
            generation = None if manifest is None else manifest.get("generation")
            if self._retriever is None or generation != self._generation:
                store = load_store(self.settings.index_dir)
                self._retriever = Retriever(
                    store,
                    self.embedder,
                    self.settings.candidates,
                    self.settings.max_per_article,
                    self.settings.dense_weight,
                )
                self._generation = store.manifest.get("generation")
            self._manifest_stamp = stamp
            return self._retriever

    def _build_first(self) -> None:
        """Build the missing index; IndexNotFoundError naming the fix when there is nothing to build it from."""
        index, seeds = self.settings.index_dir, self.settings.seeds_dir
        nothing = IndexNotFoundError(
            f"no index yet in {index}/ and no readable article in {seeds}/ to build it "
            f"from; add article files there and run: rag build --index {index}"
        )
        if not seeds.is_dir():
            raise nothing
        try:
            print(self.build(log=lambda line: print(line, file=sys.stderr)).summary(), file=sys.stderr)
        except NoArticlesError:
            raise nothing from None

    def build(
        self,
        full: bool = False,
        log: Callable[[str], None] = print,
        progress: bool = True,
        on_progress: Progress | None = None,
    ) -> BuildReport:
        """Update the index from the articles folder, sharing the query embedder when the model is the same
        (on_progress: see build_index)."""
        try:
            manifest = read_manifest(self.settings.index_dir)
        except RagError:
            manifest = None  # the build reports or repairs it
        wanted = index_model(self.settings, manifest)
        same_model = manifest is None or indexed_model(manifest) == wanted
        report = build_index(
            self.settings,
            full=full,
            embedder=self.embedder if same_model else None,
            log=log,
            progress=progress,
            on_progress=on_progress,
        )
        if not same_model:  # queries now go to the new model's vectors
            self._embedder = self._retriever = None
        return report

    def delete_article(self, article_id: str, on_progress: Progress | None = None) -> tuple[Path, BuildReport]:
        """Delete the file of an indexed article from the articles folder (whole files only, see
        delete_article_file) and update the index: (the deleted file, the build report)."""
        indexed = list((read_manifest(self.settings.index_dir) or {}).get("articles", {}))
        if article_id not in indexed:
            raise ArticleNotFoundError(
                f"no article {article_id!r} in the index; the page's Articles list and GET /v1/articles name them"
            )
        path = delete_article_file(self.settings.seeds_dir, article_id, indexed)
        return path, self.build(log=lambda _: None, progress=False, on_progress=on_progress)

    def plan(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        reference_date: str | None = None,
        since: str | None = None,
        until: str | None = None,
        sources: Sequence[str] = (),
    ) -> SearchPlan:
        """What to search for: with news_aware, a follow-up made standalone, its time words read into filters
        (dates the caller gives win) and the reports it names (sources, dates) read for ranking. reference_date
        is the day the question was asked (YYYY-MM-DD)."""
        for name, value in (("'since' date", since), ("'until' date", until), ("reference date", reference_date)):
            if value and not _is_iso_date(value):
                raise QuestionError(f"the {name} {value!r} is not a date; write it as YYYY-MM-DD")
        if since and until and since > until:
            raise QuestionError(f"the 'since' date {since} is after the 'until' date {until}; swap them")
        filters = Filters(since or None, until or None, tuple(sources))
        if sources:
            self._check_sources(sources)
        if not self.settings.news_aware:
            return SearchPlan(question, filters)
        rewritten = standalone_question(question, history)
        reference = self._reference(reference_date)
        named = self._named(question, history if rewritten else None)
        # "since October 6, 2025" bounds the search, unless it bounds one named report ("the Wired report after")
        frame = resolve_time(question, *reference, cap_at_reference=bool(reference_date), date_bounds=not named.sources)
        if rewritten and not frame.phrase and not names_dates(question):
            # a follow-up without time words of its own keeps those of the question it follows
            earlier = resolve_time(
                last_turn(history)[0], *reference, cap_at_reference=bool(reference_date), date_bounds=not named.sources
            )
            frame = earlier if earlier.phrase else frame
        searched = rewritten or question
        if (frame.since and not since) or (frame.until and not until):
            filters = replace(filters, since=since or frame.since, until=until or frame.until, keep_undated=True)
        return SearchPlan(searched, filters, rewritten, frame, named)

    def _named(self, question: str, history: Sequence[Mapping[str, Any]] | None) -> NamedReports:
        """The reports the question names; a follow-up (given its history) naming none keeps those of the
        question it follows, never those of the answer, as with time words."""
        try:
            sources = self.retriever().sources
        except IndexNotFoundError:
            sources = []  # the search that follows says how to build the index
        named = named_reports(question, sources)
        return named if named.any or not history else named_reports(last_turn(history)[0], sources)

    def _check_sources(self, sources: Sequence[str]) -> None:
        """QuestionError naming the sources the index holds when a source filter matches none of its articles."""
        known = self.retriever().sources
        unknown = [s for s in sources if s.lower() not in {k.lower() for k in known}]
        if unknown:
            held = (
                f"its sources are: {', '.join(known[:20])}{' ...' if len(known) > 20 else ''}"
                if known
                else "its articles name no source"
            )
            raise QuestionError(f"no article in the index is from {', '.join(map(repr, unknown))}; {held}")

    def _reference(self, reference_date: str | None) -> tuple[date, str]:
        """The date "today" means: the question's date, else the newest article's, else today."""
        if reference_date:
            return date.fromisoformat(reference_date), "the question's date"
        dates = [a["published"] for a in self.retriever().store.manifest["articles"].values() if a.get("published")]
        if dates:
            return date.fromisoformat(max(dates)), "the newest article's date"
        return date.today(), "today's date"

    def search(
        self,
        plan: SearchPlan,
        k: int | None = None,
        mode: Mode = "hybrid",
        min_similarity: float | None = None,
        retriever: Retriever | None = None,
    ) -> tuple[list[Hit], SearchPlan]:
        """The passages for a plan. When the question's time words leave nothing relevant, every earlier date
        is searched instead and the plan says so."""
        retriever = retriever or self.retriever()
        frame = plan.frame
        recent = date.fromisoformat(frame.reference) if frame and frame.prefer_recent else None

        def run(filters: Filters) -> list[Hit]:
            return retriever.search(
                plan.question,
                k or self.settings.top_k,
                mode,
                filters,
                self.settings.min_score if min_similarity is None else min_similarity,
                recent,
                self.settings.news_aware,
                plan.named,
            )

        hits = run(plan.filters)
        if not hits and frame and frame.since and plan.filters.since == frame.since:
            plan = replace(plan, filters=replace(plan.filters, since=None), frame=replace(frame, widened=True))
            hits = run(plan.filters)
        return hits, plan

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        filters: Filters = Filters(),
        history: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[Hit]:
        """The passages retrieval finds for a question (what the answer would be based on)."""
        question = validate_question(question, self.settings.max_question_chars)
        _check_k(k)
        plan = self.plan(question, history, None, filters.since, filters.until, filters.sources)
        return self.search(plan, k)[0]

    def stream(
        self,
        question: str,
        k: int | None = None,
        since: str | None = None,
        until: str | None = None,
        sources: Sequence[str] = (),
        history: Sequence[Mapping[str, Any]] | None = None,
        reference_date: str | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[Answer]:
        """Yield partial answers: first the retrieved sources (empty text), then growing text, then the final.

        history holds the earlier chat turns ({"role", "content"} messages) so follow-ups can be understood.
        The steps: plan -> search -> choose the prompt's sources -> abstain before the model when the passages
        cannot answer -> generate -> finish (check the citations, keep only verified sentences)."""
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        _check_k(k)
        plan = self.plan(question, history, reference_date, since, until, sources)
        top = k or self.settings.top_k
        retriever = self.retriever()  # one index generation for the whole answer, even if a build lands meanwhile
        ranked, plan = self.search(plan, max(top, self.settings.candidates), retriever=retriever)
        hits = ranked[:top]
        retrieve_s = time.perf_counter() - started
        whole = self.prompt_sources(ranked, top)
        early = before_the_model(
            question,
            plan,
            whole + hits,
            self.settings.verify,
            self.settings.answer_similarity,
            ranked,
            retriever.sources,
        )
        if early:
            text, reason, citations = early
            yield Answer(
                question,
                text,
                citations,
                hits,
                True,
                True,
                abstain_reason=reason,
                timings=Timings(retrieve_s, None, time.perf_counter() - started),
                **plan.answer_fields(),
            )
            return
        yield Answer(question, "", hits=hits, done=False, timings=Timings(retrieve_s), **plan.answer_fields())
        first: list[float] = []

        def partial(text: str) -> Answer:
            if not first:
                first.append(time.perf_counter() - started)
            return Answer(
                question, text, hits=hits, done=False, timings=Timings(retrieve_s, first[0]), **plan.answer_fields()
            )

        chosen = select_sentences(plan.question, whole, self.embedder.encode, self.settings.sentence_share)
        confident = hits[0].similarity >= self.settings.recheck_similarity
        usages: list[Usage] = []
        reply, read = yield from self.generate(question, plan, whole, chosen, confident, should_stop, partial, usages)
        final = self.finish(question, reply, read, whole, hits, plan, retriever)
        timings = Timings(retrieve_s, first[0] if first else None, time.perf_counter() - started)
        yield replace(final, timings=timings.with_usage(usages))

    def prompt_sources(self, ranked: Sequence[Hit], top: int) -> list[Hit]:
        """The passages the model reads: the top hits within the prompt budget; with news_aware the best article
        also brings its next best retrieved chunks (the diverse ranking gave it one slot). Whole: the sentence
        selection (sentence_share) comes after the checks before the model."""
        more: list[Hit] = []
        if self.settings.news_aware and ranked:
            best = ranked[0].article_id
            already = sum(h.article_id == best for h in ranked[:top])
            more = [h for h in ranked[top:] if h.article_id == best][
                : max(0, self.settings.best_article_chunks - already)
            ]
        return select_sources(ranked[:top], self.settings.prompt_tokens, more)

    def generate(
        self,
        question: str,
        plan: SearchPlan,
        whole: list[Hit],
        chosen: list[Hit],
        confident: bool,
        should_stop: Callable[[], bool],
        partial: Callable[[str], Answer],
        usages: list[Usage],
    ) -> Gen[Answer, None, tuple[str, list[Hit]]]:
        """Stream the model's reply to the plan's (standalone) question on the chosen passages (the whole ones
        cut to their sentences) as partial answers (made by partial from the text so far); return it with the
        passages it read. Each reply's cost goes to usages. A decline is asked once more on the whole passages
        when retrieval is confident (then without the option to decline) or when the passages were cut."""
        fixed = self.settings.fixed_instructions
        reply = yield from self._reply(
            build_messages(plan.question, chosen, fixed=fixed), len(chosen), should_stop, partial, usages
        )
        cut = any(c.text != w.text for c, w in zip(chosen, whole))
        if not declines(reply, question) or not (confident or cut) or should_stop():
            return reply, chosen
        # Small models often decline when the answer is worded differently from the question, or when a cut
        # passage lost the sentence that carried it; keep the second reply only when it is grounded.
        retry = yield from self._reply(
            build_messages(plan.question, whole, decline=not confident, fixed=fixed),
            len(whole),
            should_stop,
            partial,
            usages,
        )
        if not declines(retry, question) and is_grounded(retry, question, whole):
            return retry, whole
        return reply, chosen

    def _reply(
        self,
        messages: list[dict[str, str]],
        markers: int,
        should_stop: Callable[[], bool],
        partial: Callable[[str], Answer],
        usages: list[Usage],
    ) -> Gen[Answer, None, str]:
        """One model reply, streamed as partial answers; its cost (when the runtime counts it) goes to usages."""
        reply = ""
        for piece in self.generator.stream(messages, self.settings.max_new_tokens, should_stop, markers=markers):
            reply += piece
            yield partial(reply)
        usage = getattr(self.generator, "last_usage", None)
        if usage is not None:
            usages.append(usage)
        return reply

    def finish(
        self,
        question: str,
        reply: str,
        read: list[Hit],
        sources: list[Hit],
        hits: list[Hit],
        plan: SearchPlan,
        retriever: Retriever,
    ) -> Answer:
        """The final answer from the full reply: abstention, citations checked against the passages as the model
        read them and showing them whole, and, for news, what each dated report on the story says."""
        final = replace(
            finish_answer(question, reply, read, hits, Timings(), plan, self.settings.verify, shown=sources),
            reply=reply,
        )
        if self.settings.news_aware and not final.abstained:
            stored = retriever.store.vectors_of(hit.chunk_id for hit in sources)
            vectors = [stored[hit.chunk_id] for hit in sources]
            final = replace(final, reports=dated_reports(plan.question, sources, vectors, self.embedder))
        return final

    def answer(self, question: str, **options: object) -> Answer:
        """The final answer to the question (see stream for the options)."""
        final = None
        for final in self.stream(question, **options):  # type: ignore[arg-type]
            pass
        assert final is not None
        return final


_default: QA | None = None


def default_qa() -> QA:
    """The process-wide QA over the settings from the environment."""
    global _default
    if _default is None:
        _default = QA()
    return _default


def answer(question: str, stream: bool = False, **options: object) -> Answer | Iterator[Answer]:
    """Answer a question from the indexed articles; with stream=True, yield partial answers."""
    qa = default_qa()
    return qa.stream(question, **options) if stream else qa.answer(question, **options)  # type: ignore[arg-type]
