"""What the page's parts share: the objects their handlers act on, the index's status line, the build's
progress bar and the one queue of model work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.errors import RagError
from ui.model_queue import ModelQueue
from ui.render import counted, escape

if TYPE_CHECKING:
    import gradio as gr

    from rag.answering.qa import QA

MODEL_QUEUE = "model"  # one concurrency group: one generation or index build at a time on the CPU
IN_MODEL_QUEUE: dict[str, Any] = {"concurrency_id": MODEL_QUEUE, "concurrency_limit": 1}  # an event in that group


@dataclass
class Page:
    """What the page's handlers act on: the answering library, its settings and the model queue it shares
    with the HTTP API."""

    qa: QA
    settings: Settings
    model_queue: ModelQueue


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


def embedding_progress(progress: gr.Progress, start: float) -> Callable[[int, int], None]:
    """The build's progress in the page, from start (0..1) to the end of the bar."""

    def show(done: int, total: int) -> None:
        if total:
            progress(start + (0.95 - start) * done / total, desc=f"Embedding {done:,} of {total:,} chunks")

    return show
