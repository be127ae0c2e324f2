"""Loaders: title, date and text from each supported format; bad files become Problems, never exceptions."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from rag.ingest.dates import date_mentions, parse_date
from rag.ingest.documents import Article, Problem, load_articles, load_file

REPO_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def load_one(folder: Path, name: str, content: str | bytes) -> tuple[list[Article], list[Problem]]:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return load_articles(folder)


# --- parse_date --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("October 21, 2025", "2025-10-21"),
    ("- October 21, 2025", "2025-10-21"),
    ("Published Oct. 3, 2024 at 10:00", "2024-10-03"),
    ("Sept 9 2023", "2023-09-09"),
    ("21 October 2025", "2025-10-21"),
    ("1st March, 2024", "2024-03-01"),
    ("2025-10-21T08:30:00Z", "2025-10-21"),
    ("2024-2-5", "2024-02-05"),
    ("Tuesday 21, 2025", None),          # not a month name
    ("February 30, 2024", None),         # impossible date
    ("Published March 3, 2025. Updated 2025-03-05", "2025-03-03"),  # the first date, whatever its form
    ("no date here", None),
    ("", None),
])
def test_parse_date_formats(text, expected):
    assert parse_date(text) == expected


def test_every_date_in_a_text_is_read_in_order():
    text = "Between the 2023-10-07 report, the one of October 6, 2023 and 1 Nov 2023 (not 2023-02-30)"
    assert [iso for _, _, iso in date_mentions(text)] == ["2023-10-07", "2023-10-06", "2023-11-01"]
    assert date_mentions(text)[0] == (12, 22, "2023-10-07")  # where the date starts and ends
    assert date_mentions("no dates here, only 2023") == []


# --- .txt --------------------------------------------------------------------------------------------------

def test_txt_title_date_and_text(tmp_path):
    articles, problems = load_one(tmp_path, "summit.txt", (
        "\n\nLeaders meet in Budapest\nOctober 21, 2025\n"
        "Heads of government met on Tuesday.\nThey discussed energy.\n"))
    assert problems == []
    [a] = articles
    assert a.title == "Leaders meet in Budapest"
    assert a.published == "2025-10-21"
    assert a.id == a.path == "summit.txt"
    assert "Heads of government met on Tuesday." in a.text
    assert "They discussed energy." in a.text
    assert "Leaders meet in Budapest" not in a.text


def test_txt_dash_date_line(tmp_path):
    [a], _ = load_one(tmp_path, "a.txt", "Title here\n- October 21, 2025\n- 0\nBody sentence one. Body two.\n")
    assert a.published == "2025-10-21"


def test_txt_date_deep_in_body_is_not_the_publication_date(tmp_path):
    body = "\n".join(f"Line {i} of the story about the vote." for i in range(12))
    [a], _ = load_one(tmp_path, "a.txt", f"Title\n{body}\nThe vote is on March 3, 2026.\n")
    assert a.published is None


def test_txt_without_a_title_line_keeps_all_its_text(tmp_path):
    first = "The Senate voted on Tuesday to pass the energy bill after a long debate. " * 5
    [a], problems = load_one(tmp_path, "a.txt", f"{first.strip()}\nThe House votes next week.\n")
    assert problems == []
    assert a.text.startswith("The Senate voted on Tuesday") and a.text.endswith("The House votes next week.")
    assert a.title == "The Senate voted on Tuesday to pass the energy bill after a long debate."
    (tmp_path / "a.txt").unlink()
    [one], problems = load_one(tmp_path, "b.txt", "Officials met in Budapest. They agreed to talk again.\n")
    assert problems == [] and one.text == "Officials met in Budapest. They agreed to talk again."


def test_txt_date_line_above_the_title(tmp_path):
    [a], _ = load_one(tmp_path, "a.txt", "October 21, 2025\nSenate confirms nominee\nThe vote was 51 to 49.\n")
    assert (a.title, a.published, a.text) == ("Senate confirms nominee", "2025-10-21", "The vote was 51 to 49.")
    (tmp_path / "a.txt").unlink()
    [b], _ = load_one(tmp_path, "b.txt", "Is the summit off?\nOfficials said it was not.\n")
    assert (b.title, b.text) == ("Is the summit off?", "Officials said it was not.")


def test_txt_crlf_and_control_characters_are_cleaned(tmp_path):
    [a], _ = load_one(tmp_path, "a.txt", b"Title\r\nFirst line.\x07\r\nSecond line.\r\n")
    assert a.title == "Title"
    assert a.text == "First line.\nSecond line."


def test_real_seed_file():
    seeds = sorted(path for path in REPO_SEEDS.glob("*.txt") if not path.name.startswith("."))
    assert seeds, "the repository ships at least one seed article"
    articles, problems = load_articles(REPO_SEEDS)
    assert problems == []
    by_path = {a.path: a for a in articles}
    a = by_path[seeds[0].name]
    assert a.title.startswith("Washington cools contact with Moscow")
    assert a.published == "2025-10-21"
    assert "Trump" in a.text and "Putin" in a.text
    assert len(a.text) > 500


# --- .md ---------------------------------------------------------------------------------------------------

def test_markdown_front_matter(tmp_path):
    [a], problems = load_one(tmp_path, "rates.md", """---
