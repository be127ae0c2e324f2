"""`rag eval`: retrieval (dense, lexical, hybrid) and answer quality on a question set, resumable.

The set's articles are indexed once into settings.cache_dir/eval-index/<hash>/ (hash of the articles file and the
index settings); the user's index is never touched. Per-question records are appended to <out>/records.jsonl as
they finish, so an interrupted run continues where it stopped. Scoring follows the evaluation sets'
conventions (see rag.evaluate.scoring).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import random
import shlex
import shutil
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag import durable
from rag.config import Settings
from rag.durable import file_sha256
from rag.errors import QuestionError, RagError
from rag.evaluate import scoring
from rag.locations import MILVUS_LITE
from rag.model import Answer, Ask
from rag.search.retrieval import Mode

if TYPE_CHECKING:
    from rag.answering.qa import QA
    from rag.index.embedding import Embedder

MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
RETRIEVAL_K = 10
ARTICLES_FILE = "articles.jsonl"
ID_PREFIX = ARTICLES_FILE + "#"
EXTRAS = ("question_date", "question_type", "removed_answers")  # kept in the records for later breakdowns


# --- helpers shared with rag.evaluate.benchmark ---------------------------------------------------------------------


def machine_info() -> dict[str, object]:
    """CPU cores, RAM, CPU model, OS and Python of this machine."""
    info: dict[str, object] = {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        info["cores_usable"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        info["ram_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def command_line(args: argparse.Namespace) -> str:
    """The command that started this run, with the RAG_* environment variables in effect."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(os.environ.items()) if k.startswith("RAG_"))
    launcher = Path(sys.argv[0]).name if sys.argv else ""
    if launcher in ("__main__.py", "rag") and len(sys.argv) > 1:
        command = "python -m rag " + shlex.join(sys.argv[1:])
    else:  # called from Python: rebuild it from the parsed options
        parts = ["python", "-m", "rag", args.command] if getattr(args, "command", None) else ["python", "-m", "rag"]
        for key, value in sorted(vars(args).items()):
            if key in ("command", "func") or value in (None, False):
                continue
            if key == "what":
                parts.insert(4, str(value))
                continue
            flag = "--" + key.replace("_", "-")
            parts += [flag] if value is True else [flag, str(value)]
        command = shlex.join(parts)
    return f"{env} {command}".strip()


def settings_dict(settings: Settings) -> dict[str, object]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(settings).items()}


def write_json(path: Path, data: object) -> None:
    """Write JSON atomically into path's folder, made if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    durable.write_json(path, data)


# Settings that never change an answer: where files are, the API key, queue and batch sizes.
NOT_ANSWER_SHAPING = frozenset(
    {"seeds_dir", "index_dir", "cache_dir", "openai_api_key", "queue_size", "embed_batch_size", "max_file_bytes"}
)
PIPELINE = Path(__file__).resolve().parents[1]  # the rag package


def pipeline_version(package: Path = PIPELINE) -> str:
    """A hash of the pipeline's code (every .py file of the package but the evaluation's own), so records of
    answers written by other code are never taken for this code's."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] != "evaluate":
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def answer_shaping(settings: Settings, index_key: str) -> dict[str, object]:
    """What an answer record is keyed by: the index, the pipeline's code and every setting that can change an
    answer (all but NOT_ANSWER_SHAPING), so a changed default or changed code never reuses a stale answer."""
    shaping = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    return {"index": index_key, "code": pipeline_version(), **{k: v for k, v in shaping.items()
                                                               if k not in NOT_ANSWER_SHAPING}}  # fmt: skip


