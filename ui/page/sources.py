"""The sources panel beside the chat: the latest answer's sources with their quoted passages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gradio as gr

STOPPED_PANEL = "### Sources\nStopped: the answer was not finished, so it has no checked sources."
EMPTY_PANEL = "### Sources\nThe sources of the latest answer appear here, with the quoted passages."


def sources_panel() -> gr.Markdown:
    """The panel, empty, to be rendered in its column (the chat writes to it before it is placed)."""
    import gradio as gr

    return gr.Markdown(EMPTY_PANEL, elem_id="sources-panel", render=False, latex_delimiters=[])
