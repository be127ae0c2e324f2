"""The articles: add files, add by address, the list of indexed articles and deleting one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.errors import RagError
from ui.page.shared import IN_MODEL_QUEUE, Page, embedding_progress, index_status
from ui.render import counted, escape

if TYPE_CHECKING:
    import gradio as gr

ARTICLE_COLUMNS = ["title", "source", "published", "chunks", "indexed", "id"]
Rows = list[list[object]]


@dataclass
class Adding:
    """The "Add articles" controls: files to upload, or addresses to fetch."""

    files: gr.File
    add: gr.Button
    status: gr.Markdown
    address: gr.Textbox
    fetch: gr.Button
    url_status: gr.Markdown


@dataclass
class Listing:
    """The "Articles in the index" controls: the table and the delete choice."""

    table: gr.Dataframe
    chosen: gr.Dropdown
    delete: gr.Button
    status: gr.Markdown


def article_table(settings: Settings) -> Rows:
    """The indexed articles as rows of ARTICLE_COLUMNS, newest first (no rows when the index is unusable)."""
    from rag.index.stores import article_rows, read_manifest

    try:
        rows = article_rows(read_manifest(settings.index_dir))
    except RagError:
        return []
    return [[row[column] if row[column] is not None else "" for column in ARTICLE_COLUMNS] for row in rows]


def delete_choices(rows: Rows) -> list[tuple[str, str]]:
    """(label, article id) for each article_table row."""
    return [(f"{row[0]} ({row[5]})", str(row[5])) for row in rows]


def articles_view(settings: Settings) -> tuple[Rows, Any]:
    """The article table and the delete choice, as the index holds them now."""
    import gradio as gr

    rows = article_table(settings)
    return rows, gr.update(choices=delete_choices(rows), value=None)


def add_files_handler(page: Page) -> Callable[..., tuple[str, str, Any, Rows, Any]]:
    """The handler of "Add to index"."""
    import gradio as gr

    from rag.ingest.uploads import save_uploads

    settings = page.settings

    def add_files(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Any, Rows, Any]:
        """Save the uploaded files into the articles folder, update the index, report what happened; the
        article list as it is now."""
        if not files:
            return (
                "Choose one or more article files first.",
                index_status(settings),
                gr.update(),
                *articles_view(settings),
            )
        progress(0.05, desc="Saving the files")
        with page.model_queue.turn():
            saved, problems = save_uploads([Path(f) for f in files], settings.seeds_dir, settings.max_file_bytes)
            if not saved:
                head = ["**Nothing was added.**"]
            else:
                names = escape(", ".join(p.name for p in saved))
                progress(0.2, desc=f"Indexing {counted(len(saved), 'new file')}")
                try:
                    report = page.qa.index.build(
                        log=lambda _: None, progress=False, on_progress=embedding_progress(progress, 0.2)
                    )
                except RagError as exc:
                    head = [f"Saved {names} to the articles folder, but the index update failed: {escape(str(exc))}"]
                else:
                    head = [f"**Added {names} to the index.**", f"Index update: {escape(report.summary())}"]
                    problems += [p for p in report.problems if p not in problems]
        notes = "\n".join(f"- {escape(str(problem))}" for problem in problems)
        return "\n\n".join(head + ([notes] if notes else [])), index_status(settings), None, *articles_view(settings)

    return add_files


def add_by_url_handler(page: Page) -> Callable[..., tuple[str, str, Any, Rows, Any]]:
    """The handler of "Fetch and add"."""
    import gradio as gr

    settings = page.settings

    def add_by_url(text: str, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Any, Rows, Any]:
        """Fetch the articles at the addresses typed (one or more, separated by spaces or lines) into the
        articles folder and update the index; what happened to each."""
        urls = text.split()
        if not urls:
            return (
                "Type an article's address (https://...) first.",
                index_status(settings),
                gr.update(),
                *articles_view(settings),
            )
        progress(0.05, desc=f"Fetching {counted(len(urls), 'page')}")
        lines: list[str] = []
        added = page.qa.index.add_urls(  # fetching leaves the model to the chat; the index update takes its turn
            urls, lines.append, on_progress=embedding_progress(progress, 0.3), turn=page.model_queue.turn
        )
        head = (
            f"**Saved {counted(len(added.saved), 'article')}.**"
            + (f" Index update: {escape(added.build.summary())}" if added.build else "")
            if added.saved
            else "**Nothing was added.**"
        )
        notes = "\n".join(f"- {escape(line)}" for line in lines)
        address = "" if not added.failed else gr.update()
        return f"{head}\n\n{notes}", index_status(settings), address, *articles_view(settings)

    return add_by_url


def delete_handler(page: Page) -> Callable[..., tuple[str, str, Rows, Any]]:
    """The handler of "Delete from the index"."""
    import gradio as gr

    settings = page.settings

    def remove(article_id: str | None, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Rows, Any]:
        """Delete the chosen article's file from the articles folder and update the index; the article list
        (under the build's progress while it runs)."""
        if not article_id:
            return "Choose an article to delete first.", index_status(settings), *articles_view(settings)
        progress(0.1, desc="Deleting the file and updating the index")
        with page.model_queue.turn():
            try:
                path, report = page.qa.index.delete_article(article_id, on_progress=embedding_progress(progress, 0.1))
            except RagError as exc:
                return f"**Not deleted:** {escape(str(exc))}", index_status(settings), *articles_view(settings)
        return (
            f"**Deleted {escape(path.name)}** from the articles folder. Index update: {escape(report.summary())}",
            index_status(settings),
            *articles_view(settings),
        )

    return remove


def adding_section() -> Adding:
    """The "Add articles" accordion: files, or addresses fetched now."""
    import gradio as gr

    from rag.ingest.documents import SUPPORTED_SUFFIXES

    with gr.Accordion("Add articles", open=True):
        files = gr.File(
            label="Article files (" + ", ".join(SUPPORTED_SUFFIXES) + ")",
            file_count="multiple",
            file_types=list(SUPPORTED_SUFFIXES),
        )
        add = gr.Button("Add to index", variant="primary")
        status = gr.Markdown(elem_id="upload-status")
        address = gr.Textbox(
            label="Add by URL (article pages or PDFs; fetched now, then indexed)",
            placeholder="https://...",
            elem_id="add-url",
        )
        fetch = gr.Button("Fetch and add", elem_id="add-url-button")
        url_status = gr.Markdown(elem_id="add-url-status")
    return Adding(files, add, status, address, fetch, url_status)


def listing_section(settings: Settings) -> Listing:
    """The "Articles in the index" accordion: the table and the delete choice."""
    import gradio as gr

    with gr.Accordion("Articles in the index", open=False, elem_id="articles"):
        rows = article_table(settings)
        table = gr.Dataframe(value=rows, headers=ARTICLE_COLUMNS, interactive=False, wrap=True, elem_id="article-table")
        chosen = gr.Dropdown(
            label="Article to delete (its file leaves the articles folder)",
            choices=delete_choices(rows),
            elem_id="delete-choice",
        )
        delete = gr.Button("Delete from the index", variant="stop", elem_id="delete-article")
        status = gr.Markdown(elem_id="delete-status")
    return Listing(table, chosen, delete, status)


def wire_adding(page: Page, index: gr.Markdown, adding: Adding, listing: Listing) -> None:
    """Add to index and Fetch and add, in the model's queue; each updates the index status and the list."""
    adding.add.click(
        add_files_handler(page),
        [adding.files],
        [adding.status, index, adding.files, listing.table, listing.chosen],
        api_name="add_articles",
        **IN_MODEL_QUEUE,
    )
    adding.fetch.click(
        add_by_url_handler(page),
        [adding.address],
        [adding.url_status, index, adding.address, listing.table, listing.chosen],
        api_name="add_by_url",
        **IN_MODEL_QUEUE,
    )


def wire_delete(page: Page, index: gr.Markdown, listing: Listing) -> None:
    """Delete from the index, in the model's queue; it updates the index status and the list."""
    listing.delete.click(
        delete_handler(page),
        [listing.chosen],
        [listing.status, index, listing.table, listing.chosen],
        api_name="delete_article",
        **IN_MODEL_QUEUE,
    )
