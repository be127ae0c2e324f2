"""The "What's new" section: the briefing of the latest days (rag.briefing), stories as cards with their
quotes, citations and sources."""

from __future__ import annotations

from rag.config import Settings
from rag.errors import RagError
from ui.render import briefing_markdown, escape

WINDOWS = {"the latest day": "1d", "the latest week": "7d", "the latest month": "30d"}


def show_briefing(settings: Settings, window: str, about: str) -> str:
    """The briefing as Markdown, or what went wrong."""
    from rag.briefing.brief import brief

    try:
        return briefing_markdown(brief(settings, since=WINDOWS.get(window, "1d"), about=about.strip()))
    except RagError as exc:
        return f"**No briefing:** {escape(str(exc))}"


def briefing_section(settings: Settings) -> None:
    """The "What's new" accordion: a window, optional words, a button, the stories."""
    import gradio as gr

    with gr.Accordion("What's new", open=False, elem_id="briefing"):
        with gr.Row():
            window = gr.Dropdown(list(WINDOWS), value="the latest day", label="Stories of", elem_id="briefing-window")
            about = gr.Textbox(label="About (optional words)", elem_id="briefing-about")
        button = gr.Button("Brief me", variant="primary", elem_id="brief-me")
        stories = gr.Markdown(elem_id="briefing-stories", latex_delimiters=[])
    button.click(lambda w, a: show_briefing(settings, w, a), [window, about], stories, api_name="briefing")
    about.submit(lambda w, a: show_briefing(settings, w, a), [window, about], stories, api_visibility="undocumented")
