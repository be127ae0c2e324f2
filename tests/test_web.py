"""Articles from the web: pages added by URL and feeds followed, fetched from a loopback server of the team's
own fixture pages, extracted, saved into the articles folder and read back by the loaders; every bad case
gets one clear line and leaves what was saved untouched."""

import json
import threading
import time

import pytest

from rag.errors import FetchError
from rag.ingest.documents import load_articles, load_file
from rag.ingest.web.feeds import FEEDS_FILE, add_feed, read_feeds, remove_feed, update_feeds
from rag.ingest.web.fetching import FetchLimits, check_url, fetch
from rag.ingest.web.pages import add_url, canonical_url
from tests.web_fixtures import WebServer, gzip_bomb, pdf_bytes

LIMITS = FetchLimits(timeout=2.0, max_bytes=1_000_000, allow_private=True)


@pytest.fixture
def site():
    server = WebServer()
    yield server
    server.stop()


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_page_is_extracted_saved_and_read_back_with_its_metadata(site, tmp_path):
    saved = add_url(f"{site.base}/news/bridge.html", tmp_path, LIMITS)
    assert saved.status == "added" and saved.file.startswith("web/127-0-0-1-harbour-bridge-reopens-after-repairs-")
    [article], problems = load_articles(tmp_path)
    assert problems == []
    assert article.title == "Harbour bridge reopens after repairs"
    assert article.source == "Coastal Courier" and article.author == "Mira Olsen"
    assert article.published == "2024-03-14" and article.url == f"{site.base}/news/bridge"
    assert "40 steel cables" in article.text and "30,000 vehicles" in article.text
    for junk in ("cookies", "Ferry fares rise", "Copyright", "Home", "By Mira Olsen"):
        assert junk not in article.text


def test_the_same_article_again_updates_its_file_instead_of_adding_one(site, tmp_path):
    first = add_url(f"{site.base}/news/bridge.html", tmp_path, LIMITS)
    assert add_url(f"{site.base}/news/bridge.html", tmp_path, LIMITS).status == "unchanged"
    again = add_url(f"{site.base}/news/bridge?utm_source=newsletter#top", tmp_path, LIMITS)  # its canonical form
    assert again.status == "unchanged" and again.file == first.file
    assert add_url(f"{site.base}/moved", tmp_path, LIMITS).file == first.file  # a redirect to it
    site.vehicles = "32,000"
    changed = add_url(f"{site.base}/news/bridge.html", tmp_path, LIMITS)
    assert changed.status == "updated" and changed.file == first.file
    [article], _ = load_articles(tmp_path)
    assert "32,000 vehicles" in article.text


def test_canonical_urls_drop_what_does_not_name_the_article() -> None:
    assert canonical_url("HTTPS://News.Example:443/a/b/?utm_source=x&id=7&fbclid=y#c") == "https://news.example/a/b?id=7"
    assert canonical_url("http://news.example:8080/") == "http://news.example:8080/"


@pytest.mark.parametrize(
    "path, says",
    [
        ("/missing.html", "the server answered 404 Not Found"),
        ("/error.html", "the server answered 500 Internal Server Error"),
        ("/image.png", "not a web page or PDF (the server sent image/png)"),
        ("/empty.html", "no article text found in the page"),
        ("/loop-a", "the server redirects in a loop"),
        ("/big.html", "over the 1,000,000-byte limit (RAG_FETCH_MAX_BYTES)"),
        ("/slow.html", "no answer within 2 s (RAG_FETCH_TIMEOUT)"),
    ],
)
def test_a_bad_page_is_named_with_its_reason_and_loses_nothing(site, tmp_path, path, says):
    add_url(f"{site.base}/news/bridge.html", tmp_path, LIMITS)
    before = snapshot(tmp_path)
    with pytest.raises(FetchError, match="^" + f"{site.base}{path}: ".replace("?", r"\?")) as caught:
        add_url(f"{site.base}{path}", tmp_path, LIMITS)
    assert says in str(caught.value)
    assert snapshot(tmp_path) == before


