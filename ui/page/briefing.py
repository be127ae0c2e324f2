"""The Briefing tab: the briefing of the latest days (rag.briefing), stories as cards with their quotes,
citations and sources; a click on a quote's [n] opens its passage in the panel beside them."""

from __future__ import annotations

from contextlib import nullcontext

from rag.errors import RagError
from ui.page.shared import Page
from ui.render import BRIEFING_PASSAGES, briefing_markdown, briefing_passages_markdown, escape

WINDOWS = {"the latest day": "1d", "the latest week": "7d", "the latest month": "30d"}


def show_briefing(page: Page, window: str, about: str, summaries: bool = False) -> tuple[str, str]:
    """The stories and their passages as Markdown, or what went wrong; summaries: each story's one sentence
    by the answering model (in the model's turn, shared with the chat)."""
    from rag.briefing.brief import brief

    try:
        with page.model_queue.turn() if summaries else nullcontext():
            made = brief(
                page.settings,
                since=WINDOWS.get(window, "1d"),
                about=about.strip(),
                summarize=page.qa.generator if summaries else None,
            )
    except RagError as exc:
        return f"**No briefing:** {escape(str(exc))}", BRIEFING_PASSAGES
    return briefing_markdown(made), briefing_passages_markdown(made)


def briefing_tab(page: Page) -> None:
    """The tab's content: a window, optional words, summaries or not and a button above the stories and their
    passages."""
    import gradio as gr

    with gr.Row():
        window = gr.Dropdown(list(WINDOWS), value="the latest day", label="Stories of", elem_id="briefing-window")
        about = gr.Textbox(label="About (optional words)", elem_id="briefing-about")
        summaries = gr.Checkbox(
            label="One sentence a story by the model (slow; shown only when checked against the passages)",
            elem_id="briefing-summaries",
        )
    button = gr.Button("Brief me", variant="primary", elem_id="brief-me")
    with gr.Row(equal_height=False, elem_id="briefing-row"):
        with gr.Column(scale=3):
            stories = gr.Markdown(elem_id="briefing-stories", latex_delimiters=[])
        with gr.Column(scale=2):
            passages = gr.Markdown(BRIEFING_PASSAGES, elem_id="briefing-passages", latex_delimiters=[])
    inputs, outputs = [window, about, summaries], [stories, passages]
    button.click(lambda w, a, s: show_briefing(page, w, a, s), inputs, outputs, api_name="briefing")
    about.submit(lambda w, a, s: show_briefing(page, w, a, s), inputs, outputs, api_visibility="undocumented")