title: "Central bank raises rates"
source: Reuters
published: 2025-03-06
url: https://example.com/rates
author: 'Jane Doe'
---
# Ignored heading? no: front matter title wins

The European Central Bank raised rates on Thursday. Prices are rising.
""")
    assert problems == []
    assert a.title == "Central bank raises rates"
    assert a.source == "Reuters"
    assert a.published == "2025-03-06"
    assert a.url == "https://example.com/rates"
    assert a.author == "Jane Doe"
    assert "The European Central Bank raised rates on Thursday." in a.text
    assert "---" not in a.text and "Reuters" not in a.text


def test_markdown_front_matter_keeps_quotes_inside_a_value(tmp_path):
    [a], _ = load_one(tmp_path, "q.md", "---\ntitle: \"Trump says 'no'\"\nsource: 'The \"Times\"'\n---\nBody.\n")
    assert (a.title, a.source) == ("Trump says 'no'", 'The "Times"')


def test_markdown_without_front_matter_uses_heading(tmp_path):
    [a], _ = load_one(tmp_path, "x.md", "# Wildfire spreads\n\n*August 2, 2025*\n\nResidents fled the hills.\n")
    assert a.title == "Wildfire spreads"
    assert a.published == "2025-08-02"
    assert "Residents fled the hills." in a.text


# --- .html -------------------------------------------------------------------------------------------------

HTML = """<!doctype html>
<html><head>
<title>City win the cup final | Sports Daily</title>
<meta property="og:site_name" content="Sports Daily">
<meta property="og:url" content="https://example.com/final">
<meta name="author" content="Sam Writer">
{meta}
<style>body {{ color: red; }} .secret-style {{}}</style>
<script>var trackingSecret = "do-not-index";</script>
</head>
<body>
<nav><a href="/">Home</a> <a href="/sport">NavigationLinkText</a></nav>
<header>Site header banner</header>
<article>
  <h1>City win the cup final</h1>
  {time}
  <p>Manchester City won the final at Wembley on Saturday.</p>
  <p>The goalkeeper saved the <b>decisive</b> penalty.</p>
  <script>alert("inline script text")</script>
  <iframe src="https://evil.example/frame">iframe fallback text</iframe>
