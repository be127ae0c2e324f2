"""Gradio chat page over rag.answering.qa: the page's wiring only (Markdown rendering is ui.render, the HTTP
API for programs ui.api; retrieval, answering, citations and uploads live in rag/)."""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.errors import NoArticlesError, RagError
from rag.model import Ask
from rag.search.followup import message_text
from ui.api import ModelQueue, api_routes
from ui.render import (
    abstain_reason,
    answer_notes,
    answer_text,
    counted,
    escape,
    evidence_markdown,
    panel_markdown,
    retrieved_markdown,
    search_notes,
    sources_markdown,
    unlinked,
)

if TYPE_CHECKING:  # gradio is imported lazily, after the offline environment is set
    import gradio as gr
    from starlette.routing import BaseRoute

    from rag.answering.qa import QA
    from rag.model import Answer

OFFLINE_ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
MODEL_QUEUE = "model"  # one concurrency group: one generation or index build at a time on the CPU
WRITING = "_Reading the passages and writing the answer…_"
ANSWER_HEADING = "**Answer**\n\n"  # after the evidence it rests on
CHECKING = "_Draft, being checked against the sources: sentences not found in them will be removed._"
STOPPED_PANEL = "### Sources\nStopped: the answer was not finished, so it has no checked sources."
EMPTY_PANEL = "### Sources\nThe sources of the latest answer appear here, with the quoted passages."
CSS = """
#sources-panel { max-height: 60vh; overflow-y: auto; }
.source-focus { background: var(--color-accent-soft); outline: 2px solid var(--color-accent); border-radius: 4px; }
#index-status p { margin: 0; }
@media (max-width: 700px) {  /* a phone: the sources and articles go below the chat */
  #main-row { flex-direction: column; }
  #main-row > * { min-width: 0 !important; width: 100%; }
}
"""
# Enter sends (the textbox's own behaviour); Esc stops the answer being written. A click on an answer's [n]
# opens the "Sources" under that answer and shows passage n, the words that back the answer in bold.
PAGE_JS = """
() => {
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const stop = document.querySelector("#question button.stop-button, button.stop-button");
    if (stop) { event.preventDefault(); stop.click(); }
  });
  const passageIn = (root, n) => root && [...root.querySelectorAll("strong")]
    .find((s) => s.textContent.startsWith(`[${n}] `));
  const focus = (heading) => {
    document.querySelectorAll(".source-focus").forEach((e) => e.classList.remove("source-focus"));
    const block = heading.closest("p") || heading;
    const next = block.nextElementSibling;  // the quoted passage, after an "Also reported by" line if any
    const quote = [next, next && next.nextElementSibling].find((e) => e && e.tagName === "BLOCKQUOTE");
    [block, quote].forEach((e) => e && e.classList.add("source-focus"));
    block.scrollIntoView({ block: "start", behavior: "smooth" });
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#source-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const n = link.getAttribute("href").slice("#source-".length);
    const group = [...document.querySelectorAll(".thought-group")].find((g) =>  // the first after the link
      /Sources \\(\\d+\\)/.test(g.textContent) && (link.compareDocumentPosition(g) & Node.DOCUMENT_POSITION_FOLLOWING));
    const found = passageIn(group, n);
    if (found && found.offsetParent !== null) return focus(found);
    if (group) {
      group.querySelector(".title")?.click();
      return setTimeout(() => { const opened = passageIn(group, n); if (opened) focus(opened); }, 400);
    }
    const inPanel = passageIn(document.querySelector("#sources-panel"), n);
    if (inPanel) focus(inPanel);
  }, true);
}
"""


def _day(value: str | None) -> str | None:
    """A date control's value as YYYY-MM-DD (None when empty); other text is passed on to be reported."""
    value = (value or "").strip()
    return value[:10] if re.match(r"\d{4}-\d{2}-\d{2}( |T|$)", value) else value or None


