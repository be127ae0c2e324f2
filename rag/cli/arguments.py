"""The command line's arguments: one function per command (or group of commands sharing options), and the
argparse types that check a value before anything runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import RagError

if TYPE_CHECKING:
    from typing import TypeAlias

    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def parser() -> argparse.ArgumentParser:
    """`rag` and its commands; the command's name is in `command`."""
    top = argparse.ArgumentParser(prog="rag", description="Offline question answering over news articles.")
    sub = top.add_subparsers(dest="command", required=True)
    common = _common()
    _index_commands(sub, common)
    _web_commands(sub, common)
    _answer_commands(sub, common)
    _eval_command(sub)
    _bench_command(sub)
    return top


def _common() -> argparse.ArgumentParser:
    """--seeds and --index, for the commands that read the user's articles and index."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--seeds", type=Path, help="articles folder (default seeds/, env RAG_SEEDS_DIR)")
    common.add_argument(
        "--index",
        help="index folder (default index/, env RAG_INDEX_DIR), or Milvus: milvus:PATH.db "
        "(Milvus Lite) or http(s)://HOST:19530 (a cluster, token in RAG_MILVUS_TOKEN)",
    )
    return common


def _index_commands(sub: Commands, common: argparse.ArgumentParser) -> None:
    """build and status."""
    build = sub.add_parser("build", parents=[common], help="build or update the index incrementally")
    build.add_argument("--full", action="store_true", help="rebuild everything from scratch")
    build.add_argument(
        "--embedding-model",
        help="local sentence-transformers model folder, or 'default' for the "
        "packaged all-MiniLM-L6-v2 (default: the model the index was built with)",
    )
    sub.add_parser("status", parents=[common], help="what the index holds and what a build would do")


def _web_commands(sub: Commands, common: argparse.ArgumentParser) -> None:
    """add, feed and update: articles from the web."""
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
    feed = sub.add_parser("feed", parents=[common, web], help="follow RSS/Atom feeds: add, list, remove")
    feed.add_argument("action", choices=["add", "list", "remove"])
    feed.add_argument("url", nargs="?", help="the feed's address (add, remove)")
    update = sub.add_parser("update", parents=[common, web], help="fetch the followed feeds' new items and index them")
    update.add_argument("--every", type=_duration, help="keep running, one round every DURATION (like 15m)")
    update.add_argument("--brief", action="store_true", help="after a round that saved articles, print the new stories")


def _answer_commands(sub: Commands, common: argparse.ArgumentParser) -> None:
    """doctor, ask and serve: the commands that use the answering model."""
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument(
        "--model",
        help="answering model: default, fast, a .gguf file, a Hugging Face folder or "
        "openai:URL of an OpenAI-compatible server (env RAG_GENERATOR)",
    )
    sub.add_parser(
        "doctor", parents=[common, model], help="check the model files (whole sha256) and the index, naming fixes"
    )
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
    brief = sub.add_parser("brief", parents=[common, model], help="what's new: the stories of the latest days, cited")
    brief.add_argument(
        "--summary", action="store_true", help="one sentence a story by the answering model, shown when verified (slow)"
    )
    brief.add_argument("--since", help="a number of days before the newest article (1d, 7d) or a date (YYYY-MM-DD)")
    brief.add_argument("--until", help="the last day (YYYY-MM-DD; default: the newest article's)")
    brief.add_argument("--about", help="only stories whose articles hold one of these words")
    brief.add_argument("--json", action="store_true", help="print the whole briefing as JSON")
    serve = sub.add_parser("serve", parents=[common, model], help="update the index and open the chat page")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    serve.add_argument("--no-build", action="store_true", help="do not update the index before serving")


def _eval_command(sub: Commands) -> None:
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


def _bench_command(sub: Commands) -> None:
    bench = sub.add_parser("bench", help="measure indexing, query and answer speed")
    bench.add_argument(
        "what",
        nargs="?",
        default="all",
        choices=["index", "query", "answer", "prompt", "runtime", "brief", "all"],
        help="all: index, query and answer; prompt (whole passages against selected sentences "
        "on an evaluation set), runtime (llama.cpp settings) and brief (a briefing over a day of articles) run "
        "only when named",
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
    bench.add_argument(
        "--index-articles",
        type=int,
        help="articles in the briefing benchmark's index (default 10,000; 1,000 of one day)",
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


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return number


def _config(text: str) -> dict[str, object]:
    """A --config value as setting overrides; the error names what was wrong."""
    from rag.evaluate.prompt_bench import parse_config

    try:
        return parse_config(text)
    except RagError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