</article>
<aside>Related: other stories</aside>
<footer>Copyright footer</footer>
</body></html>
"""


def test_html_in_the_charset_it_declares_is_read_and_other_text_in_it_is_not(tmp_path):
    page = '<html><head><meta charset="windows-1252"><title>Caf\u00e9 closes</title></head>' \
           '<body><p>The caf\u00e9 on Main Street \u2013 open since 1950 \u2013 closed on Friday.</p></body></html>'
    articles, problems = load_one(tmp_path, "cafe.html", page.encode("cp1252"))
    assert not problems and articles[0].title == "Caf\u00e9 closes"
    assert articles[0].text == "The caf\u00e9 on Main Street \u2013 open since 1950 \u2013 closed on Friday."
    (tmp_path / "cafe.html").unlink()
    _, problems = load_one(tmp_path, "cafe.txt", "Caf\u00e9 closes\nThe caf\u00e9 closed.".encode("cp1252"))
    assert [p.reason for p in problems] == ["not valid UTF-8 (byte 3); re-save the file as UTF-8"]


def test_html_title_date_and_clean_text(tmp_path):
    page = HTML.format(meta='<meta property="article:published_time" content="2025-05-24T18:00:00Z">',
                       time="")
    [a], problems = load_one(tmp_path, "final.html", page)
    assert problems == []
    assert a.title == "City win the cup final"  # the site's name is the source, not part of the title
    assert a.published == "2025-05-24"
    assert a.source == "Sports Daily"
    assert a.url == "https://example.com/final"
    assert a.author == "Sam Writer"
    assert "Manchester City won the final at Wembley on Saturday." in a.text
    assert "The goalkeeper saved the decisive penalty." in a.text
    for junk in ("trackingSecret", "do-not-index", "color: red", "NavigationLinkText", "inline script text",
                 "Site header banner", "Copyright footer", "Related: other stories", "evil.example",
                 "iframe fallback text"):
        assert junk not in a.text


def test_html_og_title_and_time_datetime(tmp_path):
    page = HTML.format(meta='<meta property="og:title" content="Cup final: City win on penalties">',
                       time='<time datetime="2025-05-25">Sunday</time>')
    [a], _ = load_one(tmp_path, "final.htm", page)
    assert a.title == "Cup final: City win on penalties"
    assert a.published == "2025-05-25"


def test_html_time_text_when_no_datetime_attribute(tmp_path):
    page = HTML.format(meta="", time="<time>May 26, 2025</time>")
    [a], _ = load_one(tmp_path, "final.html", page)
    assert a.published == "2025-05-26"


def test_html_date_of_the_story_wins_over_the_site_header(tmp_path):
    page = ("<html><body><header><time datetime='2025-10-21'>Today</time></header>"
            "<div><h1>Dam opens</h1><time datetime='2023-01-05'>5 January 2023</time><p>The dam opened.</p></div>"
            "</body></html>")
    [a], _ = load_one(tmp_path, "dam.html", page)
    assert a.published == "2023-01-05"


def test_html_heading_in_header_is_the_title(tmp_path):
    page = ("<html><body><header><h1>Storm hits coast</h1><p>Site banner</p></header>"
            "<p>Winds reached 150 km/h on Monday.</p></body></html>")
    [a], _ = load_one(tmp_path, "storm.html", page)
    assert a.title == "Storm hits coast"
    assert a.text == "Winds reached 150 km/h on Monday."


def test_html_nested_blocks_are_read_once(tmp_path):
    page = """<html><head><title>Minister resigns</title></head><body><article>