def test_addresses_that_may_not_be_fetched_are_refused_before_any_request(site) -> None:
    with pytest.raises(FetchError, match="127.0.0.1 is a private or local address .*add --allow-private"):
        fetch(f"{site.base}/news/bridge.html", FetchLimits())
    for url, says in [("ftp://example.com/a", "only http:// and https://"), ("file:///etc/passwd", "only http"),
                      ("http:///a", "names no host"), ("http://10.1.2.3/a", "private or local address")]:  # fmt: skip
        with pytest.raises(FetchError, match=says):
            check_url(url)
    assert site.requests == []


def test_too_many_redirects_are_refused(site, tmp_path) -> None:
    with pytest.raises(FetchError, match="more than 0 redirects"):
        fetch(f"{site.base}/moved", FetchLimits(allow_private=True, max_redirects=0))


def test_a_pdf_by_url_and_in_the_folder_is_an_article(site, tmp_path) -> None:
    site.pdf = pdf_bytes(
        ["Port Elling council press release", "The Harbour Bridge reopens to traffic on 14 March."],
        title="Harbour Bridge to reopen", author="Port Elling council", created="D:20240312090000Z",
    )  # fmt: skip
    saved = add_url(f"{site.base}/report.pdf", tmp_path, LIMITS)
    [article], _ = load_articles(tmp_path)
    assert saved.status == "added" and article.title == "Harbour Bridge to reopen"
    assert article.published == "2024-03-12" and "reopens to traffic on 14 March" in article.text
    (tmp_path / "release.pdf").write_bytes(site.pdf)
    [from_file] = load_file(tmp_path / "release.pdf", "release.pdf")
    assert from_file.title == "Harbour Bridge to reopen" and from_file.author == "Port Elling council"
    (tmp_path / "scan.pdf").write_bytes(pdf_bytes([]))
    [no_text] = load_file(tmp_path / "scan.pdf", "scan.pdf")
    assert no_text.reason == "the PDF holds no text (a scanned document?); convert it to text first"


def test_a_feed_brings_its_items_once_and_a_dead_link_brings_its_summary(site, tmp_path) -> None:
    feed = add_feed(tmp_path, f"{site.base}/feed.xml", LIMITS)
    assert feed.title == "Coastal Courier" and read_feeds(tmp_path) == [feed]
    lines: list[str] = []
    [result] = update_feeds(tmp_path, LIMITS, lines.append)
    assert (result.new, result.updated, result.failed) == (3, 0, 0)
    assert site.requests.count("/news/ferry.html") == 1  # listed twice, fetched once
    articles, problems = load_articles(tmp_path)
    assert problems == [] and sorted(a.title for a in articles) == [
        "Ferry fares rise by a fifth", "Harbour bridge reopens after repairs", "gone"
    ]  # fmt: skip
    [gone] = [a for a in articles if a.title == "gone"]
    assert gone.text == "The harbour master, Lene Dahl, retired on Saturday after 31 years."
    assert gone.published == "2024-03-16" and gone.source == "Coastal Courier"
    assert 'extraction: "feed summary"' in (tmp_path / gone.path).read_text()
    assert any("404 Not Found; saved the feed's summary instead" in line for line in lines)
    before, asked = snapshot(tmp_path), len(site.requests)
    [again] = update_feeds(tmp_path, LIMITS, lines.append)
    assert again.not_modified and site.conditional == ["/feed.xml"] and len(site.requests) == asked + 1
    assert {k: v for k, v in snapshot(tmp_path).items() if k != FEEDS_FILE} == {
        k: v for k, v in before.items() if k != FEEDS_FILE
    }


