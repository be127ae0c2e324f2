"""The briefing on a corpus of the team's own writing with known stories: one event told by two outlets, a
syndicated copy, an update that changes a figure, an unrelated story and an article older than the window."""

from __future__ import annotations

import json
import re

import pytest

from rag.briefing.brief import brief, briefing_lines, window
from rag.errors import RagError
from rag.index.indexing import build_index

BRIDGE_COURIER = {
    "id": "bridge-courier", "title": "Harbour bridge reopens after eight months of repairs", "source": "Coastal Courier",
    "published": "2026-03-02", "url": "https://courier.example/bridge",
    "text": "The harbour bridge in Vellmar reopened to traffic on Monday after eight months of repairs. The city "
            "council said the repairs cost 14 million euros, two million more than planned. About 30,000 vehicles "
            "crossed the bridge each day before it closed, according to the harbour authority. Mayor Anika Holt "
            "cut the ribbon at a short ceremony on the eastern ramp.",
}  # fmt: skip
BRIDGE_POST = {
    "id": "bridge-post", "title": "Vellmar's harbour bridge open again", "source": "Vellmar Post",
    "published": "2026-03-02", "url": "https://post.example/bridge",
    "text": "Drivers were back on Vellmar's harbour bridge on Monday as the crossing reopened after eight months of "
            "repair work. The repairs to the bridge cost the city 14 million euros, the council said. Traffic on the "
            "harbour bridge is expected to return to about 30,000 vehicles a day within weeks. Cyclists get a new "
            "protected lane on the western side of the bridge.",
}  # fmt: skip
BRIDGE_WIRE = {**BRIDGE_POST, "id": "bridge-wire", "source": "Regional Wire", "url": "https://wire.example/bridge"}
BRIDGE_UPDATE = {
    "id": "bridge-update", "title": "Harbour bridge traffic higher than before the repairs", "source": "Coastal Courier",
    "published": "2026-03-03", "url": "https://courier.example/bridge-traffic",
    "text": "Traffic on Vellmar's reopened harbour bridge rose to 35,000 vehicles on Tuesday, the harbour authority "
            "said, more than the 30,000 a day before the repairs. The bridge reopened on Monday after eight months "
            "of repairs that cost 14 million euros.",
}  # fmt: skip
LUNCH = {
    "id": "lunch", "title": "School lunches to cost more from April", "source": "Vellmar Post", "published": "2026-03-03",
    "url": "https://post.example/lunch",
    "text": "School lunches in Vellmar will cost 4.20 euros from April, up from 3.80 euros, the education office "
            "announced on Tuesday. The office blamed higher prices for vegetables and dairy products. Families with "
            "low incomes will keep getting free meals.",
}  # fmt: skip
OLD = {
    "id": "old", "title": "Harbour bridge to close for repairs", "source": "Coastal Courier", "published": "2025-07-01",
    "text": "The harbour bridge in Vellmar will close for repairs in July, the city council decided on Monday.",
}  # fmt: skip
RADIO = {
    "id": "bridge-radio", "title": "Record traffic on the harbour bridge", "source": "Harbour Radio",
    "published": "2026-03-03",
    "text": "The reopened harbour bridge in Vellmar carried 41,000 vehicles on Tuesday, a record, the harbour "
            "authority said. The bridge reopened on Monday after eight months of repairs costing 14 million euros.",
}  # fmt: skip


@pytest.fixture
def news(make_settings, embedder):
    settings = make_settings()
    settings.seeds_dir.mkdir(parents=True)

    def write(*articles: dict) -> None:
        (settings.seeds_dir / "news.jsonl").write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
        build_index(settings, embedder=embedder, log=lambda _: None, progress=False)

    write(BRIDGE_COURIER, BRIDGE_POST, BRIDGE_WIRE, BRIDGE_UPDATE, LUNCH, OLD)
    return settings, write


def article(briefing_source_article: str) -> dict:
    return next(a for a in (BRIDGE_COURIER, BRIDGE_POST, BRIDGE_WIRE, BRIDGE_UPDATE, LUNCH, OLD, RADIO)
                if briefing_source_article.endswith(f"#{a['id']}"))  # fmt: skip


def test_the_known_stories_are_found_with_their_outlets_and_quotes(news):
    settings, _ = news
    briefing = brief(settings)
    assert (briefing.since, briefing.until, briefing.articles, briefing.previous) == ("2026-03-02", "2026-03-03", 5, None)
    bridge, lunch = briefing.stories  # the older article is outside the window
    assert {article(s.article)["id"] for s in bridge.sources} == {"bridge-courier", "bridge-post", "bridge-wire",
                                                                   "bridge-update"}  # fmt: skip
    assert [s.source for s in lunch.sources] == ["Vellmar Post"] and lunch.headline == LUNCH["title"]
    assert "harbour bridge" in bridge.headline.lower()
    for story in briefing.stories:
        assert 1 <= len(story.quotes) <= 3
        for text, number in story.quotes:  # word for word from the article it cites
            assert text in " ".join(article(story.sources[number - 1].article)["text"].split())
    assert len({number for _, number in bridge.quotes}) > 1  # from more than one article
    assert sum("reopen" in t for t, _ in bridge.quotes) == 1  # the reopening, told by every outlet, quoted once
    assert all(article(bridge.sources[n - 1].article)["id"] != "bridge-wire" for _, n in bridge.quotes)  # not a copy
    text = "\n".join(briefing_lines(briefing))
    assert "2 stories from 5 articles" in text and "[1] " in text and "https://courier.example/bridge" in text


