"""The page put together: a Chat tab (the chat beside the sources panel, the articles and the feeds) and a
Briefing tab (what's new)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from rag.config import Settings
from ui.model_queue import ModelQueue
from ui.page import articles, briefing, chat, feeds
from ui.page.shared import MODEL_QUEUE, Page, index_status
from ui.page.sources import sources_panel

if TYPE_CHECKING:  # gradio is imported lazily, after the offline environment is set
    import gradio as gr

    from rag.answering.qa import QA

OFFLINE_ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
INTRO = (
    "## Ask the news articles\nAnswers come only from the indexed articles, run on this "
    "computer. Each sentence cites its sources as [n] and is checked against them; click an "
    "[n] or open **Sources** under an answer to read the passages, the words that back it in "
    "bold. "
    "Follow-up questions can refer to earlier ones; time words such as *this week* or *latest* "
    "are read against the newest article's date. Enter sends, Esc stops."
)


def build_app(qa: QA, settings: Settings, model_queue: ModelQueue | None = None) -> gr.Blocks:
    """The chat page: chat with streamed, cited answers; sources panel; index status; uploads. Answers and
    uploads take turns with the HTTP API's through model_queue."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    import gradio as gr

    page = Page(qa, settings, model_queue or ModelQueue(settings.queue_size))
    respond = chat.responder(page)
    panel = sources_panel()
    with gr.Blocks(title="News questions") as demo:
        gr.Markdown(INTRO)
        status = gr.Markdown(index_status(settings), elem_id="index-status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False, elem_id="main-row"):
                with gr.Column(scale=3):
                    chat_view = chat.chat_interface(respond, settings, panel)
                with gr.Column(scale=2):
                    panel.render()
                    adding = articles.adding_section()
                    following = feeds.following_section(settings)
                    listing = articles.listing_section(settings)
            with gr.Tab("Briefing", id="briefing", elem_id="briefing-tab"):
                briefing.briefing_tab(page)
        articles.wire_adding(page, status, adding, listing)
        feeds.wire_following(page, status, following, listing)
        articles.wire_delete(page, status, listing)
        chat.wire_clear_and_stop(chat_view, panel)
        demo.load(
            lambda: index_status(settings),
            None,
            status,
            api_visibility="undocumented",
            queue=False,
            show_progress="hidden",
        )
    _share_model_queue(demo, respond)
    return demo


def _share_model_queue(demo: gr.Blocks, respond: chat.Respond) -> None:
    """The chat (typed, example, retry and API calls) and index builds share one queue: the CPU runs one
    model at a time, and waiting users see their position in the queue."""
    for block_fn in demo.fns.values():
        if getattr(block_fn.fn, "__wrapped__", None) is respond:
            block_fn.concurrency_id = MODEL_QUEUE
            block_fn.concurrency_limit = 1
