"""How well saved web pages are read: the tag-based loader against trafilatura (the loader's first choice),
on pages in the shapes news sites use (consent banners, related and most-read lists, AMP, paywall stubs,
JSON-LD dates, comments, live blogs), each with the body sentences and the date a reader finds in it.

    python studies/html_extraction.py [--pages DIR] [--out eval-output/html_extraction.json]

Per page and extractor: body right (every expected sentence in the text, no junk string) and date right.

Found (12 pages): the tags alone read 0.833 of the bodies and 0.583 of the dates right; trafilatura with the
tags as fallback (the loader) 1.000 of both. With three pages of furniture inside the story (15 pages): the
loader read 0.867 of the bodies (a headed "Read more" list and a "Topics:" line of links kept); trafilatura's
options (favor_precision, default, favor_recall, no tables, deduplicate) each left the same two; the rule that
drops blocks of two or more links holding little else (rag.ingest.extraction.without_link_blocks) reads all 15
(1.000); the tags alone 0.667 / 0.667. The numbers stand in docs/results.md, "Reading web pages"."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import rag.evaluate
from rag.evaluate.report import fmt, markdown_table, write_json
from rag.ingest.documents import Article, Problem, load_html, load_html_tags

PAGES = Path(rag.evaluate.__file__).parent / "data" / "html_pages"  # package data: the loader's tests read them too
EXTRACTORS: dict[str, Callable[[str, str], Iterator[Article | Problem]]] = {
    "tags (before)": load_html_tags,
    "trafilatura, tags as fallback (now)": load_html,
}


def judge(article: Article | None, expected: dict) -> dict[str, object]:
    """Body and date right or not, with what was missing or extra."""
    text = article.text if article else ""
    missing = [s for s in expected["body"] if s not in text]
    junk = [s for s in expected["junk"] if s in text]
    return {
        "body": not missing and not junk,
        "date": article is not None and article.published == expected["date"],
        "missing": missing,
        "junk": junk,
        "found_date": article.published if article else None,
    }


def compare(pages: Path) -> dict[str, dict[str, dict[str, object]]]:
    """{extractor: {page: judgement}} over the pages of expected.json."""
    expected = json.loads((pages / "expected.json").read_text(encoding="utf-8"))["pages"]
    results: dict[str, dict[str, dict[str, object]]] = {}
    for name, load in EXTRACTORS.items():
        results[name] = {}
        for page, wanted in expected.items():
            found = next(
                (a for a in load((pages / page).read_text(encoding="utf-8"), page) if isinstance(a, Article)), None
            )
            results[name][page] = judge(found, wanted)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/html_extraction.py", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES, help="pages and their expected.json")
    parser.add_argument("--out", type=Path, default=Path("eval-output") / "html_extraction.json")
    args = parser.parse_args(argv)
    results = compare(args.pages)
    rows = []
    for name, pages in results.items():
        n = len(pages)
        body = sum(bool(j["body"]) for j in pages.values()) / n
        date = sum(bool(j["date"]) for j in pages.values()) / n
        both = sum(bool(j["body"] and j["date"]) for j in pages.values()) / n
        rows.append([name, n, fmt(body), fmt(date), fmt(both)])
    print(markdown_table(["extractor", "pages", "body right", "date right", "both right"], rows))
    print()
    for name, pages in results.items():
        for page, judged in pages.items():
            if not (judged["body"] and judged["date"]):
                print(f"{name} {page}: missing {judged['missing']}, junk {judged['junk']}, date {judged['found_date']}")
    write_json(args.out, results)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