def test_a_new_outlet_a_new_figure_and_a_new_story_are_marked_against_the_last_briefing(news):
    settings, write = news
    brief(settings)
    more = {**LUNCH, "id": "ferry", "title": "Ferry to Nordholm cancelled for a week", "source": "Harbour Radio",
            "text": "The ferry between Vellmar and Nordholm will not sail for a week from Wednesday while its engine "
                    "is replaced, the operator Nordlys Lines said on Tuesday. Passengers can take a bus instead."}  # fmt: skip
    write(BRIDGE_COURIER, BRIDGE_POST, BRIDGE_WIRE, BRIDGE_UPDATE, LUNCH, OLD, RADIO, more)
    briefing = brief(settings)
    assert briefing.previous is not None
    by_headline = {s.headline: s for s in briefing.stories}
    bridge = next(s for s in briefing.stories if "bridge" in s.headline.lower())
    assert bridge.changes.new_outlets == ("Harbour Radio",) and not bridge.changes.new_story
    assert bridge.changes.new_figures == ("41,000",)  # the record the new outlet reports
    [((first, _), (second, _))] = [d for d in bridge.differences if "41,000" in d[0][0] + d[1][0]]
    assert "vehicles" in first and "vehicles" in second  # side by side with another outlet's traffic figure
    assert by_headline[more["title"]].changes.new_story
    assert not by_headline[LUNCH["title"]].changes.new_story and not by_headline[LUNCH["title"]].changes.new_quotes
    assert "[new outlet: Harbour Radio] [new figures: 41,000]" in "\n".join(briefing_lines(briefing))


def test_about_and_the_window_choose_what_is_briefed(news):
    settings, _ = news
    assert [s.headline for s in brief(settings, about="lunches", keep=False).stories] == [LUNCH["title"]]
    assert brief(settings, since="2025-07-01", keep=False).articles == 6
    assert brief(settings, since="2025-07-01", until="2025-07-31", keep=False).articles == 1
    with pytest.raises(RagError, match="no window: give a number of days"):
        brief(settings, since="last tuesday", keep=False)
    from datetime import date

    assert window("7d", date(2026, 3, 3)) == (date(2026, 2, 24), date(2026, 3, 3))