def answer_messages(answer: Answer) -> list[dict[str, Any]]:
    """Chat messages for a (partial or final) answer."""
    if answer.done:
        why = "\n\n".join(note for note in (abstain_reason(answer), answer.abstained and answer_notes(answer)) if note)
        evidence = evidence_markdown(answer)
        messages: list[dict[str, Any]] = [
            {
                "role": "assistant",
                "content": (f"{evidence}\n\n{ANSWER_HEADING}" if evidence else "")
                + answer_text(answer.text)
                + (f"\n\n{why}" if why else ""),
            }
        ]
        if answer.citations:
            messages.append(
                {
                    "role": "assistant",
                    "content": sources_markdown(answer),
                    "metadata": {"title": f"Sources ({len(answer.citations)})", "status": "done"},
                }
            )
        elif answer_notes(answer) and not answer.abstained:
            messages.append({"role": "assistant", "content": answer_notes(answer)})
        return messages
    articles = len({h.article_id for h in answer.hits})
    notes = search_notes(answer)
    step = {
        "role": "assistant",
        "content": (notes + "\n\n" if notes else "") + retrieved_markdown(answer.hits),
        "metadata": {
            "title": f"Retrieved {counted(len(answer.hits), 'passage')} from {counted(articles, 'article')}",
            "status": "done",
            "duration": round(answer.timings.retrieve_s, 2),
        },
    }
    text = f"{CHECKING}\n\n{answer_text(answer.text)}" if answer.text else WRITING
    return [step, {"role": "assistant", "content": text}]


UNSTARTED = "_Stopped before the answer began._"
_NOT_ANSWERS = ("**Error:**", "**Unexpected error:**", UNSTARTED)


