"""Command line: rag build | status | add | feed | update | doctor | ask | serve | eval | bench. A thin adapter over
the library: the arguments are read as rag.cli.arguments declares them, and each command's function here calls
the library and prints what it returns."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from rag.cli.arguments import parser
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
            if args.brief and (new or updated):
                _print_new_stories(settings)
            if args.every is None:
                return 1 if errors and errors == len(rounds) else 0
        time.sleep(args.every)


def _print_new_stories(settings: Settings) -> None:
    """The briefing's stories that are new or changed since the last one (rag update --brief)."""
    from dataclasses import replace

    from rag.briefing.brief import brief, briefing_lines

    briefing = brief(settings)
    changed = [s for s in briefing.stories if s.changes.new_story or s.changes.new_outlets or s.changes.new_figures]
    if briefing.previous is not None and changed:
        print("\n".join(briefing_lines(replace(briefing, stories=tuple(changed)))), flush=True)


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


def cmd_brief(args: argparse.Namespace) -> int:
    from rag.briefing.brief import brief, briefing_lines

    settings = _settings(args, generator=args.model)
    model = None
    if args.summary:
        from rag.answering.models import load_generator

        model = load_generator(settings)
    briefing = brief(settings, since=args.since, about=args.about or "", until=args.until, summarize=model)
    if args.json:
        print(json.dumps(briefing.to_dict(), ensure_ascii=False, indent=1))
    else:
        print("\n".join(briefing_lines(briefing)))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.answering.qa import QA
    from rag.model import ABSTAIN_REASONS, Ask

    qa = QA(_settings(args, generator=args.model))
    ask = Ask(
        args.question,
        k=args.k,
        since=args.since,
        until=args.until,
        sources=tuple(args.source or ()),
        reference_date=args.as_of,
    )
    if args.json:
        print(json.dumps(qa.answer(ask).to_dict(), ensure_ascii=False, indent=1))
        return 0
    streamed, final = "", None
    for final in qa.stream(ask):
        if final.rereading and sys.stdout.isatty():
            print("\n\nReading the evidence again to check the answer…", end="", flush=True)
        elif not final.done and final.text and sys.stdout.isatty():
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


def front_end(name: str) -> Callable[..., None]:
    """The serve function a front end registered under FRONT_ENDS (the library never imports its adapters)."""
    from importlib.metadata import entry_points

    found = entry_points(group=FRONT_ENDS, name=name)
    if not found:
        raise RagError(f"no front end {name!r} is installed; install the project with: pip install -e .")
    return next(iter(found)).load()


def cmd_serve(args: argparse.Namespace) -> int:
    serve = front_end("chat")
    serve(_settings(args, generator=args.model), host=args.host, port=args.port, build=not args.no_build)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rag.evaluate.evaluation import run_from_cli

    return run_from_cli(args)


def cmd_bench(args: argparse.Namespace) -> int:
    from rag.evaluate.benchmark import run_from_cli

    return run_from_cli(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "build": cmd_build,
    "status": cmd_status,
    "add": cmd_add,
    "feed": cmd_feed,
    "update": cmd_update,
    "doctor": cmd_doctor,
    "ask": cmd_ask,
    "brief": cmd_brief,
    "serve": cmd_serve,
    "eval": cmd_eval,
    "bench": cmd_bench,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler = COMMANDS[args.command]
    try:
        return handler(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