def test_an_interrupted_round_is_finished_without_duplicates(site, tmp_path) -> None:
    add_feed(tmp_path, f"{site.base}/feed.xml", LIMITS)
    update_feeds(tmp_path, LIMITS, lambda _: None)
    data = json.loads((tmp_path / FEEDS_FILE).read_text())
    data["feeds"][0].update(items={}, etag="")  # as if the round stopped after saving, before recording
    (tmp_path / FEEDS_FILE).write_text(json.dumps(data))
    [result] = update_feeds(tmp_path, LIMITS, lambda _: None)
    assert (result.new, result.updated) == (0, 0) and len(read_feeds(tmp_path)[0].items) == 3
    assert len(load_articles(tmp_path)[0]) == 3


def test_a_round_writes_the_feed_list_once_per_feed_not_after_every_item(site, tmp_path, monkeypatch) -> None:
    import rag.ingest.web.feeds as feeds

    add_feed(tmp_path, f"{site.base}/many.xml", LIMITS)
    writes: list[object] = []
    real = feeds.write_json
    monkeypatch.setattr(feeds, "write_json", lambda *a, **k: (writes.append(a[0]), real(*a, **k))[1])
    [result] = update_feeds(tmp_path, LIMITS, lambda _: None)
    assert result.new == 12 and len(writes) == 1 and len(read_feeds(tmp_path)[0].items) == 12


