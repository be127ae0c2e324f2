"""Question answering: retrieve -> prompt -> generate -> cite. `answer()` and `QA` are the Python API."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Generator as Gen, Iterator

from rag.citations import attach_missing, parse_citations
from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import QuestionError, RagError
from rag.generation import Generator, load_generator
from rag.indexing import BuildReport, build_index, make_embedder
from rag.prompting import ABSTAIN, RECHECK_SYSTEM, SYSTEM, build_messages, is_grounded, select_sources
from rag.retrieval import Filters, Hit, Retriever
from rag.store import IndexStore, read_manifest

_ABSTAIN_PATTERNS = re.compile(r"indexed articles do not say|passages do not (?:contain|say|mention|provide)",
                               re.I)


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


@dataclass(frozen=True)
class Timings:
    retrieve_s: float = 0.0
    first_token_s: float | None = None
    total_s: float = 0.0


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

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def validate_question(question: str, max_chars: int) -> str:
    """The question without control characters; QuestionError when empty or too long."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    cleaned = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question).strip()
    cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
    if not cleaned:
        raise QuestionError("the question is empty; type a question about the articles")
    if len(cleaned) > max_chars:
        raise QuestionError(f"the question is {len(cleaned):,} characters; the limit is {max_chars:,} "
                            "(shorten it, or raise RAG_MAX_QUESTION_CHARS)")
    return cleaned


def finish_answer(question: str, reply: str, sources: list[Hit], hits: list[Hit], timings: Timings,
                  filters: dict[str, object]) -> Answer:
    """Turn the model's full reply into an Answer: abstention, citations, flags (pure)."""
    if not reply.strip() or _ABSTAIN_PATTERNS.search(reply):
        return Answer(question, ABSTAIN, [], hits, True, True, 0, [], timings, filters)
    check = parse_citations(reply, len(sources))
    invalid = check.invalid
    if check.uncited_sentences:
        check = parse_citations(attach_missing(check.text, [s.text for s in sources]), len(sources))
    citations = [Citation(n, h.title, h.source, h.published, h.url, h.text, h.score, h.article_id, h.chunk_id)
                 for n in check.cited for h in [sources[n - 1]]]
    return Answer(question, check.text, citations, hits, False, True, invalid, check.uncited_sentences,
                  timings, filters)


class QA:
    """Question answering over one index; models load on first use and stay warm."""

    def __init__(self, settings: Settings | None = None, generator: Generator | None = None,
                 embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self._generator = generator
        self._embedder = embedder
        self._retriever: Retriever | None = None
        self._generation: int | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            manifest = read_manifest(self.settings.index_dir)
            model = self.settings.embedding_model
            if manifest is not None:  # the index decides the query embedder
                named = manifest["settings"]["embedding_model"]
                model = "" if named.startswith("packaged:") else named
            self._embedder = make_embedder(self.settings, model)
        return self._embedder

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = load_generator(self.settings)
        return self._generator

    def retriever(self) -> Retriever:
        """The retriever over the newest complete index generation (reloaded after a rebuild)."""
        with self._lock:
            manifest = read_manifest(self.settings.index_dir)
            generation = None if manifest is None else manifest.get("generation")
            if self._retriever is None or generation != self._generation:
                store = IndexStore.load(self.settings.index_dir)
                self._retriever = Retriever(store, self.embedder, self.settings.candidates)
                self._generation = store.manifest.get("generation")
            return self._retriever

    def build(self, full: bool = False, log: Callable[[str], None] = print, progress: bool = True) -> BuildReport:
        """Update the index from the articles folder, sharing the query embedder when the model is the same."""
        try:
            manifest = read_manifest(self.settings.index_dir)
        except RagError:
            manifest = None  # the build reports or repairs it
        wanted = self.settings.shape()["embedding_model"]
        same_model = manifest is None or manifest["settings"]["embedding_model"] == wanted
        embedder = self.embedder if same_model else None
        return build_index(self.settings, full=full, embedder=embedder, log=log, progress=progress)

    def retrieve(self, question: str, k: int | None = None, filters: Filters = Filters()) -> list[Hit]:
        question = validate_question(question, self.settings.max_question_chars)
        return self.retriever().search(question, k or self.settings.top_k, filters=filters,
                                       min_similarity=self.settings.min_score)

    def stream(self, question: str, k: int | None = None, since: str | None = None, until: str | None = None,
               sources: tuple[str, ...] = (), should_stop: Callable[[], bool] = lambda: False) -> Iterator[Answer]:
        """Yield partial answers: first the retrieved sources (empty text), then growing text, then the final."""
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        filters = Filters(since, until, tuple(sources))
        hits = self.retrieve(question, k, filters)
        applied = {key: value for key, value in asdict(filters).items() if value}
        retrieve_s = time.perf_counter() - started
        if not hits:
            yield Answer(question, ABSTAIN, [], [], True, True,
                         timings=Timings(retrieve_s, None, time.perf_counter() - started), filters=applied)
            return
        yield Answer(question, "", hits=hits, done=False, timings=Timings(retrieve_s), filters=applied)
        chosen = select_sources(hits, self.settings.prompt_tokens)
        first: list[float] = []
        reply = yield from self._generate(question, chosen, hits, applied, retrieve_s, started, first, should_stop)
        if (_ABSTAIN_PATTERNS.search(reply) and hits[0].similarity >= self.settings.recheck_similarity
                and not should_stop()):
            # Small models often decline when the answer is worded differently from the question; when
            # retrieval is confident, ask again without the decline option and keep only a grounded answer.
            retry = yield from self._generate(question, chosen, hits, applied, retrieve_s, started, first,
                                              should_stop, RECHECK_SYSTEM)
            if is_grounded(retry, question, chosen):
                reply = retry
        timings = Timings(retrieve_s, first[0] if first else None, time.perf_counter() - started)
        yield finish_answer(question, reply, chosen, hits, timings, applied)

    def _generate(self, question: str, sources: list[Hit], hits: list[Hit], applied: dict[str, object],
                  retrieve_s: float, started: float, first: list[float], should_stop: Callable[[], bool],
                  system: str = SYSTEM) -> Gen[Answer, None, str]:
        """Stream one model reply as partial answers; return the full reply."""
        reply = ""
        for piece in self.generator.stream(build_messages(question, sources, system),
                                           self.settings.max_new_tokens, should_stop):
            if not first:
                first.append(time.perf_counter() - started)
            reply += piece
            yield Answer(question, reply, hits=hits, done=False, timings=Timings(retrieve_s, first[0]),
                         filters=applied)
        return reply

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
