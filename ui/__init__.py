"""The chat page (ui.page) and the HTTP API (ui.api) over the rag library; ui.app serves them."""
