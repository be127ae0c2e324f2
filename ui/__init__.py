"""The Gradio chat page over the rag library (see ui.app)."""