def test_feeds_with_external_or_exploding_entities_are_refused_before_parsing(site, tmp_path) -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        for name in ("xxe.xml", "laughs.xml"):  # a file of this machine; a billion laughs (was 4 s and 80 MB)
            with pytest.raises(FetchError, match="declares entities of its own"):
                add_feed(tmp_path, f"{site.base}/{name}", LIMITS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000 and read_feeds(tmp_path) == []


def test_credentials_in_an_address_are_never_saved_or_shown(site, tmp_path) -> None:
    host = site.base.removeprefix("http://")
    saved = add_url(f"http://ann:secret@{host}/news/ferry.html", tmp_path, LIMITS)
    [article], _ = load_articles(tmp_path)
    assert "secret" not in article.url and "ann:" not in article.url
    assert "secret" not in (tmp_path / saved.file).read_text(encoding="utf-8")


def test_atom_feeds_and_bad_feeds(site, tmp_path) -> None:
    add_feed(tmp_path, f"{site.base}/atom.xml", LIMITS)
    [result] = update_feeds(tmp_path, LIMITS, lambda _: None)
    assert result.new == 1 and load_articles(tmp_path)[0][0].title == "Ferry fares rise by a fifth"
    with pytest.raises(FetchError, match="already followed"):
        add_feed(tmp_path, f"{site.base}/atom.xml/", LIMITS)
    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        add_feed(tmp_path, f"{site.base}/notafeed.xml", LIMITS)
    with pytest.raises(FetchError, match="over the 1,000,000-byte limit"):
        add_feed(tmp_path, f"{site.base}/huge.xml", LIMITS)
    malformed = add_feed(tmp_path, f"{site.base}/malformed.xml", LIMITS)  # truncated: its whole items still count
    assert malformed.title == "Coastal Courier"
    assert remove_feed(tmp_path, f"{site.base}/atom.xml").url == f"{site.base}/atom.xml"
    with pytest.raises(FetchError, match="is not followed"):
        remove_feed(tmp_path, f"{site.base}/atom.xml")
    assert [f.url for f in read_feeds(tmp_path)] == [f"{site.base}/malformed.xml"]
    assert len(load_articles(tmp_path)[0]) == 1  # removing a feed keeps its articles


def test_a_feed_whose_host_is_down_is_one_failed_line(site, tmp_path) -> None:
    add_feed(tmp_path, f"{site.base}/feed.xml", LIMITS)
    site.stop()
    lines: list[str] = []
    [result] = update_feeds(tmp_path, LIMITS, lines.append)
    assert result.error.startswith("cannot fetch") and lines == [f"{site.base}/feed.xml: failed ({result.error})"]
    assert read_feeds(tmp_path)[0].items == {}


def test_rag_add_feed_and_update_from_the_command_line_keep_the_index_current(site, tmp_path) -> None:
    from tests.test_cli import run, summary_line

    seeds, index = tmp_path / "articles", tmp_path / "idx"
    where = ["--seeds", str(seeds), "--index", str(index)]
    refused = run("add", f"{site.base}/news/bridge.html", *where, cwd=tmp_path)
    assert refused.returncode == 1 and "add --allow-private" in refused.stdout and not seeds.exists()

    added = run("add", f"{site.base}/news/bridge.html", f"{site.base}/missing.html", *where, "--allow-private",
                cwd=tmp_path)  # fmt: skip
    assert added.returncode == 1, added.stderr
    assert f"{site.base}/missing.html: failed, the server answered 404 Not Found" in added.stdout
    assert f"{site.base}/news/bridge.html -> {seeds}/web/127-0-0-1-harbour-bridge" in added.stdout
    assert summary_line(added.stdout).startswith("added 1, changed 0, removed 0, unchanged 0")
    manifest = json.loads((index / "manifest.json").read_text())
    assert [a.startswith("web/") for a in manifest["articles"]] == [True]

    assert run("feed", "add", f"{site.base}/feed.xml", *where, "--allow-private", cwd=tmp_path).returncode == 0
    listed = run("feed", "list", *where, cwd=tmp_path)
    assert f"{site.base}/feed.xml  'Coastal Courier'  0 items saved; not updated yet" in listed.stdout
    first = run("update", *where, "--allow-private", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "update: 2 new, 0 updated, 0 failed" in first.stdout  # the bridge was already saved by rag add
    assert summary_line(first.stdout).startswith("added 2, changed 0, removed 0, unchanged 1")
    second = run("update", *where, "--allow-private", cwd=tmp_path)
    assert f"{site.base}/feed.xml: not modified" in second.stdout and "update: 0 new, 0 updated, 0 failed" in second.stdout
    assert "chunks embedded" not in second.stdout  # nothing new: the index is not touched
    assert len(json.loads((index / "manifest.json").read_text())["articles"]) == 3


def test_rag_update_every_keeps_running_one_line_per_round(site, tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    seeds = tmp_path / "articles"
    add_feed(seeds, f"{site.base}/atom.xml", LIMITS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {"HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "rag", "update", "--every", "10s", "--allow-private", "--seeds",
                             str(seeds), "--index", str(tmp_path / "idx")], stdout=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
    rounds: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while len(rounds) < 2 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.rstrip().endswith(" failed") and " update: " in line:
                rounds.append(line.split(" update: ")[1].strip())
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    assert rounds == ["1 new, 0 updated, 0 failed", "0 new, 0 updated, 0 failed"]
    assert proc.returncode == 130 and len(load_articles(seeds)[0]) == 1


def test_add_urls_from_python_updates_the_index(site, tmp_path) -> None:
    from rag import Settings, add_urls

    settings = Settings(seeds_dir=tmp_path / "articles", index_dir=tmp_path / "idx", fetch_allow_private=True)
    added = add_urls([f"{site.base}/news/ferry.html", f"{site.base}/error.html"], settings, log=lambda _: None)
    assert [s.status for s in added.saved] == ["added"] and added.failed == [
        (f"{site.base}/error.html", "the server answered 500 Internal Server Error")
    ]
    assert added.build is not None and added.build.summary().startswith("added 1, changed 0, removed 0, unchanged 0")
    again = add_urls([f"{site.base}/news/ferry.html"], settings, log=lambda _: None)
    assert [s.status for s in again.saved] == ["unchanged"] and again.build is None


def test_a_page_that_trickles_in_is_stopped_at_the_total_deadline(site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"trickle.html: not fetched within 3 s in all \(RAG_FETCH_TOTAL_SECONDS\)"):
        fetch(f"{site.base}/trickle.html", FetchLimits(timeout=2.0, allow_private=True, total_seconds=3.0))
    assert time.monotonic() - started < 6  # each read came within the 2 s timeout; the whole fetch did not


def test_feeds_followed_at_the_same_time_are_all_kept(site, tmp_path) -> None:
    urls = [f"{site.base}/feed.xml", f"{site.base}/atom.xml", f"{site.base}/malformed.xml"]
    errors: list[Exception] = []

    def follow(url: str) -> None:
        try:
            add_feed(tmp_path, url, LIMITS)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=follow, args=(url,)) for url in urls * 2]  # each twice: one is refused
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(feed.url for feed in read_feeds(tmp_path)) == sorted(urls)
    assert len(errors) == 3 and all("is already followed" in str(exc) for exc in errors), errors
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no temporary file left


def test_a_canonical_url_on_another_site_is_not_taken(site, tmp_path) -> None:
    saved = add_url(f"{site.base}/news/elsewhere.html", tmp_path, LIMITS)
    assert saved.file.startswith("web/127-0-0-1-")  # named by the site it came from
    [article], _ = load_articles(tmp_path)
    assert article.url == f"{site.base}/news/elsewhere.html" and "reuters" not in article.source.lower()
    ours = add_url(f"{site.base}/news/bridge.html", tmp_path, LIMITS)  # its canonical is on its own site
    assert ours.status == "added" and len(load_articles(tmp_path)[0]) == 2


def test_a_private_address_inside_an_ipv6_one_is_private() -> None:
    for inside in ("[64:ff9b::7f00:1]", "[64:ff9b::a00:1]", "[2002:7f00:1::1]", "[::ffff:127.0.0.1]", "[64:ff9b:1::1]"):
        with pytest.raises(FetchError, match="private or local address"):  # NAT64, 6to4, mapped, local NAT64
            check_url(f"http://{inside}/a")
    assert check_url("http://[64:ff9b::808:808]/a") == "http://[64:ff9b::808:808]/a"  # 8.8.8.8 through NAT64


def test_a_name_that_answers_public_then_loopback_cannot_reach_the_loopback_page(site, monkeypatch) -> None:
    """DNS rebinding: the address check and the connection each resolve the name; the first look says public,
    the next says loopback. The connection goes only to an address that was checked."""
    import socket

    real, looks = socket.getaddrinfo, []

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        looks.append(host)
        address = "93.184.216.34" if len(looks) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = site.base.rsplit(":", 1)[1]
    served_before = list(site.requests)
    with pytest.raises(FetchError, match=r"private or local address \(127\.0\.0\.1\)"):
        fetch(f"http://rebind.example:{port}/news/bridge.html", FetchLimits(timeout=2.0))
    assert len(looks) == 2 and site.requests == served_before  # the loopback page was never asked


def test_a_gzip_bomb_is_refused_while_it_inflates_and_a_zipped_page_is_read(site) -> None:
    import tracemalloc

    limits = FetchLimits(timeout=5.0, max_bytes=1_000_000, allow_private=True)
    assert "Ferry" in fetch(f"{site.base}/news/zipped.html", limits).text()
    gzip_bomb()  # made before memory is traced (the site runs in this process)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="over the 1,000,000-byte limit"):
            fetch(f"{site.base}/bomb.html", limits)  # 100 kB that inflate to 100 MB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000  # inflated 64 kB at a time (the client and its TLS set-up take a few MB); was 148 MB


def test_a_feed_item_link_with_markup_never_becomes_an_article_address(site, tmp_path) -> None:
    add_feed(tmp_path, f"{site.base}/hostile.xml", LIMITS)
    logged: list[str] = []
    [round_] = update_feeds(tmp_path, LIMITS, logged.append)
    assert (round_.new, round_.failed) == (1, 1)  # the link with a space is no address; the other one is cleaned
    assert any("not a web address" in line for line in logged)
    [article], _ = load_articles(tmp_path)
    assert article.url == f"{site.base}/gone/2?x=%3Cimg/src=x%3E"
    assert check_url(article.url, allow_private=True) == article.url


def test_items_left_for_the_next_round_arrive_though_the_feed_answers_not_modified(site, tmp_path) -> None:
    limits = FetchLimits(timeout=2.0, allow_private=True, items_per_round=1)
    add_feed(tmp_path, f"{site.base}/feed.xml", limits)  # serves an ETag and 304 to a conditional GET
    rounds = [update_feeds(tmp_path, limits, lambda _: None)[0] for _ in range(4)]
    assert [(r.new, r.not_modified) for r in rounds] == [(1, False), (1, False), (1, False), (0, True)]
    assert len(load_articles(tmp_path)[0]) == 3


def test_a_feed_round_ends_at_its_deadline_and_the_feeds_not_reached_go_first_next_time(site, tmp_path) -> None:
    limits = FetchLimits(timeout=2.0, allow_private=True, round_seconds=0.001)  # over after one item
    add_feed(tmp_path, f"{site.base}/feed.xml", limits)
    add_feed(tmp_path, f"{site.base}/atom.xml", limits)
    logged: list[str] = []
    first = update_feeds(tmp_path, limits, logged.append)
    assert [(r.feed.rsplit("/", 1)[1], r.new, r.not_reached) for r in first] == [
        ("feed.xml", 1, False), ("atom.xml", 0, True)]
    assert "more items wait for the next round (RAG_FEED_ROUND_SECONDS)" in "\n".join(logged)
    assert "atom.xml: not reached in this round's time" in "\n".join(logged)
    second = update_feeds(tmp_path, limits, logged.append)
    assert [r.feed.rsplit("/", 1)[1] for r in second][0] == "atom.xml"  # waited longest: first this time


def test_a_feed_round_brings_at_most_its_share_of_items_and_the_next_round_the_rest(site, tmp_path) -> None:
    limits = FetchLimits(timeout=2.0, allow_private=True, items_per_round=5)
    add_feed(tmp_path, f"{site.base}/many.xml", limits)
    logged: list[str] = []
    rounds = [update_feeds(tmp_path, limits, logged.append)[0] for _ in range(3)]
    assert [r.new for r in rounds] == [5, 5, 2]
    assert "7 more items wait for the next round (RAG_FEED_ITEMS_PER_ROUND)" in "\n".join(logged)
    assert len(load_articles(tmp_path)[0]) == 12


def test_an_article_text_over_the_cap_is_refused_with_its_size(site, tmp_path) -> None:
    limits = FetchLimits(timeout=2.0, max_bytes=5_000_000, allow_private=True, max_chars=100_000)
    with pytest.raises(FetchError, match=r"big.html: the article's text is 1,999,999 characters, over the 100,000 limit"):
        add_url(f"{site.base}/big.html", tmp_path, limits)
    assert not (tmp_path / "web").exists() or not list((tmp_path / "web").iterdir())


def test_fetching_through_the_api_leaves_the_model_to_the_answer_that_holds_it(site, tmp_path) -> None:
    """An answer holds the model's turn; a request to add a page fetches it meanwhile (it does not wait for the
    turn to fetch), then takes the turn for the index update once the answer is done."""
    from types import SimpleNamespace

    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from rag import Settings
    from rag.index.live import LiveIndex
    from ui.api import api_routes
    from ui.model_queue import ModelQueue

    settings = Settings(seeds_dir=tmp_path / "articles", index_dir=tmp_path / "idx", fetch_allow_private=True)
    queue = ModelQueue(2)
    http = TestClient(FastAPI(routes=api_routes(SimpleNamespace(index=LiveIndex(settings)), settings, queue, None)),
                      base_url="http://127.0.0.1:7860")  # fmt: skip
    answering, fetched_meanwhile = threading.Event(), threading.Event()

    def answer() -> None:
        with queue.turn():
            answering.set()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and "/news/ferry.html" not in site.requests:
                time.sleep(0.05)
            if "/news/ferry.html" in site.requests:
                fetched_meanwhile.set()

    holder = threading.Thread(target=answer)
    holder.start()
    answering.wait(5)
    reply = http.post("/v1/articles", json={"urls": [f"{site.base}/news/ferry.html"]})
    holder.join()
    assert fetched_meanwhile.is_set()  # fetched while the answer held the model
    assert reply.status_code == 200 and reply.json()["index"].startswith("added 1,")
