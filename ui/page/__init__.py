"""The Gradio chat page, built from its parts: the chat, the sources panel, the articles and the feeds
(ui.page.layout.build_app puts them together)."""