def fingerprint(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


class LazyEmbedder:
    """The index's embedder, loaded on first use (a fully resumed run or a no-op build never loads it)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._inner: Embedder | None = None

    @property
    def inner(self):
        if self._inner is None:
            from rag.index.indexing import make_embedder

            self._inner = make_embedder(self._settings)
        return self._inner

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    def count_tokens(self, texts):
        return self.inner.count_tokens(texts)

    def encode(self, texts, progress: bool = False):
        return self.inner.encode(texts, progress=progress)


# --- the question set --------------------------------------------------------------------------------------


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


def eval_index_settings(articles: Path, base: Settings, store: str = "folder") -> tuple[Settings, str]:
    """Settings whose seeds_dir holds a copy of the articles file and whose index (a folder, or a Milvus Lite
    file with store "milvus") is keyed by its hash."""
    keyed: dict[str, object] = {"articles_sha256": file_sha256(articles), "shape": base.shape()}
    if store != "folder":  # records of one store are never taken for another's
        keyed["store"] = store
    key = fingerprint(keyed)
    root = base.cache_dir / "eval-index" / key
    seeds = root / "articles"
    target = seeds / ARTICLES_FILE
    if not target.exists():  # a copy (not a link): the folder's content must match its hash forever
        seeds.mkdir(parents=True, exist_ok=True)
        tmp = seeds / f".{ARTICLES_FILE}.tmp-{os.getpid()}"  # hidden: load_articles skips dot files
        shutil.copyfile(articles, tmp)
        os.replace(tmp, target)
    size = target.stat().st_size
    index = root / "index" if store == "folder" else f"{MILVUS_LITE}{root / 'milvus' / 'index.db'}"
    settings = dataclasses.replace(
        base, seeds_dir=seeds, index_dir=index, max_file_bytes=max(base.max_file_bytes, size + 1)
    )
    return settings, key


def record_ask(record: Mapping[str, Any]) -> Ask:
    """What a question record asks: its question on its date (question_date, when the set has one)."""
    return Ask(record["question"], reference_date=record.get("question_date"))


def set_qa(articles: Path) -> QA:
    """A QA over a question set's articles, their cached index built or brought up to date first."""
    from rag.answering.qa import QA
    from rag.index.indexing import build_index

    settings, _ = eval_index_settings(articles, Settings.from_env())
    embedder = LazyEmbedder(settings)
    build_index(settings, embedder=embedder, log=lambda _: None, progress=True)
    return QA(settings, embedder=embedder)


def article_id(indexed_id: str) -> str:
    """The set's article id of an indexed article ("articles.jsonl#abc" -> "abc")."""
    return indexed_id.removeprefix(ID_PREFIX)


# --- records -----------------------------------------------------------------------------------------------


class Records:
    """Per-question records in <out>/records.jsonl, appended as they finish; the key decides what is done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, dict] = {}
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:  # a line cut short by an interruption
                        continue
                    self.done[record["key"]] = record
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("a", encoding="utf-8")

    @staticmethod
    def key(kind: str, question_id: str, config: str, mode: str = "") -> str:
        return f"{kind}:{mode}:{config}:{question_id}"

    def add(self, record: dict) -> None:
        self.done[record["key"]] = record
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def retrieval_record(
    question: dict, mode: str, config: str, hits: Sequence, seconds: float, time_frame: dict | None = None
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


# --- the run -----------------------------------------------------------------------------------------------


def run_from_cli(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from rag.answering.qa import QA
    from rag.index.indexing import build_index

    started = time.perf_counter()
    for path in (args.articles, args.questions):
        if not path.is_file():
            raise RagError(f"{path} does not exist; pass the set's articles.jsonl and questions.jsonl")
    set_name = args.questions.resolve().parent.name
    out: Path = args.out or Path("eval-output") / set_name
    questions = load_questions(args.questions)
    if getattr(args, "question_type", None):
        questions = [q for q in questions if q.get("question_type") == args.question_type]
        if not questions:
            raise RagError(f"{args.questions} has no questions of type {args.question_type!r}")
    questions = sample_questions(questions, args.sample, args.seed)
    base = Settings.from_env(
        generator=getattr(args, "model", None), news_aware=False if getattr(args, "no_news", False) else None
    )
    settings, index_key = eval_index_settings(args.articles, base, getattr(args, "store", "folder"))
    print(f"{len(questions)} questions from {args.questions}; index of {args.articles} in {settings.index_dir}")

    embedder = LazyEmbedder(settings)
    build = build_index(settings, embedder=embedder, log=print, progress=True)
    print(f"index: {build.summary()}")

    qa = QA(settings, embedder=embedder)
    retriever = qa.retriever()
    retrieval_config = fingerprint(
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
    answer_settings = answer_shaping(settings, index_key)
    answer_config = fingerprint(answer_settings)

    records = Records(out / "records.jsonl")
    wanted = [Records.key("retrieval", q["id"], retrieval_config, m) for q in questions for m in MODES]
    if not args.retrieval_only:
        wanted += [Records.key("answer", q["id"], answer_config) for q in questions]
    already = sum(1 for key in wanted if key in records.done)
    if already:
        print(f"resuming: {already} of {len(wanted)} records already in {records.path}, not recomputed")

    loading: dict[str, float] = {}
    try:
        todo = [
            q
            for q in questions
            if any(Records.key("retrieval", q["id"], retrieval_config, m) not in records.done for m in MODES)
        ]
        if todo:  # load the embedder outside the timed searches
            t0 = time.perf_counter()
            embedder.encode(["warm-up question"])
            loading["embedder_s"] = round(time.perf_counter() - t0, 2)
        for question in tqdm(todo, desc="retrieval", unit="q", disable=not todo):
            for mode in MODES:
                key = Records.key("retrieval", question["id"], retrieval_config, mode)
                if key in records.done:
                    continue
                t0 = time.perf_counter()
                plan = qa.plan(record_ask(question))
                hits, plan = qa.search(plan, k=RETRIEVAL_K, mode=mode, min_similarity=-1.0)
                records.add(
                    retrieval_record(
                        question,
                        mode,
                        retrieval_config,
                        hits,
                        time.perf_counter() - t0,
                        plan.frame.to_dict() if plan.frame and plan.frame.applies else None,
                    )
                )
        if not args.retrieval_only:
            todo = [q for q in questions if Records.key("answer", q["id"], answer_config) not in records.done]
            if todo:  # load the answering model outside the timed answers
                t0 = time.perf_counter()
                _ = qa.generator
                loading["answer_model_s"] = round(time.perf_counter() - t0, 2)
            for question in tqdm(todo, desc="answers", unit="q", disable=not todo):
                try:
                    answer = qa.answer(record_ask(question))
                    records.add(answer_record(question, answer_config, answer))
                except QuestionError as exc:
                    records.add(answer_record(question, answer_config, None, str(exc)))
    finally:
        records.close()

    current = [rescore(records.done[key]) for key in wanted]
    summary = scoring.summarize(current)
    manifest = retriever.store.manifest
    result = {
        "command": command_line(args),
        "cwd": os.getcwd(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "set": set_name,
        "articles_file": str(args.articles.resolve()),
        "questions_file": str(args.questions.resolve()),
        "sample": args.sample,
        "seed": args.seed,
        "questions": len(questions),
        "machine": machine_info(),
        "settings": settings_dict(settings),
        "index": {
            "folder": str(settings.index_dir),
            "key": index_key,
            "articles": len(manifest["articles"]),
            "chunks": retriever.store.count(),
            "settings": manifest["settings"],
        },
        "retrieval_config": {
            "key": retrieval_config,
            "k": RETRIEVAL_K,
            "candidates": settings.candidates,
            "min_similarity": -1.0,
            "modes": list(MODES),
        },
        "answer_config": None if args.retrieval_only else {"key": answer_config, **answer_settings},
        "seconds": round(time.perf_counter() - started, 1),
        "model_load_s": loading,
        "summary": summary,
        "records": current,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "results.json", result)
    plots = make_plots(out, summary, current)
    tables = summary_tables(summary)
    (out / "report.md").write_text(report_markdown(result, tables, plots), encoding="utf-8")
    print()
    print(tables)
    print(f"\nwrote {out / 'results.json'}, {out / 'report.md'}" + "".join(f", {out / p}" for p in plots))
    return 0


# --- output ------------------------------------------------------------------------------------------------


def summary_tables(summary: Mapping) -> str:
    """Markdown tables of the summary (also printed to stdout)."""
    rows = []
    for mode, s in summary["retrieval"].items():
        latency = s["latency_s"]
        rows.append(
            [
                mode,
                s["questions"],
                s["recall@1"],
                s["recall@5"],
                s["recall@10"],
                s["mrr@10"],
                s["coverage@10"],
                _ms(latency["median"]),
                _ms(latency["p95"]),
            ]
        )
    text = "Retrieval (top-10 passages; recall@k = a gold article among the top-k passages' articles)\n\n"
    text += markdown_table(
        [
            "retriever",
            "questions",
            "recall@1",
            "recall@5",
            "recall@10",
            "MRR@10",
            "gold coverage@10",
            "median ms",
            "p95 ms",
        ],
        rows,
    )
    answers = summary.get("answers")
    if answers:
        text += "\n\nAnswers (EM / F1 / contains over answerable questions)\n\n"
        text += markdown_table(
            [
                "questions",
                "EM",
                "F1",
                "contains",
                "abstain P",
                "abstain R",
                "false abstain",
                "citation P",
                "citation holds answer",
                "cited sentences",
                "invalid cites",
                "retrieve s (med)",
                "first token s (med)",
                "total s (med)",
                "total s (p95)",
            ],
            [
                [
                    answers["questions"],
                    answers["em"],
                    answers["f1"],
                    answers["contains"],
                    answers["abstention_precision"],
                    answers["abstention_recall"],
                    answers["false_abstention_rate"],
                    answers["citation_precision"],
                    answers["answer_citation_precision"],
                    answers["cited_sentence_share"],
                    answers["invalid_citations"],
                    answers["retrieve_s"]["median"],
                    answers["first_token_s"]["median"],
                    answers["total_s"]["median"],
                    answers["total_s"]["p95"],
                ]
            ],
        )
        text += "\n\nVerification\n\n" + markdown_table(
            [
                "unsupported claims",
                "sentences removed",
                "answers outside the time range",
                "answers naming a removed answer",
                "abstention reasons",
            ],
            [
                [
                    answers["unsupported_claims"],
                    answers["removed_sentences"],
                    answers["out_of_range_answers"],
                    answers["removed_answer_named"],
                    ", ".join(f"{reason} {count}" for reason, count in sorted(answers["abstention_reasons"].items()))
                    or "none",
                ]
            ],
        )
        if answers["errors"]:
            text += f"\n\n{answers['errors']} questions were rejected (see records with an 'error')."
    return text


def _ms(seconds: float | None) -> str | None:
    return None if seconds is None else f"{seconds * 1000:.1f}"


def make_plots(out: Path, summary: Mapping, records: Sequence[Mapping]) -> list[str]:
    """recall_at_k.png (k = 1..10 per retriever) and, when answers ran, latency.png; returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    if summary["retrieval"]:
        fig, ax = plt.subplots(figsize=(6, 4))
        for mode, s in summary["retrieval"].items():
            ks = [int(k) for k in s["recall_curve"]]
            values = [v if v is not None else float("nan") for v in s["recall_curve"].values()]
            ax.plot(ks, values, marker="o", label=f"{mode} (MRR@10 {fmt(s['mrr@10'])})")
        ax.set_xlabel("k (retrieved passages)")
        ax.set_ylabel("recall@k")
        ax.set_xticks(range(1, scoring.CURVE_KS[-1] + 1))
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
        ax.set_title("Gold article among the top-k passages")
        fig.tight_layout()
        fig.savefig(out / "recall_at_k.png", dpi=100)
        plt.close(fig)
        made.append("recall_at_k.png")
    answers = [r for r in records if r.get("kind") == "answer" and r.get("timings")]
    if answers:
        fig, ax = plt.subplots(figsize=(6, 4))
        total = [r["timings"]["total_s"] for r in answers]
        first = [r["timings"]["first_token_s"] for r in answers if r["timings"].get("first_token_s") is not None]
        import numpy as np

        bins = np.histogram_bin_edges(total + first, bins=min(30, max(5, len(total) // 3)))
        ax.hist(total, bins=bins.tolist(), alpha=0.6, label="total")
        if first:
            ax.hist(first, bins=bins.tolist(), alpha=0.6, label="first token")
        ax.set_xlabel("seconds")
        ax.set_ylabel("questions")
        ax.legend()
        ax.set_title("Answer latency")
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=100)
        plt.close(fig)
        made.append("latency.png")
    return made


def report_markdown(result: Mapping, tables: str, plots: Sequence[str]) -> str:
    machine = result["machine"]
    index = result["index"]
    lines = [
        f"# Evaluation: {result['set']}",
        "",
        "```",
        f"cd {shlex.quote(result['cwd'])} && {result['command']}",
        "```",
        "",
        f"- date: {result['date']}, wall time {result['seconds']} s",
        f"- machine: {machine.get('cores')} cores, {machine.get('ram_gb', '?')} GB RAM, {machine.get('cpu', '?')}",
        f"- questions: {result['questions']}"
        + (f" (sample of {result['sample']}, seed {result['seed']})" if result["sample"] else ""),
        f"- index: {index['articles']} articles, {index['chunks']} chunks, {index['settings']}, in {index['folder']}",
        f"- retrieval: top {result['retrieval_config']['k']} passages, {result['retrieval_config']['candidates']} "
        "candidates per retriever, no similarity threshold",
    ]
    if result["answer_config"]:
        config = result["answer_config"]
        lines.append(
            f"- answers: model {config['generator']}, top {config['top_k']} passages, abstain below "
            f"similarity {config['min_score']}, prompt budget {config['prompt_tokens']} tokens, "
            f"{config.get('sentence_share', 1.0):g} of each passage's sentences"
        )
    lines += ["", tables, ""]
    lines += [f"![{p.removesuffix('.png')}]({p})" for p in plots]
    lines += [
        "",
        "## How the numbers are computed",
        "",
        "- recall@k: share of questions (with gold articles) where a gold article is the article of one of the "
        "top-k retrieved passages; MRR@10: 1/rank of the first gold article among the articles of the top-10 "
        "passages, articles ranked by first occurrence; gold coverage@10: share of a question's gold articles "
        "found in the top 10.",
        "- EM, token F1 (best accepted answer) and contains (a normalised accepted answer occurs as whole words in "
        "the normalised answer) over answerable questions, after removing the answer's [n] markers; an abstention "
        "scores 0. Normalisation: lowercase, no punctuation, no a/an/the, single spaces.",
        "- Abstention: abstaining is right exactly on unanswerable questions; precision = right abstentions / "
        "abstentions, recall = right abstentions / unanswerable questions; false abstain = abstentions on "
        "answerable questions.",
        "- Citation precision: cited passages from a gold article / all citations, over answerable questions; "
        "citation holds answer: cited passages that contain an accepted answer / all citations, over answerable "
        "questions not answered yes or no (another article reporting the same fact counts); "
        "cited sentences: share of answer sentences with a [n] marker (answers that did not abstain).",
        "- Unsupported claims: share of shown sentences stating a name, number or quoted phrase that their cited "
        "passages (with title, source, date) do not hold; sentences removed: those the verification took out; "
        "answers outside the time range: answers whose every cited article lies outside the question's dates.",
        "",
    ]
    return "\n".join(lines)