def conversation(history: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The chat as the library reads it for follow-ups: answers as plain text (not escaped), and error
    messages and answers stopped before they began left out."""
    turns = []
    for message in history or []:
        content = message.get("content")
        if message.get("role") == "assistant":
            text = message_text(content)
            if text.startswith(_NOT_ANSWERS):
                continue
            text = text.split(ANSWER_HEADING, 1)[-1].removeprefix(f"{CHECKING}\n\n")
            message = {**message, "content": unlinked(text)}
        turns.append(message)
    return turns


def mark_stopped(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chat after Stop: the unfinished answer says it was stopped."""
    history = list(history or [])
    last_is_text = bool(history) and not (history[-1].get("metadata") or {}).get("title")
    if last_is_text and history[-1].get("role") == "assistant":
        last = dict(history[-1])
        text = message_text(last.get("content"))
        last["content"] = UNSTARTED if text.strip() in ("", WRITING) else f"{text}\n\n_(stopped)_"
        history[-1] = last
    return history


def index_status(settings: Settings) -> str:
    """One line: what the index holds and when it was built."""
    from rag.index.stores import read_manifest

    try:
        manifest = read_manifest(settings.index_dir)
    except RagError as exc:
        return f"**Index:** unusable: {escape(str(exc))}"
    if manifest is None:
        return f"**Index:** none yet in {escape(str(settings.index_dir))}; add articles below."
    articles = manifest.get("articles", {})
    chunks = sum(len(a.get("chunk_ids", [])) for a in articles.values())
    updated = str(manifest.get("updated", "?")).replace("T", " ")[:16]
    return (
        f"**Index:** {counted(len(articles), 'article')}, {counted(chunks, 'passage')} · last build {escape(updated)}"
    )


EXAMPLES_FILE = ".examples.txt"  # in the articles folder: example questions its articles answer, one a line


def example_questions(settings: Settings, limit: int = 3) -> list[str]:
    """The articles folder's own example questions (EXAMPLES_FILE, as the default corpus ships), else
    questions about the newest indexed articles, built from their titles."""
    try:
        listed = (settings.seeds_dir / EXAMPLES_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        listed = []
    if any(line.strip() for line in listed):
        return [line.strip() for line in listed if line.strip()][:limit]
    from rag.index.stores import read_manifest

    try:
        manifest = read_manifest(settings.index_dir)
    except RagError:
        return []
    entries = sorted(
        (manifest or {}).get("articles", {}).values(), key=lambda a: a.get("published") or "", reverse=True
    )
    questions = []
    for entry in entries[:limit]:
        title = re.sub(r"\s+", " ", entry.get("title", "")).strip()
        if title:
            questions.append(f"What does the article '{title[:120]}' report?")
    return questions


ARTICLE_COLUMNS = ["title", "source", "published", "chunks", "indexed", "id"]


def article_table(settings: Settings) -> list[list[object]]:
    """The indexed articles as rows of ARTICLE_COLUMNS, newest first (no rows when the index is unusable)."""
    from rag.index.stores import article_rows, read_manifest

    try:
        rows = article_rows(read_manifest(settings.index_dir))
    except RagError:
        return []
    return [[row[column] if row[column] is not None else "" for column in ARTICLE_COLUMNS] for row in rows]


FEED_COLUMNS = ["feed", "title", "articles saved", "last update (UTC)", "new", "failed"]


def feed_table(settings: Settings) -> list[list[object]]:
    """The followed feeds as rows of FEED_COLUMNS (no rows when the feed list is unreadable)."""
    from rag.ingest.web.feeds import read_feeds

    try:
        feeds = read_feeds(settings.seeds_dir)
    except RagError:
        return []
    return [[f.url, f.title, len(f.items), f.updated or "not yet", f.new, f.failed] for f in feeds]


def delete_choices(rows: list[list[object]]) -> list[tuple[str, str]]:
    """(label, article id) for each article_table row."""
    return [(f"{row[0]} ({row[5]})", str(row[5])) for row in rows]


# ---- the app ----


def build_app(qa: QA, settings: Settings, model_queue: ModelQueue | None = None) -> gr.Blocks:
    """The chat page: chat with streamed, cited answers; sources panel; index status; uploads. Answers and
    uploads take turns with the HTTP API's through model_queue."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    import gradio as gr

    from rag.ingest.documents import SUPPORTED_SUFFIXES
    from rag.ingest.uploads import save_uploads

    model_queue = model_queue or ModelQueue(settings.queue_size)

    def respond(
        message: str, history: list[dict], since: str | None = None, until: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """Answer a question from the articles; earlier turns make follow-ups understandable."""
        stop = threading.Event()
        stream = None
        try:
            with model_queue.turn():
                ask = Ask(message, since=_day(since), until=_day(until), history=conversation(history))
                stream = qa.stream(ask, should_stop=stop.is_set)
                for answer in stream:
                    yield answer_messages(answer), panel_markdown(answer)
        except RagError as exc:
            yield [{"role": "assistant", "content": f"**Error:** {escape(str(exc))}"}], EMPTY_PANEL
        except Exception as exc:  # never a traceback in the page; the server log keeps it
            traceback.print_exc(file=sys.stderr)
            text = f"**Unexpected error:** {escape(type(exc).__name__)}: {escape(str(exc))}"
            yield [{"role": "assistant", "content": text}], EMPTY_PANEL
        finally:
            stop.set()  # the Stop button (or a closed page) closes this generator: stop the model too
            if stream is not None:
                stream.close()

    def embedding_progress(progress: gr.Progress, start: float) -> Callable[[int, int], None]:
        """The build's progress in the page, from start (0..1) to the end of the bar."""

        def show(done: int, total: int) -> None:
            if total:
                progress(start + (0.95 - start) * done / total, desc=f"Embedding {done:,} of {total:,} chunks")

        return show

    def add_files(
        files: list[str] | None, progress: gr.Progress = gr.Progress()
    ) -> tuple[str, str, Any, list[list[object]], Any]:
        """Save the uploaded files into the articles folder, update the index, report what happened; the
        article list as it is now."""
        if not files:
            return ("Choose one or more article files first.", index_status(settings), gr.update(), *articles_view())
        progress(0.05, desc="Saving the files")
        with model_queue.turn():
            saved, problems = save_uploads([Path(f) for f in files], settings.seeds_dir, settings.max_file_bytes)
            if not saved:
                head = ["**Nothing was added.**"]
            else:
                names = escape(", ".join(p.name for p in saved))
                progress(0.2, desc=f"Indexing {counted(len(saved), 'new file')}")
                try:
                    report = qa.index.build(
                        log=lambda _: None, progress=False, on_progress=embedding_progress(progress, 0.2)
                    )
                except RagError as exc:
                    head = [f"Saved {names} to the articles folder, but the index update failed: {escape(str(exc))}"]
                else:
                    head = [f"**Added {names} to the index.**", f"Index update: {escape(report.summary())}"]
                    problems += [p for p in report.problems if p not in problems]
        notes = "\n".join(f"- {escape(str(problem))}" for problem in problems)
        return "\n\n".join(head + ([notes] if notes else [])), index_status(settings), None, *articles_view()

    def articles_view() -> tuple[list[list[object]], Any]:
        """The article table and the delete choice, as the index holds them now."""
        rows = article_table(settings)
        return rows, gr.update(choices=delete_choices(rows), value=None)

    def remove(
        article_id: str | None, progress: gr.Progress = gr.Progress()
    ) -> tuple[str, str, list[list[object]], Any]:
        """Delete the chosen article's file from the articles folder and update the index; the article list
        (under the build's progress while it runs)."""
        if not article_id:
            return "Choose an article to delete first.", index_status(settings), *articles_view()
        progress(0.1, desc="Deleting the file and updating the index")
        with model_queue.turn():
            try:
                path, report = qa.index.delete_article(article_id, on_progress=embedding_progress(progress, 0.1))
            except RagError as exc:
                return f"**Not deleted:** {escape(str(exc))}", index_status(settings), *articles_view()
        return (
            f"**Deleted {escape(path.name)}** from the articles folder. Index update: {escape(report.summary())}",
            index_status(settings),
            *articles_view(),
        )

    def add_by_url(text: str, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Any, list[list[object]], Any]:
        """Fetch the articles at the addresses typed (one or more, separated by spaces or lines) into the
        articles folder and update the index; what happened to each."""
        urls = text.split()
        if not urls:
            return (
                "Type an article's address (https://...) first.",
                index_status(settings),
                gr.update(),
                *articles_view(),
            )
        progress(0.05, desc=f"Fetching {counted(len(urls), 'page')}")
        with model_queue.turn():
            lines: list[str] = []
            added = qa.index.add_urls(urls, lines.append, on_progress=embedding_progress(progress, 0.3))
        head = (
            f"**Saved {counted(len(added.saved), 'article')}.**"
            + (f" Index update: {escape(added.build.summary())}" if added.build else "")
            if added.saved
            else "**Nothing was added.**"
        )
        notes = "\n".join(f"- {escape(line)}" for line in lines)
        return f"{head}\n\n{notes}", index_status(settings), "" if not added.failed else gr.update(), *articles_view()

    def follow(url: str) -> tuple[str, list[list[object]]]:
        from rag.index.fetched import fetch_limits
        from rag.ingest.web.feeds import add_feed

        try:
            feed = add_feed(settings.seeds_dir, url.strip(), fetch_limits(settings))
        except RagError as exc:
            return f"**Not followed:** {escape(str(exc))}", feed_table(settings)
        return f"**Following {escape(feed.title or feed.url)}.** Update now saves its articles.", feed_table(settings)

    def unfollow(url: str) -> tuple[str, list[list[object]]]:
        from rag.ingest.web.feeds import remove_feed

        try:
            feed = remove_feed(settings.seeds_dir, url.strip())
        except RagError as exc:
            return f"**Not removed:** {escape(str(exc))}", feed_table(settings)
        return f"**No longer following {escape(feed.url)}**; its articles stay.", feed_table(settings)

    def update_now(
        progress: gr.Progress = gr.Progress(),
    ) -> tuple[str, str, list[list[object]], list[list[object]], Any]:
        """One update round over the followed feeds, then the index updated; one line per feed."""
        progress(0.05, desc="Fetching the feeds")
        with model_queue.turn():
            lines: list[str] = []
            rounds, report = qa.index.update_feeds(lines.append, on_progress=embedding_progress(progress, 0.5))
        if not rounds:
            text = "No feeds followed yet: type a feed's address and press Follow."
        else:
            text = "\n".join(f"- {escape(line)}" for line in lines)
            text += f"\n\nIndex update: {escape(report.summary())}" if report else "\n\nNothing new to index."
        return text, index_status(settings), feed_table(settings), *articles_view()

    panel = gr.Markdown(EMPTY_PANEL, elem_id="sources-panel", render=False, latex_delimiters=[])

    def date_input(label: str, elem_id: str) -> gr.DateTime:
        return gr.DateTime(
            label=label,
            include_time=False,
            type="string",
            render=False,
            elem_id=elem_id,
            info="YYYY-MM-DD; empty: any date",
        )

    with gr.Blocks(title="News questions") as demo:
        gr.Markdown(
            "## Ask the news articles\nAnswers come only from the indexed articles, run on this "
            "computer. Each sentence cites its sources as [n] and is checked against them; click an "
            "[n] or open **Sources** under an answer to read the passages, the words that back it in "
            "bold. "
            "Follow-up questions can refer to earlier ones; time words such as *this week* or *latest* "
            "are read against the newest article's date. Enter sends, Esc stops."
        )
        status = gr.Markdown(index_status(settings), elem_id="index-status")
        with gr.Row(equal_height=False, elem_id="main-row"):
            with gr.Column(scale=3):
                chat = gr.ChatInterface(
                    respond,
                    chatbot=gr.Chatbot(
                        label="Answers",
                        show_label=False,
                        height=600,
                        buttons=["copy", "copy_all"],
                        latex_delimiters=[],
                        feedback_options=None,
                        placeholder="Ask about the news in the indexed articles.",
                    ),
                    textbox=gr.Textbox(
                        placeholder="Ask a question about the articles",
                        show_label=False,
                        elem_id="question",
                        submit_btn=True,
                        stop_btn=True,
                        max_length=settings.max_question_chars,
                    ),
                    additional_outputs=[panel],
                    examples=[[q] for q in example_questions(settings)] or None,
                    additional_inputs=[date_input("Published since", "since"), date_input("Published until", "until")],
                    additional_inputs_accordion=gr.Accordion("Date range", open=False, render=False),
                    api_name="chat",
                    api_description="Answer a question from the indexed articles: returns the answer messages "
                    "(text, then the cited sources) and the sources panel as Markdown.",
                    fill_height=False,
                )
            with gr.Column(scale=2):
                panel.render()
                with gr.Accordion("Add articles", open=True):
                    files = gr.File(
                        label="Article files (" + ", ".join(SUPPORTED_SUFFIXES) + ")",
                        file_count="multiple",
                        file_types=list(SUPPORTED_SUFFIXES),
                    )
                    add = gr.Button("Add to index", variant="primary")
                    upload_status = gr.Markdown(elem_id="upload-status")
                    address = gr.Textbox(
                        label="Add by URL (article pages or PDFs; fetched now, then indexed)",
                        placeholder="https://...",
                        elem_id="add-url",
                    )
                    fetch_button = gr.Button("Fetch and add", elem_id="add-url-button")
                    url_status = gr.Markdown(elem_id="add-url-status")
                with gr.Accordion("Feeds", open=False, elem_id="feeds"):
                    feeds = gr.Dataframe(
                        value=feed_table(settings),
                        headers=FEED_COLUMNS,
                        interactive=False,
                        wrap=True,
                        elem_id="feed-table",
                    )
                    feed_address = gr.Textbox(
                        label="Feed address (RSS or Atom)", placeholder="https://.../feed.xml", elem_id="feed-url"
                    )
                    with gr.Row():
                        follow_button = gr.Button("Follow", elem_id="follow-feed")
                        unfollow_button = gr.Button("Stop following", elem_id="unfollow-feed")
                        update_button = gr.Button("Update now", variant="primary", elem_id="update-feeds")
                    feed_status = gr.Markdown(elem_id="feed-status")
                with gr.Accordion("Articles in the index", open=False, elem_id="articles"):
                    rows = article_table(settings)
                    table = gr.Dataframe(
                        value=rows, headers=ARTICLE_COLUMNS, interactive=False, wrap=True, elem_id="article-table"
                    )
                    chosen = gr.Dropdown(
                        label="Article to delete (its file leaves the articles folder)",
                        choices=delete_choices(rows),
                        elem_id="delete-choice",
                    )
                    delete = gr.Button("Delete from the index", variant="stop", elem_id="delete-article")
                    delete_status = gr.Markdown(elem_id="delete-status")
        add.click(
            add_files,
            [files],
            [upload_status, status, files, table, chosen],
            api_name="add_articles",
            concurrency_id=MODEL_QUEUE,
            concurrency_limit=1,
        )
        fetch_button.click(
            add_by_url,
            [address],
            [url_status, status, address, table, chosen],
            api_name="add_by_url",
            concurrency_id=MODEL_QUEUE,
            concurrency_limit=1,
        )
        follow_button.click(follow, [feed_address], [feed_status, feeds], api_name="follow_feed")
        unfollow_button.click(unfollow, [feed_address], [feed_status, feeds], api_name="unfollow_feed")
        update_button.click(
            update_now,
            None,
            [feed_status, status, feeds, table, chosen],
            api_name="update_feeds",
            concurrency_id=MODEL_QUEUE,
            concurrency_limit=1,
        )
        delete.click(
            remove,
            [chosen],
            [delete_status, status, table, chosen],
            api_name="delete_article",
            concurrency_id=MODEL_QUEUE,
            concurrency_limit=1,
        )
        chat.chatbot.clear(lambda: EMPTY_PANEL, None, panel, api_visibility="undocumented", queue=False)
        chat.textbox.stop(
            lambda history: (mark_stopped(history), STOPPED_PANEL),
            [chat.chatbot],
            [chat.chatbot, panel],
            api_visibility="undocumented",
            queue=False,
        )
        demo.load(
            lambda: index_status(settings),
            None,
            status,
            api_visibility="undocumented",
            queue=False,
            show_progress="hidden",
        )
    # The chat (typed, example, retry and API calls) and index builds share one queue: the CPU runs one
    # model at a time, and waiting users see their position in the queue.
    for block_fn in demo.fns.values():
        if getattr(block_fn.fn, "__wrapped__", None) is respond:
            block_fn.concurrency_id = MODEL_QUEUE
            block_fn.concurrency_limit = 1
    return demo


def _credentials(host: str) -> tuple[str, str] | None:
    """None on a loopback address; elsewhere RAG_UI_USER / RAG_UI_PASSWORD, required."""
    if host in LOOPBACK_HOSTS:
        return None
    user, password = os.environ.get("RAG_UI_USER", ""), os.environ.get("RAG_UI_PASSWORD", "")
    if not user or not password:
        raise RagError(
            f"serving on {host} makes the chat reachable from other machines, so it needs a login: "
            "set RAG_UI_USER and RAG_UI_PASSWORD, or serve on --host 127.0.0.1"
        )
    return user, password


def _api_key(host: str) -> str | None:
    """RAG_API_KEY, which the API's /v1/ routes then require as a Bearer token; required off loopback."""
    key = os.environ.get("RAG_API_KEY", "").strip()
    if not key and host not in LOOPBACK_HOSTS:
        raise RagError(
            f"serving on {host} makes the API reachable from other machines, so it needs a key: set "
            "RAG_API_KEY (clients send it as 'Authorization: Bearer KEY'), or serve on --host 127.0.0.1"
        )
    return key or None


def _check_port_free(host: str, port: int) -> None:
    """RagError naming the fix when another program already listens on host:port."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
            probe.bind(address)
    except OSError as exc:
        raise _port_taken(host, port, exc.strerror or str(exc)) from None


def _port_taken(host: str, port: int, reason: str) -> RagError:
    """The one-line error for a port that cannot be served on, naming the fix."""
    return RagError(
        f"cannot serve on {host}:{port} ({reason}); another program (the chat already running?) "
        "uses it: stop it or pick another port with --port N"
    )


def launch(
    demo: gr.Blocks,
    host: str,
    port: int,
    settings: Settings,
    auth: tuple[str, str] | None,
    routes: list[BaseRoute] | None = None,
) -> None:
    """Start serving demo on host:port without blocking, with routes (the HTTP API) before the page's own; a
    port another program took since it was checked is a RagError naming the fix, not Gradio's traceback."""
    import gradio as gr

    try:  # Gradio passes app_kwargs to its FastAPI app, whose routes= are matched before the ones Gradio adds
        demo.launch(
            server_name=host,
            server_port=port,
            share=False,
            auth=auth,
            prevent_thread_lock=True,
            quiet=True,
            show_error=False,
            ssr_mode=False,
            max_file_size=settings.max_file_bytes,
            theme=gr.themes.Default(),
            css=CSS,
            js=PAGE_JS,
            footer_links=["api"],
            app_kwargs={"routes": routes or []},
        )
    except OSError:  # Gradio's message names its own settings, not ours
        raise _port_taken(host, port, "it could not be opened") from None


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, build: bool = True) -> None:
    """Update the index (when build), load the models and serve the chat page and the HTTP API until
    interrupted."""
    auth = _credentials(host)
    api_key = _api_key(host)
    _check_port_free(host, port)  # before minutes of building and loading, not after
    os.environ.update(OFFLINE_ENV)
    from rag.answering.qa import QA

    qa = QA(settings)
    if build:
        try:
            print(qa.index.build().summary(), flush=True)
        except NoArticlesError as exc:  # the page can still take uploads
            print(f"warning: {exc}", file=sys.stderr)
    started = time.perf_counter()
    try:
        qa.retriever()
    except RagError as exc:
        print(f"warning: {exc}", file=sys.stderr)
    _ = qa.generator  # load the answering model now, not during the first question
    print(f"models loaded in {time.perf_counter() - started:.0f} s", flush=True)
    model_queue = ModelQueue(settings.queue_size)
    demo = build_app(qa, settings, model_queue)
    demo.queue(default_concurrency_limit=1, max_size=settings.queue_size)  # beyond it: "queue is full"
    launch(demo, host, port, settings, auth, api_routes(qa, settings, model_queue, api_key))
    shown = f"[{host}]" if ":" in host else host
    print(f"Chat running at http://{shown}:{port}", flush=True)
    print(
        f"OpenAI-compatible API at http://{shown}:{port}/v1 (model news-rag{', key: RAG_API_KEY' if api_key else ''})",
        flush=True,
    )
    try:
        demo.block_thread()
    finally:
        demo.close()
