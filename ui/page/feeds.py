"""The feeds: follow a feed, stop following it, update them all now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.errors import RagError
from ui.page.articles import Listing, Rows, articles_view
from ui.page.shared import IN_MODEL_QUEUE, Page, embedding_progress, index_status
from ui.render import escape

if TYPE_CHECKING:
    import gradio as gr

FEED_COLUMNS = ["feed", "title", "articles saved", "last update (UTC)", "new", "failed"]


@dataclass
class Following:
    """The "Feeds" controls: the followed feeds, an address and the three actions."""

    table: gr.Dataframe
    address: gr.Textbox
    follow: gr.Button
    unfollow: gr.Button
    update: gr.Button
    status: gr.Markdown


def feed_table(settings: Settings) -> Rows:
    """The followed feeds as rows of FEED_COLUMNS (no rows when the feed list is unreadable)."""
    from rag.ingest.web.feeds import read_feeds

    try:
        feeds = read_feeds(settings.seeds_dir)
    except RagError:
        return []
    return [[f.url, f.title, len(f.items), f.updated or "not yet", f.new, f.failed] for f in feeds]


def follow(settings: Settings, url: str) -> tuple[str, Rows]:
    """Follow the feed at url (fetched once to check it); what happened, and the feeds now."""
    from rag.index.fetched import fetch_limits
    from rag.ingest.web.feeds import add_feed

    try:
        feed = add_feed(settings.seeds_dir, url.strip(), fetch_limits(settings))
    except RagError as exc:
        return f"**Not followed:** {escape(str(exc))}", feed_table(settings)
    return f"**Following {escape(feed.title or feed.url)}.** Update now saves its articles.", feed_table(settings)


def unfollow(settings: Settings, url: str) -> tuple[str, Rows]:
    """Stop following the feed at url (its articles stay); what happened, and the feeds now."""
    from rag.ingest.web.feeds import remove_feed

    try:
        feed = remove_feed(settings.seeds_dir, url.strip())
    except RagError as exc:
        return f"**Not removed:** {escape(str(exc))}", feed_table(settings)
    return f"**No longer following {escape(feed.url)}**; its articles stay.", feed_table(settings)


def update_handler(page: Page) -> Callable[..., tuple[str, str, Rows, Rows, Any]]:
    """The handler of "Update now"."""
    import gradio as gr

    settings = page.settings

    def update_now(progress: gr.Progress = gr.Progress()) -> tuple[str, str, Rows, Rows, Any]:
        """One update round over the followed feeds, then the index updated; one line per feed."""
        progress(0.05, desc="Fetching the feeds")
        lines: list[str] = []
        rounds, report = page.qa.index.update_feeds(  # the model's turn only for the index update
            lines.append, on_progress=embedding_progress(progress, 0.5), turn=page.model_queue.turn
        )
        if not rounds:
            text = "No feeds followed yet: type a feed's address and press Follow."
        else:
            text = "\n".join(f"- {escape(line)}" for line in lines)
            text += f"\n\nIndex update: {escape(report.summary())}" if report else "\n\nNothing new to index."
        return text, index_status(settings), feed_table(settings), *articles_view(settings)

    return update_now


def following_section(settings: Settings) -> Following:
    """The "Feeds" accordion."""
    import gradio as gr

    with gr.Accordion("Feeds", open=False, elem_id="feeds"):
        table = gr.Dataframe(
            value=feed_table(settings), headers=FEED_COLUMNS, interactive=False, wrap=True, elem_id="feed-table"
        )
        address = gr.Textbox(label="Feed address (RSS or Atom)", placeholder="https://.../feed.xml", elem_id="feed-url")
        with gr.Row():
            follow_button = gr.Button("Follow", elem_id="follow-feed")
            unfollow_button = gr.Button("Stop following", elem_id="unfollow-feed")
            update_button = gr.Button("Update now", variant="primary", elem_id="update-feeds")
        status = gr.Markdown(elem_id="feed-status")
    return Following(table, address, follow_button, unfollow_button, update_button, status)


def wire_following(page: Page, index: gr.Markdown, following: Following, listing: Listing) -> None:
    """Follow and Stop following; Update now, in the model's queue, updates the index status and the list."""
    settings = page.settings
    shown = [following.status, following.table]
    # lambdas, not follow and unfollow: Gradio would show their docstrings as the endpoints' descriptions
    following.follow.click(lambda url: follow(settings, url), [following.address], shown, api_name="follow_feed")
    following.unfollow.click(
        lambda url: unfollow(settings, url), [following.address], list(shown), api_name="unfollow_feed"
    )
    following.update.click(
        update_handler(page),
        None,
        [following.status, index, following.table, listing.table, listing.chosen],
        api_name="update_feeds",
        **IN_MODEL_QUEUE,
    )