def test_rag_brief_prints_the_stories_with_their_sources(news, capsys):
    from rag.cli import main

    settings, _ = news
    assert main(["brief", "--seeds", str(settings.seeds_dir), "--index", str(settings.index_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("What's new from 2026-03-02 to 2026-03-03: 2 stories from 5 articles")
    assert "Sources:" in out and "(Vellmar Post, 2026-03-03) https://post.example/lunch" in out
    assert main(["brief", "--index", str(settings.index_dir), "--since", "someday"]) == 2
    assert "no window" in capsys.readouterr().err


def test_get_v1_briefing_gives_the_stories_as_json(news):
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from ui.api import api_routes
    from ui.model_queue import ModelQueue

    settings, _ = news
    http = TestClient(FastAPI(routes=api_routes(None, settings, ModelQueue(0), None)), base_url="http://127.0.0.1:7860")
    reply = http.get("/v1/briefing", params={"about": "lunches"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["object"] == "briefing" and [s["headline"] for s in body["stories"]] == [LUNCH["title"]]
    assert body["stories"][0]["sources"][0]["url"] == "https://post.example/lunch"
    assert isinstance(body["stories"][0]["changes"]["new_quotes"], list)
    assert http.get("/v1/briefing", params={"since": "someday"}).json()["error"]["message"].startswith("--since")
    assert http.get("/v1/briefing", headers={"Origin": "http://evil.example"}).status_code == 403
    assert body["stories"][0]["summary"] == "" and body["stories"][0]["passages"][0]["number"] == 1


def test_get_v1_briefing_with_summary_true_asks_the_model_in_its_turn(news):
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from rag.answering.qa import QA
    from tests.fakes import ScriptedModel
    from ui.api import api_routes
    from ui.model_queue import ModelQueue

    settings, _ = news
    model = ScriptedModel("School lunches in Vellmar will cost 4.20 euros from April, up from 3.80 euros [1].")
    queue = ModelQueue(0)
    http = TestClient(FastAPI(routes=api_routes(QA(settings, generator=model), settings, queue, None)),
                      base_url="http://127.0.0.1:7860")  # fmt: skip
    body = http.get("/v1/briefing", params={"about": "lunches", "summary": "true"}).json()
    assert body["stories"][0]["summary"].startswith("School lunches in Vellmar will cost 4.20 euros") and model.calls == 1
    with queue.turn():  # the model busy with an answer and no room to wait: 429, not a second model call
        assert http.get("/v1/briefing", params={"summary": "true"}).status_code == 429
    assert model.calls == 1


def test_rag_update_brief_prints_the_stories_a_round_brought(tmp_path, capsys, monkeypatch):
    from rag.cli import main
    from tests.web_fixtures import WebServer

    site = WebServer()
    monkeypatch.setenv("RAG_FEED_ITEMS_PER_ROUND", "1")  # one item a round: the second round brings a story
    folders = ["--seeds", str(tmp_path / "articles"), "--index", str(tmp_path / "index"), "--allow-private"]
    try:
        assert main(["feed", "add", f"{site.base}/feed.xml", *folders]) == 0
        assert main(["update", "--brief", *folders]) == 0  # the first briefing: remembered, nothing to compare
        first = capsys.readouterr().out
        assert main(["update", "--brief", *folders]) == 0
        second = capsys.readouterr().out
    finally:
        site.stop()
    assert "What's new" not in first and "1 new, 0 updated" in first
    assert "What's new" in second and "[new story]" in second and "Sources:" in second


def test_the_page_shows_the_stories_as_cards_and_each_citation_has_its_passage(news):
    from rag.briefing.brief import Briefing, BriefStory, Passage, Source
    from tests.test_ui_app import links
    from rag.answering.qa import QA
    from ui.model_queue import ModelQueue
    from ui.page.briefing import show_briefing
    from ui.page.shared import Page
    from ui.render import briefing_markdown, briefing_passages_markdown

    settings, _ = news
    shown = Page(QA(settings), settings, ModelQueue(2))
    page, passages = show_briefing(shown, "the latest day", "")
    assert page.startswith("**2 stories from 5 articles, 2026-03-02 to 2026-03-03**") and "### 1. " in page
    cited = set(re.findall(r"\(#brief-(\d+)-(\d+)\)", page))  # every [n] of a quote or a figure opens a passage
    assert cited and all(f"**Story {i} · \\[{n}\\] " in passages for i, n in cited)
    made = brief(settings, keep=False)
    for i, story in enumerate(made.stories, start=1):  # the passage holds its quoted sentence, in bold
        for passage in story.passages:
            assert passage.sentence in passage.text and f"**{passage.sentence.split()[0]}" in passages
            assert len(passage.text) > len(passage.sentence)  # its neighbours too
    assert "](<https://post.example/lunch>)" in passages  # the passage's article opens from the panel
    hostile = Briefing("2026-03-02", "2026-03-03", (BriefStory(
        "<img src=x> *Bridge* https://evil.example/a", (("Quote [1](http://evil.example) www.evil.example", 1),),
        (Source(1, "a", "[x](javascript:alert(1))", "Feed http://evil.example", "2026-03-03", "javascript:alert(1)"),),
        passages=(Passage(1, "Quote [1](http://evil.example) www.evil.example",
                          "<b>Before</b> Quote [1](http://evil.example) www.evil.example *after*"),),
    ),), None, 1)  # fmt: skip
    for markdown in (briefing_markdown(hostile), briefing_passages_markdown(hostile)):
        html_page, addresses = links(markdown)
        assert {a for a in addresses if a != "#brief-1-1"} == set() and "<img" not in html_page and "<b>" not in html_page and "<em>" not in html_page
    nowhere = settings.__class__(index_dir=settings.index_dir.parent / "none")
    assert "No briefing:" in show_briefing(Page(QA(nowhere), nowhere, ModelQueue(2)), "x", "")[0]


def test_a_story_summary_is_shown_only_when_the_verification_keeps_it(news):
    """The optional one sentence a story: the model's sentence stays when every figure stands in the passage it
    cites; a sentence that changes a figure (a lying model) shows no summary. Scripted models isolate the rule;
    tests/test_real_model.py runs it with the real model."""
    from tests.fakes import ScriptedModel

    settings, _ = news
    story = next(s for s in brief(settings, keep=False).stories if "bridge" in s.headline.lower())
    passage = next(p for p in story.passages if re.search(r"\d", p.sentence))
    true = f"{passage.sentence.rstrip('.')} [{passage.number}]."
    figure = re.search(r"\d+(?:,\d{3})*", passage.sentence).group()
    lie = true.replace(figure, str(int(figure.replace(",", "")) + 7), 1)
    honest, lying = ScriptedModel(true), ScriptedModel(lie)
    kept = brief(settings, keep=False, summarize=honest)
    bridge = next(s for s in kept.stories if s.headline == story.headline)
    assert bridge.summary.startswith(passage.sentence.rstrip(".")) and f"[{passage.number}]" in bridge.summary
    assert honest.calls == len(kept.stories) and any(passage.sentence in prompt for prompt in honest.prompts)
    assert f"In one sentence (checked): {bridge.summary}" in "\n".join(briefing_lines(kept))
    assert all(s.summary == "" for s in brief(settings, keep=False, summarize=lying).stories)
    assert all(s.summary == "" for s in brief(settings, keep=False).stories)  # off unless asked for
