"""The chat page without a browser: start-up checks, rendering of answers (escaped), the app's endpoints."""

from __future__ import annotations

import html
import re
import subprocess
import sys

import httpx
import pytest

from rag.answering.prompting import ABSTAIN
from rag.model import Answer, Citation, Timings
from rag.model import Report
from rag.config import Settings
from rag.errors import RagError
from rag.search.followup import standalone_question
from rag.model import Hit
from ui import app, render
from ui.page import chat, layout, messages, shared

EVIL_TITLE = 'Mayor <script>alert("x")</script> wins *big* [1](javascript:alert(1))'


def hit(n: int, article: str = "a.txt", title: str = EVIL_TITLE) -> Hit:
    return Hit(n, article, title, "Daily <b>News</b>", "2026-03-03", "https://news.example/a b", f"Passage {n} <img "
               "src=x onerror=alert(1)> text.", 0, 40, 1.0 / n, 0.8 - n / 10)


def citation(n: int) -> Citation:
    h = hit(n)
    return Citation(n, h.title, h.source, h.published, h.url, h.text, h.score, h.article_id, h.chunk_id)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org"])
def test_serve_refuses_a_public_address_without_a_login(monkeypatch, tmp_path, host):
    monkeypatch.delenv("RAG_UI_USER", raising=False)
    monkeypatch.setenv("RAG_UI_PASSWORD", "secret")
    with pytest.raises(RagError, match="RAG_UI_USER and RAG_UI_PASSWORD.*--host 127.0.0.1"):
        app.serve(Settings(seeds_dir=tmp_path, index_dir=tmp_path / "index"), host=host, port=1, build=True)
    assert not (tmp_path / "index").exists()  # refused before building anything


def test_login_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RAG_UI_USER", "ann")
    monkeypatch.setenv("RAG_UI_PASSWORD", "pw")
    monkeypatch.delenv("RAG_API_KEY", raising=False)
    assert app.login_for("0.0.0.0") == ("ann", "pw")
    assert app.login_for("127.0.0.1") is None and app.login_for("localhost") is None
    monkeypatch.setenv("RAG_API_KEY", "k")  # the page on loopback is no open side door to what the key guards
    assert app.login_for("127.0.0.1") == ("ann", "pw")
    monkeypatch.delenv("RAG_UI_USER")
    check = app.login_for("127.0.0.1")
    assert callable(check) and check("anyone", "k") and not check("anyone", "wrong")


def test_the_page_endpoints_follow_the_api_rule_for_other_sites_and_the_key(monkeypatch, tmp_path):
    """Gradio's own endpoints (what the page calls, e.g. /gradio_api/call/add_by_url): without a login they
    refuse a foreign Host (DNS rebinding) or Origin like the API; with RAG_API_KEY set they need the login."""
    import gradio as gr

    from tests.conftest import free_port

    calls: list[str] = []
    settings = Settings(seeds_dir=tmp_path, index_dir=tmp_path / "index")
    for key in ("", "k"):
        monkeypatch.setenv("RAG_API_KEY", key)
        monkeypatch.delenv("RAG_UI_USER", raising=False)
        with gr.Blocks() as demo:
            box = gr.Textbox()
            gr.Button().click(calls.append, box, None, api_name="add_by_url")
        port = free_port()
        app.launch(demo, "127.0.0.1", port, settings, app.login_for("127.0.0.1"))
        try:
            call = f"http://127.0.0.1:{port}/gradio_api/call/add_by_url"
            with httpx.Client(trust_env=False, timeout=30) as http:
                statuses = [http.post(call, json={"data": [f"{key}{n}"]}, headers=headers).status_code for n, headers in
                            enumerate([{"Host": "evil.example"}, {"Origin": "http://evil.example"}, {}])]  # fmt: skip
                if statuses[-1] == 200:
                    http.get(f"{call}/{http.post(call, json={'data': ['done']}).json()['event_id']}")  # ran
        finally:
            demo.close()
        assert statuses == ([403, 403, 200] if not key else [401, 401, 401]), (key, statuses)
    assert calls == ["2", "done"]  # only this machine's own request ran; nothing ran once a key was set


