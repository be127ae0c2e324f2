"""Settings: one frozen dataclass. Defaults < RAG_* environment variables < explicit arguments."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import RagError
from rag.locations import is_path

_POSITIVE = (
    "chunk_tokens",
    "embed_batch_size",
    "max_file_bytes",
    "top_k",
    "candidates",
    "max_per_article",
    "best_article_chunks",
    "max_new_tokens",
    "prompt_tokens",
    "threads",
    "context_tokens",
    "max_question_chars",
    "queue_size",
    "fetch_max_bytes",
    "fetch_max_chars",
    "feed_items_per_round",
)
PROMPT_CACHES = ("instructions", "off", "on")


@dataclass(frozen=True)
class Settings:
    """Everything that shapes indexing, retrieval and answering."""

    seeds_dir: Path = Path("seeds")
    # Where the index lives: a folder (FAISS + BM25 files), or Milvus: "milvus:PATH.db" (a Milvus Lite file) or
    # "http(s)://HOST:19530" (a cluster; token in RAG_MILVUS_TOKEN). Milvus locations stay text, folders are Paths.
    index_dir: Path | str = Path("index")
    # Embedding and chunking (these shape the index; changing them forces a full rebuild).
    embedding_model: str = ""  # empty: the packaged all-MiniLM-L6-v2; a local sentence-transformers folder; or an
    # embeddings server, "openai:http://HOST:PORT/v1" (RAG_EMBEDDER names it too)
    chunk_tokens: int = 128
    chunk_overlap: int = 24
    embed_batch_size: int = 32
    # An OpenAI-compatible embeddings server (RAG_EMBEDDER=openai:URL, read as the embedding model): the model name
    # it is asked for, its key, the time one request may take (s), and how many requests are in flight at once.
    embedder_model: str = ""
    embedder_api_key: str = field(default="", repr=False)
    embedder_timeout: float = 60.0
    embedder_requests: int = 4
    max_file_bytes: int = 20_000_000
    # Retrieval.
    top_k: int = 5
    min_score: float = 0.25  # minimum cosine similarity of the best passage; below it the answer abstains
    candidates: int = 50
    dense_weight: float = 0.6  # share of the dense score in the hybrid score; BM25 has the rest
    recheck_similarity: float = 0.6  # a declined answer is asked again when the best passage is this similar
    max_per_article: int = 1  # passages of one article among the top k (news_aware)
    best_article_chunks: int = 5  # most retrieved chunks of the best article in the prompt (news_aware)
    # News awareness: time words in questions, newer articles first for "latest", one copy of near-duplicate
    # articles, diverse passages, follow-up questions made standalone. Off only to measure its effect.
    news_aware: bool = True
    # Verification: abstain before the model when the question names what no passage mentions, keep only
    # answer sentences found in the passages they cite. Off only to measure its effect.
    verify: bool = True
    answer_similarity: float = 0.36  # with verify: the best passage must be this similar for the model to answer
    # With verify: the fitted answerability gate (rag/answering/data/gate.json) has the last say over a checked
    # answer, abstaining when it finds the question unlikely to be answerable from the passages. Off by default:
    # it also withholds right answers (docs/results.md).
    gate: bool = False
    # With verify: the question asked again on the answer's evidence in a short-answer form; an answer is kept
    # only when it holds that short answer.
    second_reading: bool = True
    # With the second reading: each kept sentence is removed unless the model, asked whether the sentences of
    # its cited passages closest to it say it, answers yes (rag.answering.statement_check).
    statement_check: bool = True
    # With the second reading: a declined reply is recovered when two readings of the two best articles agree
    # and the verification keeps what they say. Off: on the fitting half it added as many wrong answers as right.
    recover_declines: bool = False
    # Answering.
    generator: str = "default"  # "default" (Qwen2.5-Coder-1.5B), "fast" (SmolLM2-135M) or a local model path
    max_new_tokens: int = 200
    prompt_tokens: int = 750  # budget for instructions + passages; prompt length dominates CPU latency
    # Share of each passage the prompt keeps: the sentences most similar to the question and those holding its
    # numbers and distinctive names (1: whole passages); a decline on cut passages is asked again on whole ones.
    sentence_share: float = 0.4
    # One system prompt for every question and attempt, so llama.cpp reuses what it already read of it. Off:
    # with it on, the second attempt kept declining (measured, docs/results.md).
    fixed_instructions: bool = False
    # What llama.cpp reuses of what it read before: "instructions" (the default) restores the state of the
    # prompt's instructions, read once, and reads the rest, so no answer depends on what was asked before; "off"
    # reads every prompt whole; "on" reuses whatever the prompt shares with the one before it (answers then
    # depend on what was asked before: 4 of 20 changed, measured).
    prompt_cache: str = "instructions"
    threads: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))
    context_tokens: int = 2048
    max_question_chars: int = 1000
    # An OpenAI-compatible answering server (generator "openai:URL"): its model name, key and timeout (s).
    openai_model: str = ""
    openai_api_key: str = field(default="", repr=False)
    openai_timeout: float = 60.0
    # Serving: requests that may wait for the model (the page's queue and the HTTP API's, each).
    queue_size: int = 64
    # The longest an HTTP API answer may hold the model (s): then it stops writing and is finished as it is.
    request_seconds: float = 300.0
    # Fetching articles by URL and from feeds (only when asked: `rag add`, `rag update`, the page's Add by URL).
    fetch_timeout: float = 20.0  # seconds to connect and between reads
    fetch_total_seconds: float = 60.0  # one fetch (its redirects and its whole body) ends after this long
    fetch_max_chars: int = 300_000  # a fetched article's text longer than this is refused
    feed_items_per_round: int = 100  # new items one feed brings in one update round; the rest wait
    feed_round_seconds: float = 600.0  # one update round over all feeds ends after this long; the rest wait
    fetch_max_bytes: int = 5_000_000  # a larger page or feed is refused
    fetch_max_redirects: int = 5
    fetch_allow_private: bool = False  # on: hosts on loopback and private networks may be fetched too
    fetch_user_agent: str = ""  # empty: "news-rag/0.1 (...)"
    allowed_hosts: str = ""  # with no API key: host names besides loopback that requests and web pages may use
    cache_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "news-rag"
    )

    def __post_init__(self) -> None:
        """Folders become Paths; a value the library cannot work with is refused, naming its RAG_* variable."""
        for name in ("seeds_dir", "index_dir", "cache_dir"):
            if getattr(self, name) == "":
                raise RagError(f"RAG_{name.upper()} is empty; set it to a folder or unset it")
            if name != "index_dir" or is_path(self.index_dir):
                object.__setattr__(self, name, Path(getattr(self, name)))
        if isinstance(self.index_dir, Path) and self.seeds_dir.resolve() == self.index_dir.resolve():
            raise RagError(
                f"the articles folder and the index folder are the same ({self.seeds_dir}); give the "
                "index a folder of its own with --index DIR or RAG_INDEX_DIR"
            )
        for name in _POSITIVE:
            if getattr(self, name) < 1:
                raise RagError(f"RAG_{name.upper()}={getattr(self, name)} must be a whole number of 1 or more")
        if self.chunk_overlap < 0:
            raise RagError(f"RAG_CHUNK_OVERLAP={self.chunk_overlap} must be 0 or more")
        if self.chunk_overlap >= self.chunk_tokens:
            raise RagError(
                f"RAG_CHUNK_OVERLAP={self.chunk_overlap} must be smaller than RAG_CHUNK_TOKENS={self.chunk_tokens}"
            )
        if not 0 <= self.dense_weight <= 1:
            raise RagError(f"RAG_DENSE_WEIGHT={self.dense_weight} must be between 0 and 1")
        if not -1 <= self.answer_similarity <= 1:
            raise RagError(f"RAG_ANSWER_SIMILARITY={self.answer_similarity} must be between -1 and 1")
        if not 0 < self.sentence_share <= 1:
            raise RagError(
                f"RAG_SENTENCE_SHARE={self.sentence_share} must be above 0 and at most 1 (1: whole passages)"
            )
        if self.prompt_cache not in PROMPT_CACHES:
            raise RagError(f"RAG_PROMPT_CACHE={self.prompt_cache!r}: use one of {', '.join(PROMPT_CACHES)}")
        if not self.request_seconds > 0:
            raise RagError(f"RAG_REQUEST_SECONDS={self.request_seconds} must be a number of seconds above 0")
        if not self.fetch_timeout > 0:
            raise RagError(f"RAG_FETCH_TIMEOUT={self.fetch_timeout} must be a number of seconds above 0")
        if not self.fetch_total_seconds > 0:
            raise RagError(f"RAG_FETCH_TOTAL_SECONDS={self.fetch_total_seconds} must be a number of seconds above 0")
        if not self.feed_round_seconds > 0:
            raise RagError(f"RAG_FEED_ROUND_SECONDS={self.feed_round_seconds} must be a number of seconds above 0")
        if self.fetch_max_redirects < 0:
            raise RagError(f"RAG_FETCH_MAX_REDIRECTS={self.fetch_max_redirects} must be 0 or more")
        if not self.embedder_timeout > 0:
            raise RagError(f"RAG_EMBEDDER_TIMEOUT={self.embedder_timeout} must be a number of seconds above 0")
        if self.embedder_requests < 1:
            raise RagError(f"RAG_EMBEDDER_REQUESTS={self.embedder_requests} must be 1 or more")
        if not self.openai_timeout > 0:
            raise RagError(f"RAG_OPENAI_TIMEOUT={self.openai_timeout} must be a number of seconds above 0")
        if not math.isfinite(self.min_score):
            raise RagError(f"RAG_MIN_SCORE={self.min_score} must be a finite number")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from RAG_<FIELD> environment variables, then explicit overrides (None is ignored)."""
        env = dict(os.environ if env is None else env)
        if env.get("RAG_EMBEDDER") and not env.get("RAG_EMBEDDING_MODEL"):  # where the vectors come from
            env["RAG_EMBEDDING_MODEL"] = env["RAG_EMBEDDER"]
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = parse_setting(f.name, raw, str(f.type))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def shape(self) -> dict[str, object]:
        """The settings that decide the content of the index."""
        return {
            "embedding_model": self.embedding_model or "packaged:all-MiniLM-L6-v2",
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap": self.chunk_overlap,
        }


def parse_setting(name: str, raw: str, type_name: str) -> object:
    """A setting's text (as in RAG_<NAME>) as a value of its type; RagError naming the variable when it is not."""
    if type_name == "bool":
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise RagError(f"RAG_{name.upper()}={raw!r} is not a yes/no value; use 1 or 0")
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
    except ValueError:
        raise RagError(f"RAG_{name.upper()}={raw!r} is not a number; fix or unset it") from None
    return raw
