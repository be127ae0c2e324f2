"""Command line: rag build | status | ask | serve | eval | bench. A thin adapter over the library."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from rag.config import Settings
from rag.errors import RagError


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    return Settings.from_env(seeds_dir=getattr(args, "seeds", None), index_dir=getattr(args, "index", None),
                             **extra)


def cmd_build(args: argparse.Namespace) -> int:
    from rag.indexing import build_index

    report = build_index(_settings(args, embedding_model=args.embedding_model), full=args.full)
    print(report.summary())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from rag.documents import load_articles
    from rag.indexing import plan_update
    from rag.store import read_manifest

    settings = _settings(args)
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        print(f"no index in {settings.index_dir} yet")
    else:
        chunks = sum(len(a["chunk_ids"]) for a in manifest["articles"].values())
        print(f"index {settings.index_dir}: {len(manifest['articles'])} articles, {chunks} chunks, "
              f"built {manifest.get('updated', '?')}, model {manifest['settings']['embedding_model']}, "
              f"chunks of {manifest['settings']['chunk_tokens']} tokens")
    if settings.seeds_dir.is_dir():
        articles, problems = load_articles(settings.seeds_dir, settings.max_file_bytes)
        plan = plan_update(articles, manifest, settings.shape())
        print(f"articles {settings.seeds_dir}: {len(articles)} readable, {len(problems)} skipped")
        print("a build would do nothing" if plan.is_noop else f"a build would do: {plan.describe()}")
    else:
        print(f"articles folder {settings.seeds_dir} does not exist")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Offline question answering over news articles.")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--seeds", type=Path, help="articles folder (default seeds/, env RAG_SEEDS_DIR)")
    common.add_argument("--index", type=Path, help="index folder (default index/, env RAG_INDEX_DIR)")

    build = sub.add_parser("build", parents=[common], help="build or update the index incrementally")
    build.add_argument("--full", action="store_true", help="rebuild everything from scratch")
    build.add_argument("--embedding-model", help="local sentence-transformers model folder")
    build.set_defaults(func=cmd_build)

    status = sub.add_parser("status", parents=[common], help="what the index holds and what a build would do")
    status.set_defaults(func=cmd_status)
    return parser


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