def test_article_text_is_escaped_everywhere():
    final = Answer("Who won?", "The mayor won [1].", [citation(1)], [hit(1), hit(2)], timings=Timings(0.1, 9, 20))
    rendered = [m["content"] for m in messages.answer_messages(final)] + [render.panel_markdown(final)]
    for text in rendered:
        assert "<script" not in text and "<img" not in text and "<b>" not in text
        assert not re.search(r"(?<!\\)\]\(javascript", text)  # the brackets are escaped: no link
    assert "&lt;script&gt;" in rendered[1] and "\\*big\\*" in rendered[1]
    assert "[open article](<https://news.example/a%20b>)" in rendered[1]
    assert render.link("javascript:alert(1)") == "" and render.link("file:///etc/passwd") == ""


def test_follow_up_dates_and_copies_are_shown_escaped():
    copy = {"title": "Copy", "source": "Echo <i>", "published": "2026-03-04", "url": ""}
    cited = Citation(1, "Bridge", "Wire", "2026-03-03", "", "The bridge opened.", 1.0, "a.txt", 0, (copy,))
    final = Answer("Who opened it?", "The mayor did [1].", [cited], [hit(1)],
                   standalone_question="Who opened it? (about: <b>bridge</b>)",
                   time_frame={"description": "'latest': newer articles ranked first"},
                   named_reports={"description": "Named in the question: <i>Wire</i>; articles that match ..."},
                   relies_on="Wire, 3 March 2026 [1]",
                   reports=[Report(2, "Courier", "2026-03-01", "Closed", "It stays *closed* <b>until</b> May."),
                            Report(1, "Wire", "2026-03-03", "Bridge", "The bridge opened.")])
    _, sources = messages.answer_messages(final)
    assert sources["content"].startswith("_Searched as: Who opened it? (about: &lt;b&gt;bridge&lt;/b&gt;)_")
    assert "_Relies on: Wire, 3 March 2026 \\[1\\]_" in sources["content"]
    assert "_Also reported by: Echo &lt;i&gt; (2026-03-04)_" in sources["content"]
    assert ('**What each report says, oldest first:**\n\n'
            '- Courier, 1 March 2026 \\[2\\]: "It stays \\*closed\\* &lt;b&gt;until&lt;/b&gt; May."\n'
            '- Wire, 3 March 2026 \\[1\\]: "The bridge opened."') in sources["content"]
    panel = render.panel_markdown(final)
    assert "Searched as: Who opened it? (about: &lt;b&gt;bridge&lt;/b&gt;)" in panel
    assert "Dates: 'latest': newer articles ranked first" in panel and panel.count("Searched as") == 1
    assert "_Named in the question: &lt;i&gt;Wire&lt;/i&gt;; articles that match ..._" in panel
    filtered = Answer("Who?", ABSTAIN, [], [], abstained=True, filters={"until": "2020-01-01"})
    assert "_Only articles published up to 2020-01-01_" in render.panel_markdown(filtered)
    step, _ = messages.answer_messages(Answer("Who opened it?", "", hits=[hit(1)], done=False,
                                         standalone_question="Who opened it? (about: the bridge)"))
    assert step["content"].startswith("_Searched as: Who opened it? (about: the bridge)_")
    assert chat.as_day("2026-03-04 00:00:00") == "2026-03-04" and chat.as_day("") is None
    assert chat.as_day("March 4") == "March 4"  # reported back by the library as not a date


def test_messages_for_each_stage_of_an_answer():
    partial = Answer("Who won?", "", hits=[hit(1), hit(2), hit(3, "b.txt", "Other")], done=False,
                     timings=Timings(0.25))
    step, text = messages.answer_messages(partial)
    assert step["metadata"] == {"title": "Retrieved 3 passages from 2 articles", "status": "done", "duration": 0.25}
    assert "Other" in step["content"] and "writing the answer" in text["content"]

    final = Answer("Who won?", "The mayor won [1].", [citation(1)], [hit(1)], uncited_sentences=["x"])
    answer, sources = messages.answer_messages(final)
    assert answer == {"role": "assistant", "content": "The mayor won [\\[1\\]](#source-1)."}  # opens passage 1
    history = [{"role": "user", "content": "Who won?"}, answer, sources]
    assert messages.conversation(history)[1]["content"] == "The mayor won [1]."  # follow-ups read plain markers
    assert sources["metadata"] == {"title": "Sources (1)", "status": "done"}
    assert sources["content"].startswith("**[1] Mayor &lt;script&gt;")
    assert "1 sentence of the answer cites no source" in sources["content"]

    abstained = Answer("Who won?", ABSTAIN, [], [hit(1)], abstained=True)
    assert messages.answer_messages(abstained) == [{"role": "assistant", "content": "The indexed articles do not say."}]
    assert "No sources" in render.panel_markdown(abstained)


