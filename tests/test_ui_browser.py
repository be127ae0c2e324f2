"""The chat page in Debian chromium, against a real server with the default answering model.

One journey, because every answer costs 15-40 s on two cores: click an example question about the seed
article, click the answer's [n] to open its passage, read the cited sources with the supporting words in bold, an abstention that says why, upload a
new article, stop a generation with Esc, ask about the new article, delete it, and read the page on a
phone-sized screen. Screenshots go to test-output/ (docs/chat.png is the answer with its sources).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists() and not os.environ.get("RAG_REQUIRE_BROWSER"):
    pytest.skip("Debian chromium is missing: apt-get install chromium chromium-driver", allow_module_level=True)

OUT = Path(__file__).resolve().parent.parent / "test-output"
SEED_TITLE = "Washington cools contact with Moscow"
EXAMPLE = "Where did Trump say the meeting with Putin would happen?"
REASON_EXAMPLE = "Why was the meeting between Marco Rubio and Lavrov postponed?"
NEW_TITLE = "Lumora Bridge opens in Vellmar"
NEW_ARTICLE = f"""{NEW_TITLE}
March 3, 2026
The new Lumora Bridge over the river Senn opened in the town of Vellmar on 3 March 2026.
Mayor Anika Holt cut the ribbon at the opening ceremony on Tuesday morning.
The bridge is 240 metres long and took three years to build.
Holt said the bridge would shorten the drive to the regional hospital by twenty minutes.
About two thousand residents walked across the bridge on its first day.
"""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ANSWER_SECONDS = 300  # queue wait + prompt + generation (+ a second attempt after a decline) on busy cores


def launch(playwright, tmp_path):
    """Debian chromium, headless, on a fresh profile in tmp_path."""
    return playwright.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                         headless=True, args=CHROMIUM_ARGS,
                                                         viewport={"width": 1280, "height": 900})


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUT / name), full_page=True)


def bot_texts(page) -> list[str]:
    return page.locator('[data-testid="bot"]').all_inner_texts()


def ask(page, question: str, stop_after_retrieval: bool = False, screenshot: str | None = None,
        click=None) -> list[str]:
    """Type a question (or click the example `click`), wait for the answer to finish (the Stop button
    vanishes); the new bot messages. stop_after_retrieval presses Esc once the passages are listed."""
    before = page.locator('[data-testid="bot"]').count()
    step = page.locator(".thought-group .title", has_text=re.compile(r"Retrieved \d+ passages? from"))
    steps_before = step.count()  # a stopped answer keeps its step
    box = page.locator("#question textarea")
    if click is not None:
        click.click()
    else:
        box.fill(question)
        box.press("Enter")
    page.locator('[data-testid="bot"]').nth(before).wait_for(timeout=ANSWER_SECONDS * 1000)
    stop = page.locator("button.stop-button")
    if screenshot or stop_after_retrieval:
        step.nth(steps_before).wait_for(timeout=ANSWER_SECONDS * 1000)  # retrieval done: the passages listed
    if screenshot:
        shot(page, screenshot)
    if stop_after_retrieval:
        box.press("Escape")
        stop.wait_for(state="detached", timeout=15_000)
    else:
        stop.wait_for(state="detached", timeout=ANSWER_SECONDS * 1000)
    page.wait_for_timeout(500)  # the last update renders
    return bot_texts(page)[before:]


def open_last_sources(page) -> str:
    """Open the newest "Sources (n)" accordion in the chat, scroll its answer to the top; its text."""
    group = page.locator(".thought-group").filter(has_text=re.compile(r"Sources \(\d+\)")).last
    group.locator(".title").first.click()
    group.get_by_text(re.compile(r"^\[\d+\] ")).first.wait_for(timeout=10_000)
    page.wait_for_timeout(1000)  # the accordion opens, the chat settles its scrolling
    page.locator(".bot-row").last.evaluate("row => row.scrollIntoView({block: 'start'})")  # answer + sources
    page.wait_for_timeout(300)
    return group.inner_text()


def test_chat_journey_in_chromium(ui_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    OUT.mkdir(exist_ok=True)
    outside: list[str] = []
    console: list[str] = []
    with sync_playwright() as p:
        context = launch(p, tmp_path)
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).scheme in ("http", "https")
                    and urlsplit(r.url).hostname not in ("127.0.0.1", "localhost") else None)
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                    else None)
            page.goto(ui_server.url)
            page.locator("#question textarea").wait_for()
            expect(page.locator("#index-status")).to_contain_text("1 article,")
            example = page.get_by_text(EXAMPLE).first  # the default corpus's own example questions
            expect(example).to_be_visible()
            shot(page, "ui-1-start.png")

            # 1. an example question the seed article answers: cited answer, sources with the article's title
            messages = ask(page, EXAMPLE, screenshot="ui-2-retrieved.png", click=example)
            answer = messages[0]
            assert re.search(r"\[\d+\]", answer), messages
            assert "Budapest" in answer, messages
            assert any(m.startswith("Sources (") for m in messages), messages
            # a click on the answer's [n] opens the passage under the answer, the backing words in bold
            link = page.locator('[data-testid="bot"] a[href^="#source-"]').first
            number = link.get_attribute("href").removeprefix("#source-")
            link.click()
            focused = page.locator(".thought-group .source-focus")
            expect(focused.first).to_contain_text(f"[{number}] ", timeout=10_000)
            expect(page.locator(".thought-group blockquote.source-focus strong").first).to_be_visible()
            page.wait_for_timeout(800)  # the smooth scroll ends
            shot(page, "ui-2b-marker-clicked.png")
            group = page.locator(".thought-group").filter(has_text=re.compile(r"Sources \(\d+\)")).last
            sources = group.inner_text()
            page.locator(".bot-row").last.evaluate("row => row.scrollIntoView({block: 'start'})")
            assert SEED_TITLE in sources, sources
            assert "2025-10-21" in sources
            expect(page.locator("#sources-panel")).to_contain_text(SEED_TITLE)
            expect(page.locator("#sources-panel")).to_contain_text("Budapest")  # the quoted passage
            group = page.locator(".thought-group").filter(has_text=re.compile(r"Sources \(\d+\)")).last
            backing = group.locator("strong").filter(has_text="Budapest")  # the words behind the answer
            expect(backing.first).to_be_visible()
            assert "Checked: " in sources, sources
            shot(page, "ui-3-answer-sources.png")
            page.screenshot(path=str(OUT / "chat.png"))  # the README's picture

            # another example (typed: the examples leave once the chat starts), asked second: its reason stands
            # in the sentence after the one naming the meeting
            messages = ask(page, REASON_EXAMPLE)
            assert "disagreements" in messages[0] and re.search(r"\[\d+\]", messages[0]), messages
            assert "Checked: " in open_last_sources(page)

            # an abstention says why, without waiting for the model
            messages = ask(page, "What did Jens Stoltenberg say about the planned summit?")
            assert "do not mention Jens Stoltenberg" in messages[0], messages
            assert "Why: the question names something no retrieved passage mentions" in messages[0], messages
            shot(page, "ui-3b-abstention.png")

            # 2. upload a new article through the file input and add it to the index
            article = tmp_path / "lumora-bridge.txt"
            article.write_text(NEW_ARTICLE, encoding="utf-8")
            page.locator('input[type="file"]').set_input_files(str(article))
            expect(page.get_by_text("lumora-bridge.txt").first).to_be_visible()
            page.get_by_role("button", name="Add to index").click()
            expect(page.locator("#upload-status")).to_contain_text("Added lumora-bridge.txt to the index",
                                                                   timeout=180_000)
            expect(page.locator("#upload-status")).to_contain_text("added 1, changed 0, removed 0, unchanged 1")
            expect(page.locator("#index-status")).to_contain_text("2 articles,")
            assert (ui_server.seeds / "lumora-bridge.txt").read_text(encoding="utf-8") == NEW_ARTICLE
            shot(page, "ui-4-uploaded.png")

            # the same file again is refused, and the index is unchanged
            page.locator('input[type="file"]').set_input_files(str(article))
            expect(page.get_by_text("lumora-bridge.txt").first).to_be_visible()
            page.get_by_role("button", name="Add to index").click()
            expect(page.locator("#upload-status")).to_contain_text("Nothing was added", timeout=60_000)
            expect(page.locator("#upload-status")).to_contain_text("already in the articles folder")

            # 3. Esc stops: the generation ends, no sources are attached, the box takes a new question
            stopped = ask(page, "What did Lavrov say about the talks?", stop_after_retrieval=True)
            assert not any(m.startswith("Sources (") for m in stopped), stopped
            assert re.search(r"\(stopped\)|Stopped before the answer began", stopped[-1]), stopped
            expect(page.locator("#sources-panel")).to_contain_text("Stopped: the answer was not finished")
            expect(page.locator("#question textarea")).to_be_editable(timeout=10_000)
            shot(page, "ui-5-stopped.png")

            # 4. a question only the uploaded article answers
            messages = ask(page, "How long is the Lumora Bridge?")
            answer = messages[0]
            assert "240" in answer, messages
            assert re.search(r"\[\d+\]", answer), messages
            sources = open_last_sources(page)
            assert NEW_TITLE in sources, sources
            expect(page.locator("#sources-panel")).to_contain_text(NEW_TITLE)
            shot(page, "ui-6-new-article-answer.png")

            # 5. a follow-up that leans on the previous question is searched with it
            messages = ask(page, "When did it open?")
            expect(page.locator("#sources-panel")).to_contain_text(
                "Searched as: When did it open? (about: How long is the Lumora Bridge?")
            if not messages[0].startswith("The indexed articles do not say"):
                assert NEW_TITLE in open_last_sources(page), messages
            shot(page, "ui-7-follow-up.png")

            # 6. the date range: nothing was published before 2020, so the answer says the articles do not say
            page.get_by_text("Date range").click()
            until = page.locator("#until input").first
            until.fill("2020-01-01")
            until.press("Enter")
            before = page.locator('[data-testid="bot"]').count()
            page.locator("#question textarea").fill("Who opened the Lumora Bridge?")
            page.locator("#question textarea").press("Enter")
            expect(page.locator('[data-testid="bot"]').nth(before)).to_contain_text(
                "The indexed articles do not say.", timeout=60_000)
            shot(page, "ui-8-date-range.png")
            until.fill("")
            until.press("Enter")

            # 7. delete the uploaded article: its file leaves the folder, and no answer cites it any more
            page.get_by_text("Articles in the index").click()
            expect(page.locator("#article-table")).to_contain_text(NEW_TITLE)
            page.locator("#delete-choice input").click()
            page.get_by_role("option", name=re.compile(NEW_TITLE)).click()
            page.get_by_role("button", name="Delete from the index").click()
            expect(page.locator("#delete-status")).to_contain_text("Deleted lumora-bridge.txt", timeout=180_000)
            expect(page.locator("#index-status")).to_contain_text("1 article,")
            expect(page.locator("#article-table")).not_to_contain_text(NEW_TITLE)
            assert not (ui_server.seeds / "lumora-bridge.txt").exists()
            messages = ask(page, "Who opened the Lumora Bridge?")
            assert "Holt" not in messages[0] and not any(m.startswith("Sources (") for m in messages), messages
            shot(page, "ui-9-deleted.png")

            # 8. a phone-sized screen: everything stacks, nothing runs off the side
            page.set_viewport_size({"width": 390, "height": 844})
            page.wait_for_timeout(500)
            assert page.evaluate("document.documentElement.scrollWidth") <= 391
            box_width = page.locator("#question textarea").bounding_box()["width"]
            assert box_width > 250, box_width
            page.screenshot(path=str(OUT / "ui-10-phone.png"))

            # no error badge anywhere; nothing was fetched from outside this machine (fonts, scripts, analytics)
            assert page.get_by_text("Error", exact=True).count() == 0, console
            assert outside == []
        finally:
            context.close()


def test_add_by_url_and_follow_a_feed_in_chromium(tmp_path):
    """The page's Add by URL box and Feeds list against the loopback fixture site (no answers are asked for,
    so a scripted answering server stands in for the model)."""
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import running_server
    from tests.fakes import ChatServer
    from tests.web_fixtures import WebServer

    OUT.mkdir(exist_ok=True)
    site, model = WebServer(), ChatServer(lambda body: ["unused"])
    try:
        with running_server(tmp_path / "server", RAG_GENERATOR=f"openai:{model.url}",
                            RAG_FETCH_ALLOW_PRIVATE="1") as server, sync_playwright() as p:  # fmt: skip
            context = launch(p, tmp_path)
            try:
                page = context.new_page()
                page.set_default_timeout(60_000)
                page.goto(server.url)
                expect(page.locator("#index-status")).to_contain_text("1 article,")

                page.locator("#add-url textarea, #add-url input").first.fill(
                    f"{site.base}/news/bridge.html {site.base}/missing.html")
                page.get_by_role("button", name="Fetch and add").click()
                status = page.locator("#add-url-status")
                expect(status).to_contain_text("Saved 1 article.", timeout=120_000)
                expect(status).to_contain_text("added 1, changed 0, removed 0, unchanged 1")
                expect(status).to_contain_text(f"{site.base}/missing.html: failed, the server answered 404")
                expect(page.locator("#index-status")).to_contain_text("2 articles,")
                shot(page, "ui-11-added-by-url.png")

                page.get_by_text("Feeds", exact=True).click()
                page.locator("#feed-url textarea, #feed-url input").first.fill(f"{site.base}/feed.xml")
                page.locator("#follow-feed").click()
                expect(page.locator("#feed-status")).to_contain_text("Following Coastal Courier")
                expect(page.locator("#feed-table")).to_contain_text("not yet")
                page.locator("#update-feeds").click()
                expect(page.locator("#feed-status")).to_contain_text("2 new, 0 updated, 0 failed", timeout=120_000)
                expect(page.locator("#feed-status")).to_contain_text("added 2, changed 0, removed 0, unchanged 2")
                expect(page.locator("#index-status")).to_contain_text("4 articles,")
                expect(page.locator("#feed-table")).to_contain_text("Coastal Courier")
                shot(page, "ui-12-feeds.png")
                page.locator("#update-feeds").click()
                expect(page.locator("#feed-status")).to_contain_text("not modified", timeout=60_000)
                expect(page.locator("#feed-status")).to_contain_text("Nothing new to index.")

                page.get_by_role("tab", name="Briefing").click()  # the briefing of the latest day
                page.locator("#brief-me").click()
                stories = page.locator("#briefing-stories")
                expect(stories).to_contain_text("1 story from 1 article, 2025-10-20 to 2025-10-21", timeout=60_000)
                expect(stories).to_contain_text("[1] Washington cools contact with Moscow")
                stories.locator('a[href="#brief-1-1"]').first.click()  # a quote's [1]: its passage, in focus
                focused = page.locator("#briefing-passages .source-focus")
                expect(focused.first).to_contain_text("Story 1 · [1] Washington cools contact with Moscow")
                quoted = stories.locator("blockquote p").first.inner_text().split("”")[0].strip("“ ")
                expect(focused.last).to_contain_text(quoted)
                assert "#brief" not in page.url  # the page stays where it is
                shot(page, "ui-14-briefing.png")
                assert page.get_by_text("Error", exact=True).count() == 0
            finally:
                context.close()
    finally:
        site.stop()
        model.close()


def test_hostile_replies_and_article_text_render_without_outside_links_in_chromium(tmp_path):
    """The page's own chat and sources panel, rendered by Gradio's front end (marked, GFM): a reply that puts
    addresses after its [n] markers, defines them, or writes bare addresses, and article fields that carry
    bare addresses, leave no link or image to anywhere but the answer's own [n] and the article's address."""
    from dataclasses import replace

    import gradio as gr
    from playwright.sync_api import sync_playwright

    from rag.model import Answer, Citation
    from tests.conftest import free_port
    from tests.test_ui_app import HOSTILE, LINKS_AT_MARKERS
    from ui.page.chat import answers_chatbot
    from ui.page.messages import answer_messages
    from ui.render import panel_markdown

    OUT.mkdir(exist_ok=True)
    cited = Citation(1, "Read https://evil.example/t or www.evil.example", "news@evil.example", "2026-03-03",
                     "https://wire.example/story", "Passage 9http://evil.example/p and _www.evil.example here.",
                     1.0, "a.txt", 1)
    answers = [Answer("Q?", text, [cited, replace(cited, number=2)]) for text in (HOSTILE, LINKS_AT_MARKERS)]
    messages = [m for answer in answers for m in answer_messages(answer)]
    with gr.Blocks() as demo:
        answers_chatbot(messages)
        gr.Markdown(panel_markdown(answers[1]), elem_id="sources-panel", latex_delimiters=[])
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, share=False, prevent_thread_lock=True)
    try:
        with sync_playwright() as p:
            context = launch(p, tmp_path)
            try:
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                page.locator('[data-testid="bot"]').first.wait_for(timeout=60_000)
                page.get_by_text("evil.example/defined").first.wait_for(timeout=30_000)  # shown, as text
                page.wait_for_timeout(1000)
                shot(page, "ui-13-hostile-text.png")
                found = page.evaluate("""() => Array.from(document.querySelectorAll(
                    '[data-testid="bot"] a, [data-testid="bot"] img, #sources-panel a, #sources-panel img'))
                    .map(e => e.getAttribute('href') || e.getAttribute('src') || '')""")
            finally:
                context.close()
    finally:
        demo.close()
    outside = {a for a in found if not a.startswith("#source-") and a != "https://wire.example/story"}
    assert found and outside == set(), outside

