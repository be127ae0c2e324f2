"""Command line: rag build | status | add | feed | update | doctor | ask | serve | eval | bench. A thin adapter over
the library."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import Settings
from rag.errors import RagError

if TYPE_CHECKING:
    from rag.index.indexing import BuildReport


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    return Settings.from_env(
        None, seeds_dir=getattr(args, "seeds", None), index_dir=getattr(args, "index", None), **extra
    )


def cmd_build(args: argparse.Namespace) -> int:
    from rag.index.indexing import build_index

    report = build_index(_settings(args, embedding_model=args.embedding_model), full=args.full)
    print(report.summary())
    return 0


def _web_settings(args: argparse.Namespace) -> Settings:
    return _settings(args, fetch_allow_private=True if args.allow_private else None)


def _indexing(settings: Settings) -> Callable[[], BuildReport]:
    """The index update after fetching, with its progress bar and one line of summary."""
    from rag.index.indexing import build_index

    def build() -> BuildReport:
        report = build_index(settings)
        print(report.summary())
        return report

    return build


def cmd_add(args: argparse.Namespace) -> int:
    from rag.index.fetched import add_urls

    settings = _web_settings(args)
    added = add_urls(args.urls, settings, build=_indexing(settings))
    if added.build is None and added.saved:
        print("nothing new to index")
    return 1 if added.failed else 0


def cmd_feed(args: argparse.Namespace) -> int:
    from rag.index.fetched import fetch_limits
    from rag.ingest.web.feeds import add_feed, read_feeds, remove_feed

    settings = _web_settings(args)
    if args.action == "list":
        feeds = read_feeds(settings.seeds_dir)
        for feed in feeds:
            last = (
                f"last update {feed.updated}: {feed.new} new, {feed.failed} failed"
                if feed.updated
                else "not updated yet"
            )
            print(f"{feed.url}  {feed.title!r}  {len(feed.items)} items saved; {last}")
        if not feeds:
            print("no feeds followed; add one with: rag feed add URL")
        return 0
    if not args.url:
        raise RagError(f"rag feed {args.action} needs the feed's URL")
    if args.action == "add":
        feed = add_feed(settings.seeds_dir, args.url, fetch_limits(settings))
        print(f"following {feed.url} ({feed.title or 'untitled'}); rag update saves its items")
    else:
        feed = remove_feed(settings.seeds_dir, args.url)
        print(f"no longer following {feed.url}; its {len(feed.items)} saved articles stay in {settings.seeds_dir}")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    import time

    from rag.index.fetched import update_from_feeds
    from rag.ingest.web.feeds import read_feeds

    settings = _web_settings(args)
    if not read_feeds(settings.seeds_dir):
        raise RagError(f"no feeds followed in {settings.seeds_dir}; add one with: rag feed add URL")
    while True:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            rounds, _ = update_from_feeds(settings, build=_indexing(settings))
        except RagError as exc:  # e.g. another build holds the index: the next round tries again
            if args.every is None:
                raise
            print(f"{stamp} update failed: {exc}", flush=True)
        else:
            new, updated, failed = (sum(getattr(r, name) for r in rounds) for name in ("new", "updated", "failed"))
            errors = sum(bool(r.error) for r in rounds)
            print(f"{stamp} update: {new} new, {updated} updated, {failed + errors} failed", flush=True)
            if args.every is None:
                return 1 if errors and errors == len(rounds) else 0
        time.sleep(args.every)


def _duration(text: str) -> float:
    """An argparse type: a duration like 90s, 15m or 2h (at least 10 seconds)."""
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text[-1:] in units else float(text)
    except ValueError:
        seconds = 0
    if seconds < 10:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration of at least 10s (like 90s, 15m, 2h)")
    return seconds


def cmd_doctor(args: argparse.Namespace) -> int:
    from rag.answering.doctor import diagnose

    problems = diagnose(_settings(args, generator=args.model))
    for name, problem in problems.items():
        print(f"{name}: {problem or 'ok'}")
    return 1 if any(problems.values()) else 0


def cmd_status(args: argparse.Namespace) -> int:
    from rag.index.indexing import plan_update
    from rag.index.stores import local_folder, read_manifest
    from rag.ingest.documents import load_articles

    settings = _settings(args)
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        print(f"no index in {settings.index_dir} yet")
    else:
        chunks = sum(len(a["chunk_ids"]) for a in manifest["articles"].values())
        print(
            f"index {settings.index_dir}: {len(manifest['articles'])} articles, {chunks} chunks, "
            f"built {manifest.get('updated', '?')}, model {manifest['settings']['embedding_model']}, "
            f"chunks of {manifest['settings']['chunk_tokens']} tokens"
        )
    if settings.seeds_dir.is_dir():
        articles, problems = load_articles(
            settings.seeds_dir, settings.max_file_bytes, local_folder(settings.index_dir)
        )
        plan = plan_update(articles, manifest, settings.shape())
        print(f"articles {settings.seeds_dir}: {len(articles)} readable, {len(problems)} skipped")
        print("a build would do nothing" if plan.is_noop else f"a build would do: {plan.describe()}")
    else:
        print(f"articles folder {settings.seeds_dir} does not exist")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.answering.qa import QA
    from rag.model import ABSTAIN_REASONS, Ask

    qa = QA(_settings(args, generator=args.model))
    ask = Ask(args.question, args.k, args.since, args.until, tuple(args.source or ()), None, args.as_of)
    if args.json:
        print(json.dumps(qa.answer(ask).to_dict(), ensure_ascii=False, indent=1))
        return 0
    streamed, final = "", None
    for final in qa.stream(ask):
        if not final.done and final.text and sys.stdout.isatty():
            if not streamed:
                print("Draft, being checked against the sources:")
            elif not final.text.startswith(streamed):  # a declined reply is followed by a second attempt
                print("\n\nAsked again:")
                streamed = ""
            print(final.text[len(streamed) :], end="", flush=True)
            streamed = final.text
    assert final is not None
    if streamed:
        print("\n")
    if (evidence := final.evidence()) and not final.across_reports:  # across reports: the text quotes them
        print("Evidence:")
        for citation, sentence in evidence:
            details = ", ".join(p for p in (citation.source, citation.published) if p)
            print(f"  “{sentence}” [{citation.number}]" + (f" ({details})" if details else ""))
        print("Checked answer:")
    print(final.text)
    if final.abstained and final.abstain_reason:
        print(f"Why: {ABSTAIN_REASONS[final.abstain_reason]}.")
    for sentence in final.unsupported:
        print(f"Not found in the sources, so not shown as an answer: {sentence}")
    if final.standalone_question:
        print(f"\nSearched as: {final.standalone_question}")
    if final.time_frame:
        print(f"Dates: {final.time_frame['description']}")
    if final.named_reports:
        print(final.named_reports["description"])
    if final.relies_on:
        print(f"Relies on: {final.relies_on}")
    if final.reports and not final.across_reports:  # an answer across reports lists them in its text
        print("What each report says, oldest first:")
        for report in final.reports:
            print(f"  {report.describe()}")
    if final.citations:
        print("\nSources:")
        for citation in final.citations:
            details = ", ".join(p for p in (citation.source, citation.published) if p)
            print(
                f"  [{citation.number}] {citation.title}"
                + (f" ({details})" if details else "")
                + (f" {citation.url}" if citation.url else "")
            )
            for support in final.support:
                if support.citation == citation.number:
                    print(f'      supports: "{citation.passage[support.start : support.end]}"')
            for copy in citation.also_reported_by:
                print(
                    f"      also reported by {copy['source'] or copy['title']}"
                    + (f" ({copy['published']})" if copy["published"] else "")
                )
    return 0


FRONT_ENDS = "news_rag.front_ends"  # the entry point group where the chat page (package ui) registers itself


def _front_end(name: str) -> Callable[..., None]:
    """The serve function a front end registered under FRONT_ENDS (the library never imports its adapters)."""
    from importlib.metadata import entry_points

    found = entry_points(group=FRONT_ENDS, name=name)
    if not found:
        raise RagError(f"no front end {name!r} is installed; install the project with: pip install -e .")
    return next(iter(found)).load()


def cmd_serve(args: argparse.Namespace) -> int:
    serve = _front_end("chat")
    serve(_settings(args, generator=args.model), host=args.host, port=args.port, build=not args.no_build)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rag.evaluate.evaluation import run_from_cli

    return run_from_cli(args)


def cmd_bench(args: argparse.Namespace) -> int:
    from rag.evaluate.benchmark import run_from_cli

    return run_from_cli(args)


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Offline question answering over news articles.")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--seeds", type=Path, help="articles folder (default seeds/, env RAG_SEEDS_DIR)")
    common.add_argument(
        "--index",
        help="index folder (default index/, env RAG_INDEX_DIR), or Milvus: milvus:PATH.db "
        "(Milvus Lite) or http(s)://HOST:19530 (a cluster, token in RAG_MILVUS_TOKEN)",
    )

    build = sub.add_parser("build", parents=[common], help="build or update the index incrementally")
    build.add_argument("--full", action="store_true", help="rebuild everything from scratch")
    build.add_argument(
        "--embedding-model",
        help="local sentence-transformers model folder, or 'default' for the "
        "packaged all-MiniLM-L6-v2 (default: the model the index was built with)",
    )
    build.set_defaults(func=cmd_build)

    status = sub.add_parser("status", parents=[common], help="what the index holds and what a build would do")
    status.set_defaults(func=cmd_status)

    web = argparse.ArgumentParser(add_help=False)
    web.add_argument(
        "--allow-private",
        action="store_true",
        help="also fetch from loopback and private-network addresses (env RAG_FETCH_ALLOW_PRIVATE)",
    )
    add = sub.add_parser(
        "add", parents=[common, web], help="fetch articles by URL into the articles folder and index them"
    )
    add.add_argument("urls", nargs="+", metavar="URL", help="http(s) address of an article page or PDF")
    add.set_defaults(func=cmd_add)
    feed = sub.add_parser("feed", parents=[common, web], help="follow RSS/Atom feeds: add, list, remove")
    feed.add_argument("action", choices=["add", "list", "remove"])
    feed.add_argument("url", nargs="?", help="the feed's address (add, remove)")
    feed.set_defaults(func=cmd_feed)
    update = sub.add_parser("update", parents=[common, web], help="fetch the followed feeds' new items and index them")
    update.add_argument("--every", type=_duration, help="keep running, one round every DURATION (like 15m)")
    update.set_defaults(func=cmd_update)

    model = argparse.ArgumentParser(add_help=False)
    model.add_argument(
        "--model",
        help="answering model: default, fast, a .gguf file, a Hugging Face folder or "
        "openai:URL of an OpenAI-compatible server (env RAG_GENERATOR)",
    )

    doctor = sub.add_parser(
        "doctor", parents=[common, model], help="check the model files (whole sha256) and the index, naming fixes"
    )
    doctor.set_defaults(func=cmd_doctor)

    ask = sub.add_parser("ask", parents=[common, model], help="answer a question from the indexed articles")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    ask.add_argument("-k", type=int, help="passages to retrieve (default 5)")
    ask.add_argument("--since", help="only articles published on or after this date (YYYY-MM-DD)")
    ask.add_argument("--until", help="only articles published on or before this date (YYYY-MM-DD)")
    ask.add_argument("--source", action="append", help="only articles from this source (repeatable)")
    ask.add_argument(
        "--as-of",
        metavar="DATE",
        help="the day the question is asked, for 'this week', 'latest' (default: the newest article's date)",
    )
    ask.set_defaults(func=cmd_ask)

    serve = sub.add_parser("serve", parents=[common, model], help="update the index and open the chat page")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    serve.add_argument("--no-build", action="store_true", help="do not update the index before serving")
    serve.set_defaults(func=cmd_serve)

    evaluate = sub.add_parser("eval", help="measure retrieval and answers on a question set")
    evaluate.add_argument("--articles", type=Path, required=True, help="articles.jsonl of the set")
    evaluate.add_argument("--questions", type=Path, required=True, help="questions.jsonl of the set")
    evaluate.add_argument("--sample", type=_positive, help="evaluate a random sample of N questions")
    evaluate.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    evaluate.add_argument("--retrieval-only", action="store_true", help="skip answering")
    evaluate.add_argument("--out", type=Path, help="output folder (default eval-output/<set name>)")
    evaluate.add_argument("--model", help="answering model (default, fast, or a path)")
    evaluate.add_argument("--question-type", help="only questions with this question_type (e.g. temporal_query)")
    evaluate.add_argument(
        "--store",
        choices=["folder", "milvus"],
        default="folder",
        help="the store of the set's index (cached, built once): folder (FAISS + BM25 files, "
        "the default) or milvus (a Milvus Lite file; needs pip install -e '.[milvus]')",
    )
    evaluate.add_argument(
        "--no-news",
        action="store_true",
        help="turn off time words, recency, duplicate merging and diversity (to measure them)",
    )
    evaluate.set_defaults(func=cmd_eval)

    bench = sub.add_parser("bench", help="measure indexing, query and answer speed")
    bench.add_argument(
        "what",
        nargs="?",
        default="all",
        choices=["index", "query", "answer", "prompt", "runtime", "all"],
        help="all: index, query and answer; prompt (whole passages against selected sentences "
        "on an evaluation set) and runtime (llama.cpp settings) run only when named",
    )
    bench.add_argument("--articles", type=Path, help="articles.jsonl to index (default: the realtimeqa_dev set)")
    bench.add_argument(
        "--questions", type=Path, help="questions.jsonl for the prompt benchmark (default: beside --articles)"
    )
    bench.add_argument("--sample", type=int, default=100, help="questions of the prompt benchmark (default 100)")
    bench.add_argument("--seed", type=int, default=0, help="seed of the prompt benchmark's sample")
    bench.add_argument(
        "--config",
        action="append",
        type=_config,
        help="settings of one configuration of the prompt benchmark, like sentence_share=0.3 "
        '(repeat it for each; "" is the defaults; default: whole passages against the defaults)',
    )
    bench.add_argument(
        "--store",
        action="append",
        choices=["folder", "milvus"],
        help="store of the query benchmark, repeat for both side by side (default folder)",
    )
    bench.add_argument("--out", type=Path, help="JSON file for the numbers")
    bench.add_argument("--quick", action="store_true", help="small sizes, for CI")
    bench.add_argument("--model", help="answering model for the answer, prompt and runtime benchmarks")
    bench.add_argument(
        "--seeds",
        type=Path,
        help="articles folder for the answer benchmark (default: seeds/ of "
        "the repository, indexed into a temporary folder)",
    )
    bench.set_defaults(func=cmd_bench)
    return parser


def _config(text: str) -> dict[str, object]:
    """A --config value as setting overrides; the error names what was wrong."""
    from rag.evaluate.prompt_bench import parse_config

    try:
        return parse_config(text)
    except RagError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