def test_app_has_the_chat_and_upload_endpoints_in_one_queue(tmp_path):
    from rag.answering.qa import QA

    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    demo = layout.build_app(QA(settings), settings)  # models load on first use only: nothing loads here
    named = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name}
    assert {"chat", "add_articles"} <= set(named)
    assert named["chat"].concurrency_id == named["add_articles"].concurrency_id == shared.MODEL_QUEUE
    assert "none yet" in shared.index_status(settings)
    assert chat.example_questions(settings) == []


def test_a_port_taken_after_the_check_is_one_clear_error(tmp_path):
    import socket

    from rag.answering.qa import QA

    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    demo = layout.build_app(QA(settings), settings)
    with socket.socket() as taken:  # another program binds the port between the check and the launch
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        expected = (rf"^cannot serve on 127\.0\.0\.1:{port} \(it could not be opened\); another program .+ "
                    r"pick another port with --port N$")
        with pytest.raises(RagError, match=expected):
            app.launch(demo, "127.0.0.1", port, settings, auth=None)
    demo.close()


def test_python_m_ui_takes_the_serve_options():
    result = subprocess.run([sys.executable, "-m", "ui", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for option in ("--host", "--port", "--seeds", "--index", "--model", "--no-build"):
        assert option in result.stdout


def test_a_stopped_answer_says_so():
    step = {"role": "assistant", "content": [{"type": "text", "text": "x"}], "metadata": {"title": "Retrieved 1"}}
    waiting = {"role": "assistant", "content": [{"type": "text", "text": messages.WRITING}], "metadata": None}
    partial = {"role": "assistant", "content": [{"type": "text", "text": "The mayor"}], "metadata": None}
    assert messages.mark_stopped([step, waiting])[-1]["content"] == "_Stopped before the answer began._"
    assert messages.mark_stopped([step, partial])[-1]["content"] == "The mayor\n\n_(stopped)_"
    user_last = [{"role": "user", "content": [{"type": "text", "text": "Who?"}], "metadata": None}]
    assert messages.mark_stopped(user_last) == user_last
    assert messages.mark_stopped([]) == []


def test_follow_ups_read_answers_as_plain_text_without_errors_or_unstarted_answers():
    def said(role: str, text: str) -> dict:
        return {"role": role, "content": [{"type": "text", "text": text}], "metadata": None}

    history = [said("user", "Who bought the network?"), said("assistant", render.answer_text("AT&T bought it [1].")),
               said("user", "When?"), said("assistant", "**Error:** the since 'x' is not a date"),
               said("user", "Where?"), said("assistant", "_Stopped before the answer began._")]
    turns = messages.conversation(history)
    assert [t["content"] for t in turns if t["role"] == "assistant"] == ["AT&T bought it [1]."]
    assert standalone_question("Who sold it?", turns[:2]) == \
        "Who sold it? (about: Who bought the network? AT&T bought it.)"
    assert standalone_question("Who said that?", turns) == "Who said that? (about: Where?)"


def test_the_words_that_back_each_sentence_are_bold_and_removed_sentences_are_named():
    from rag.model import Support

    passage = "The bridge opened in May. Mayor Holt <b>cut</b> the ribbon. Trams run from June."
    cited = Citation(1, "Bridge opens", "Courier", "2026-03-03", "", passage, 1.0, "a.txt", 1)
    start = passage.index("Mayor")
    span = (start, passage.index("Trams") - 1)  # "Mayor Holt <b>cut</b> the ribbon."
    final = Answer("Who opened it?", "Mayor Holt cut the ribbon [1].", [cited], [hit(1)],
                   support=[Support("Mayor Holt cut the ribbon [1].", 1, *span)],
                   unsupported=["The bridge cost 40 million."], timings=Timings(0.1, 2, 3))
    sources = render.sources_markdown(final)
    assert "**Mayor Holt &lt;b&gt;cut&lt;/b&gt; the ribbon.**" in sources
    assert "The bridge opened in May." in sources and "**The bridge" not in sources
    assert "Checked: 1 sentence found in the passages it cites" in sources
    assert "Not found in the sources, so removed from the answer: “The bridge cost 40 million.”" in sources


def test_an_abstention_says_why():
    final = Answer("What did Jens Stoltenberg say?", "The indexed articles do not mention Jens Stoltenberg.",
                   hits=[hit(1)], abstained=True, abstain_reason="not in the articles")
    [message] = messages.answer_messages(final)
    assert "Why: the question names something no retrieved passage mentions." in message["content"]
    assert "Why: the question names something" in render.panel_markdown(final)


def test_example_questions_come_from_the_articles_folder_else_from_the_newest_titles(tmp_path):
    from pathlib import Path

    seeds = Path(__file__).resolve().parents[1] / "seeds"
    shipped = chat.example_questions(Settings(seeds_dir=seeds, index_dir=tmp_path / "index"))
    assert shipped[0] == "Where did Trump say the meeting with Putin would happen?" and len(shipped) == 3
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / chat.EXAMPLES_FILE).write_text("\n  \n", encoding="utf-8")  # empty: titles are used instead
    (tmp_path / "index").mkdir()
    manifest = {"format_version": 1, "generation": 1, "settings": {"embedding_model": "m"}, "dim": 4,
                "next_chunk_id": 1,
                "articles": {"a.txt": {"title": "Bridge opens", "published": "2026-03-03", "chunk_ids": [0]}}}
    (tmp_path / "index" / "manifest.json").write_text(__import__("json").dumps(manifest), encoding="utf-8")
    assert chat.example_questions(Settings(seeds_dir=folder, index_dir=tmp_path / "index")) == [
        "What does the article 'Bridge opens' report?"]


HOSTILE = ("Leaders met in Budapest [1]. ![pixel](http://tracker.example/?q=secret) "
           '<img src="http://tracker.example/x.png"> [click](https://evil.example) www.evil.example '
           "https://evil.example/a\n# Heading\n> quote\n1. list *bold* `code` [2].")


def links(markdown: str) -> tuple[str, list[str]]:
    """The HTML a CommonMark renderer makes of the text, and where a GFM renderer (marked, as the page uses)
    would link or load from: the page's href and src attributes and the bare addresses GFM links itself."""
    from markdown_it import MarkdownIt

    page = MarkdownIt("commonmark", {"html": True}).render(markdown)
    gfm = r"(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>]*|[\w.+-]+@[\w-]+\.\w+"  # marked links these bare
    text = re.sub(r"\]\(<[^>]*>\)", "]()", markdown)  # a link's own address is in href already
    return page, re.findall(r'(?:href|src)="([^"]*)"', page) + re.findall(gfm, text)


def test_a_reply_that_asks_for_images_links_and_html_renders_as_text_with_only_its_citations_linked():
    html_page, addresses = links(render.answer_text(HOSTILE))
    assert "<img" not in html_page and "<h1" not in html_page and "<blockquote" not in html_page
    assert "<em>" not in html_page and "<code>" not in html_page and "<ol" not in html_page
    assert addresses == ["#source-1", "#source-2"]
    assert "![pixel](http" in html.unescape(re.sub(r"<[^>]+>", "", html_page)).replace("\\", "")  # shown as text
    assert render.unlinked(render.answer_text(HOSTILE)) == HOSTILE  # the history the library reads is the reply as written


LINKS_AT_MARKERS = ("On Friday [1](http://evil.example/x?q=secret). Then [2](//evil.example/y) and "
                    "[2](javascript:alert(1)) [1][2] _http://evil.example/a 9http://evil.example/b 1www.evil.example "
                    "write to me@evil.example.\n[1]: http://evil.example/defined\n[2]:http://evil.example/too")


def test_a_reply_cannot_turn_its_citation_markers_or_bare_addresses_into_links():
    for markdown in (render.answer_text(LINKS_AT_MARKERS), __import__("rag.answering.inert").answering.inert
                     .inert_markdown(LINKS_AT_MARKERS)):
        html_page, addresses = links(markdown)
        assert [a for a in addresses if not a.startswith("#source-")] == []
        assert "evil.example/defined" in html.unescape(html_page)  # the definition is shown as text
    assert render.unlinked(render.answer_text(LINKS_AT_MARKERS)) == LINKS_AT_MARKERS


def test_bare_addresses_in_article_text_are_not_linked():
    title = "Read https://evil.example/a, www.evil.example or mail news@evil.example"
    cited = Citation(1, title, "Feed at http://feeds.evil.example", "2026-03-03", "https://wire.example/s",
                     "Passage with 9http://evil.example/c and _www.evil.example inside.", 1.0, "a.txt", 1)
    html_page, addresses = links(render.citation_markdown(cited))
    assert addresses == ["https://wire.example/s"]  # only the article's own address, as the project links it
    assert "https://evil.example/a" in html.unescape(html_page)  # shown as text


def test_the_api_reply_is_inert_markdown_too():
    from rag.answering.openai_format import content, without_sources

    answer = Answer("Q", HOSTILE, [Citation(1, "Title *with* [a link](http://x.example)", "Wire", "2025-10-21",
                                            "https://wire.example/story", "passage", 0.9, "a1", 1)])
    reply = content(answer)
    html_page, addresses = links(reply)
    assert "<img" not in html_page and "<em>" not in html_page
    assert addresses == ["https://wire.example/story"]  # the source's own address, under the answer
    assert without_sources(reply) == HOSTILE  # a client sending it back gets the answer as written


def test_the_evidence_comes_first_and_a_draft_is_marked_as_being_checked():
    from rag.answering.openai_format import content, without_sources
    from rag.model import Support

    passage = "The bridge opened in May. Mayor Holt <b>cut</b> the ribbon. Trams run from June."
    cited = Citation(1, "Bridge opens", "Courier", "2026-03-03", "", passage, 1.0, "a.txt", 1)
    span = (passage.index("Mayor"), passage.index("Trams") - 1)
    final = Answer("Who opened it?", "Mayor Holt cut the ribbon [1].", [cited], [hit(1)],
                   support=[Support("Mayor Holt cut the ribbon [1].", 1, *span)],
                   unsupported=["The bridge cost 40 million."])
    assert final.evidence() == [(cited, "Mayor Holt <b>cut</b> the ribbon.")]
    answer, _ = messages.answer_messages(final)
    evidence, text = answer["content"].split(messages.ANSWER_HEADING)
    assert evidence.startswith("**Evidence**\n\n> “Mayor Holt &lt;b&gt;cut&lt;/b&gt; the ribbon.” — [\\[1\\]]")
    assert "Courier" in evidence and text == "Mayor Holt cut the ribbon [\\[1\\]](#source-1)."
    assert messages.conversation([{"role": "user", "content": "Who?"}, answer])[1]["content"] == final.text

    api = content(final)
    assert "\n\nEvidence:\n> “Mayor Holt \\<b\\>cut\\</b\\> the ribbon.” [1]\n\n" in api  # inert: no HTML
    assert "Not found in the sources, so removed: “The bridge cost 40 million.”" in api
    assert without_sources(api) == final.text

    draft = Answer("Who opened it?", "Mayor Holt cut", hits=[hit(1)], done=False)
    _, streaming = messages.answer_messages(draft)
    assert streaming["content"].startswith(messages.CHECKING) and "Mayor Holt cut" in streaming["content"]
    assert messages.conversation([{"role": "user", "content": "Who?"}, streaming])[1]["content"] == "Mayor Holt cut"
    rereading = Answer("Who opened it?", "Mayor Holt cut the ribbon [1].", hits=[hit(1)], done=False, rereading=True)
    _, checking = messages.answer_messages(rereading)
    assert checking["content"].startswith(messages.REREADING) and "Mayor Holt" in checking["content"]
    assert messages.conversation([{"role": "user", "content": "Who?"}, checking])[1]["content"].startswith("Mayor")