<p>The minister resigned on Friday.</p>
<blockquote><p>"I take full responsibility," she said.</p></blockquote>
<ul><li><p>Point one of the plan.</p></li><li>Point two.</li></ul>
</article></body></html>"""
    [a], _ = load_one(tmp_path, "resigns.html", page)
    assert a.text.split("\n") == ["The minister resigned on Friday.", '"I take full responsibility," she said.',
                                  "- Point one of the plan.", "- Point two."]


def test_html_text_in_divs_is_not_lost(tmp_path):
    page = ("<html><head><title>Port reopens</title></head><body>"
            "<div>The port reopened on Monday after a week of storms.</div>"
            "<div>Ferries to the islands run again. <p>Photo: AP</p></div></body></html>")
    [a], _ = load_one(tmp_path, "port.html", page)
    assert a.text == "The port reopened on Monday after a week of storms.\nFerries to the islands run again.\nPhoto: AP"


def test_html_without_readable_text_is_a_problem(tmp_path):
    articles, problems = load_one(tmp_path, "empty.html",
                                  "<html><head><script>x=1</script></head><body><nav>menu</nav></body></html>")
    assert articles == []
    [p] = problems
    assert p.path == "empty.html"


# --- .json / .jsonl ----------------------------------------------------------------------------------------

def test_json_single_object(tmp_path):
    record = {"id": "ecb-1", "title": "ECB raises rates", "text": "The bank raised rates.\nMarkets reacted.",
              "source": "Wire", "published": "March 6, 2025", "url": "https://example.com/ecb", "author": "A. B."}
    [a], problems = load_one(tmp_path, "one.json", json.dumps(record))
    assert problems == []
    assert a.id == "one.json#ecb-1"
    assert (a.title, a.source, a.published, a.url, a.author) == (
        "ECB raises rates", "Wire", "2025-03-06", "https://example.com/ecb", "A. B.")
    assert a.text == "The bank raised rates.\nMarkets reacted."
    assert a.path == "one.json"


def test_json_list_with_date_key_and_missing_title(tmp_path):
    records = [{"title": "Fire spreads", "text": "Flames crossed the hills.", "date": "2025-08-02"},
               {"text": "Untitled story first line\nMore text."}]
    articles, problems = load_one(tmp_path, "many.json", json.dumps(records))
    assert problems == []
    assert all(a.id.startswith("many.json#") for a in articles) and articles[0].id != articles[1].id
    assert articles[0].published == "2025-08-02"
    assert articles[1].title == "Untitled story first line"
    assert articles[1].published is None


def test_json_feed_wrapped_in_an_object_is_read(tmp_path):
    feed = {"feed": "World news", "articles": [{"title": "Fire spreads", "text": "Flames crossed the hills."},
                                                {"title": "Dam opens", "text": "The dam opened."}]}
    articles, problems = load_one(tmp_path, "feed.json", json.dumps(feed))
    assert problems == [] and sorted(a.title for a in articles) == ["Dam opens", "Fire spreads"]


def test_json_empty_list_is_a_problem(tmp_path):
    articles, [problem] = load_one(tmp_path, "empty.json", "[]")
    assert articles == [] and problem.path == "empty.json" and "no articles" in problem.reason


def test_jsonl_several_lines(tmp_path):
    lines = [{"id": f"n{i}", "title": f"Story {i}", "text": f"Body of story {i}.", "published": "2025-01-0" + str(i)}
             for i in range(1, 4)]
    articles, problems = load_one(tmp_path, "feed.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert problems == []
    assert [(a.id, a.title, a.text, a.published) for a in articles] == [
        (f"feed.jsonl#n{i}", f"Story {i}", f"Body of story {i}.", f"2025-01-0{i}") for i in range(1, 4)]


def test_jsonl_malformed_line_keeps_good_lines(tmp_path):
    content = "\n".join([
        json.dumps({"title": "Good one", "text": "First good story."}),
        '{"title": "broken", "text": ',
        json.dumps({"title": "Good two", "text": "Second good story."}),
        json.dumps({"title": "No text"}),
        json.dumps({"title": "Only control characters", "text": "\u0001\u0002\u007f "}),
    ])
    articles, problems = load_one(tmp_path, "feed.jsonl", content)
    assert [a.title for a in articles] == ["Good one", "Good two"]
    paths = [p.path for p in problems]
    assert paths == ["feed.jsonl line 2", "feed.jsonl line 4", "feed.jsonl line 5"]
    assert problems[2].reason == "missing or empty 'text'"
    assert "invalid JSON" in problems[0].reason
    assert "feed.jsonl line 2" in str(problems[0])


def test_json_records_without_id_keep_their_id_when_the_feed_grows(tmp_path):
    records = [{"title": "Ferry line opens", "text": "The harbour town opened a ferry line."},
               {"title": "Library reopens", "text": "The library reopened.", "url": "https://example.com/library"}]
    before, _ = load_one(tmp_path, "feed.jsonl", "\n".join(json.dumps(r) for r in records))
    same_url = {"title": "Live: the vote", "text": "Polls closed.", "url": "https://example.com/library"}
    shared, problems = load_one(tmp_path, "feed.jsonl", "\n".join(json.dumps(r) for r in [*records, same_url]))
    assert problems == [] and len({a.id for a in shared}) == 3  # one url, two stories: both are kept
    newest = {"title": "Breaking", "text": "A new story at the top of the feed."}
    after, problems = load_one(tmp_path, "feed.jsonl", "\n".join(json.dumps(r) for r in [newest, *records]))
    assert problems == []
    assert [a.id for a in after[1:]] == [a.id for a in before]
    assert len({a.id for a in after}) == 3


def test_json_exact_repeated_record_is_a_duplicate(tmp_path):
    record = {"title": "Ferry line opens", "text": "The harbour town opened a ferry line."}
    articles, problems = load_one(tmp_path, "feed.jsonl", "\n".join(json.dumps(r) for r in [record, record]))
    [a] = articles
    assert [str(p) for p in problems] == [f"skipped feed.jsonl: duplicate article id {a.id!r}"]


def test_json_invalid_is_a_problem(tmp_path):
    articles, problems = load_one(tmp_path, "bad.json", '{"title": "x", ')
    assert articles == []
    [p] = problems
    assert p.path == "bad.json" and "invalid JSON" in p.reason


# --- bad files ---------------------------------------------------------------------------------------------

def test_bad_files_become_problems_and_good_files_still_load(tmp_path):
    (tmp_path / "good.txt").write_text("Good title\nA real sentence of news.\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n\t\n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Caf\u00e9 news\nThe caf\u00e9 opened.\n".encode("latin-1"))
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4 fake")
    (tmp_path / "README").write_text("no extension", encoding="utf-8")
    (tmp_path / "title_only.txt").write_text("Only a title line\n", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("Hidden\nNot loaded.\n", encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "nested.txt").write_text("Nested title\nNested body.\n", encoding="utf-8")

    articles, problems = load_articles(tmp_path)   # never raises

    assert sorted(a.id for a in articles) == ["good.txt", "sub/nested.txt"]
    reasons = {p.path: p.reason for p in problems}
    assert set(reasons) == {"binary.txt", "empty.txt", "blank.md", "latin1.txt", "report.pdf", "README",
                            "title_only.txt"}
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.md"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "not a readable PDF" in reasons["report.pdf"] and "(none)" in reasons["README"]
    for p in problems:
        assert str(p).startswith(f"skipped {p.path}: ")


def test_load_file_reports_an_unknown_extension(tmp_path):
    path = tmp_path / "notes.txt~"  # an editor's backup copy
    path.write_text("Title\nBody.\n", encoding="utf-8")
    [problem] = load_file(path, path.name)
    assert problem == Problem("notes.txt~", "unsupported extension .txt~; use one of .txt, .md, .html, .htm, "
                                            ".json, .jsonl, .pdf")


def test_unreadable_file_is_a_problem_and_the_others_still_load(tmp_path, monkeypatch):
    (tmp_path / "good.txt").write_text("Good title\nA real sentence of news.\n", encoding="utf-8")
    (tmp_path / "private.txt").write_text("Private title\nCopied in by another user.\n", encoding="utf-8")
    read_bytes = Path.read_bytes

    def denied(path: Path) -> bytes:  # what a mode-600 file of another user does
        if path.name == "private.txt":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    articles, problems = load_articles(tmp_path)
    assert [a.id for a in articles] == ["good.txt"]
    assert [str(p) for p in problems] == [
        "skipped private.txt: cannot read: Permission denied; check the file's permissions"]


def test_hidden_folders_are_not_read(tmp_path):
    (tmp_path / "story.txt").write_text("Real story\nThe real body.\n", encoding="utf-8")
    for folder in (".ipynb_checkpoints", "drafts/.git/objects"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "old.txt").write_text("Old draft\nAn old draft body.\n", encoding="utf-8")
    articles, problems = load_articles(tmp_path)
    assert [a.id for a in articles] == ["story.txt"] and problems == []


def test_file_over_size_limit_is_a_problem(tmp_path):
    (tmp_path / "big.txt").write_text("Big\n" + "word " * 1000, encoding="utf-8")
    articles, problems = load_articles(tmp_path, max_bytes=1000)
    assert articles == []
    [p] = problems
    assert p.path == "big.txt" and "limit" in p.reason


def test_duplicate_ids_across_json_records(tmp_path):
    records = [{"id": "x", "title": "A", "text": "One."}, {"id": "x", "title": "B", "text": "Two."}]
    articles, problems = load_one(tmp_path, "dup.json", json.dumps(records))
    assert [a.title for a in articles] == ["A"]
    [p] = problems
    assert p.path == "dup.json" and "duplicate" in p.reason


def test_utf8_bom_is_accepted(tmp_path):
    [a], problems = load_one(tmp_path, "bom.txt", "\ufeffBOM title\nBody text.\n".encode("utf-8"))
    assert problems == [] and a.title == "BOM title"


@pytest.mark.parametrize("bom, encoding", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_utf16_with_byte_order_mark_is_decoded(tmp_path, bom, encoding):
    text = "Budget passes\nMarch 3, 2025\nThe parliament passed the budget, 201 votes to 99.\n"
    [a], problems = load_one(tmp_path, "notepad.txt", bom + text.encode(encoding))  # Notepad's "Unicode"
    assert problems == []
    assert (a.title, a.published) == ("Budget passes", "2025-03-03")
    assert a.text == "March 3, 2025\nThe parliament passed the budget, 201 votes to 99."


def test_sha256_changes_with_text_and_metadata():
    a = Article(id="a", title="T", text="x")
    assert a.sha256 == Article(id="a", title="T", text="x", path="elsewhere").sha256
    assert a.sha256 != Article(id="a", title="T", text="y").sha256
    assert a.sha256 != Article(id="a", title="T2", text="x").sha256
    assert a.sha256 != Article(id="a", title="T", text="x", published="2025-01-01").sha256


def test_saved_news_pages_are_read_right_and_the_comparison_is_written(tmp_path):
    """The team's pages in the shapes news sites use (rag/evaluate/data/html_pages): the loader finds each
    page's body without its junk and the story's date; the comparison script writes its numbers."""
    from studies.html_extraction import PAGES, compare, main

    now = compare(PAGES)["trafilatura, tags as fallback (now)"]
    assert {page: (j["body"], j["date"]) for page, j in now.items()} == dict.fromkeys(now, (True, True))
    assert main(["--out", str(tmp_path / "html.json")]) == 0
    assert set(json.loads((tmp_path / "html.json").read_text())) == {"tags (before)", "trafilatura, tags as fallback (now)"}


def test_furniture_inside_the_story_goes_and_sentences_with_links_stay():
    from rag.ingest.extraction import without_link_blocks

    html = ("<html><body><article><p>The mayor, <a href='/a'>Ann Holt</a>, met <a href='/b'>Ben Ek</a> of the "
            "<a href='/c'>port authority</a> on Monday to sign the deal.</p><h2>Read more</h2><ul>"
            "<li><a href='/1'>Other story one</a></li><li><a href='/2'>Other story two</a></li></ul>"
            "<p>Topics: <a href='/t1'>Harbours</a>, <a href='/t2'>City council</a></p>"
            "<p>The deal runs for ten years.</p></article></body></html>")  # fmt: skip
    kept = without_link_blocks(html)
    assert "Ann Holt</a>, met" in kept and "The deal runs for ten years." in kept
    assert "Read more" not in kept and "Other story" not in kept and "Topics" not in kept
    assert without_link_blocks("") == ""  # nothing to parse: unchanged
