"""The chat: questions answered as they stream, the date range, the example questions, Stop and Clear."""

from __future__ import annotations

import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from rag.config import Settings
from rag.errors import RagError
from rag.model import Ask
from ui.page.messages import answer_messages, conversation, mark_stopped
from ui.page.shared import Page
from ui.page.sources import EMPTY_PANEL, STOPPED_PANEL
from ui.render import escape, panel_markdown

if TYPE_CHECKING:
    import gradio as gr

Respond = Callable[..., Iterator[tuple[list[dict[str, Any]], str]]]
EXAMPLES_FILE = ".examples.txt"  # in the articles folder: example questions its articles answer, one a line


def as_day(value: str | None) -> str | None:
    """A date control's value as YYYY-MM-DD (None when empty); other text is passed on to be reported."""
    value = (value or "").strip()
    return value[:10] if re.match(r"\d{4}-\d{2}-\d{2}( |T|$)", value) else value or None


def example_questions(settings: Settings, limit: int = 3) -> list[str]:
    """The articles folder's own example questions (EXAMPLES_FILE, as the default corpus ships), else
    questions about the newest indexed articles, built from their titles."""
    try:
        listed = (settings.seeds_dir / EXAMPLES_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        listed = []
    if any(line.strip() for line in listed):
        return [line.strip() for line in listed if line.strip()][:limit]
    from rag.index.stores import read_manifest

    try:
        manifest = read_manifest(settings.index_dir)
    except RagError:
        return []
    entries = sorted(
        (manifest or {}).get("articles", {}).values(), key=lambda a: a.get("published") or "", reverse=True
    )
    questions = []
    for entry in entries[:limit]:
        title = re.sub(r"\s+", " ", entry.get("title", "")).strip()
        if title:
            questions.append(f"What does the article '{title[:120]}' report?")
    return questions


def responder(page: Page) -> Respond:
    """The chat's handler: each question answered in the model's turn, as it streams."""

    def respond(
        message: str, history: list[dict], since: str | None = None, until: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """Answer a question from the articles; earlier turns make follow-ups understandable."""
        stop = threading.Event()
        stream = None
        try:
            with page.model_queue.turn():
                ask = Ask(message, since=as_day(since), until=as_day(until), history=conversation(history))
                stream = page.qa.stream(ask, should_stop=stop.is_set)
                for answer in stream:
                    yield answer_messages(answer), panel_markdown(answer)
        except RagError as exc:
            yield [{"role": "assistant", "content": f"**Error:** {escape(str(exc))}"}], EMPTY_PANEL
        except Exception as exc:  # never a traceback in the page; the server log keeps it
            traceback.print_exc(file=sys.stderr)
            text = f"**Unexpected error:** {escape(type(exc).__name__)}: {escape(str(exc))}"
            yield [{"role": "assistant", "content": text}], EMPTY_PANEL
        finally:
            stop.set()  # the Stop button (or a closed page) closes this generator: stop the model too
            if stream is not None:
                stream.close()

    return respond


def _date_input(label: str, elem_id: str) -> gr.DateTime:
    """A date control of the date range (placed by the chat)."""
    import gradio as gr

    return gr.DateTime(
        label=label,
        include_time=False,
        type="string",
        render=False,
        elem_id=elem_id,
        info="YYYY-MM-DD; empty: any date",
    )


def answers_chatbot(value: list[Any] | None = None) -> gr.Chatbot:
    """The chat's messages as the page shows them (Markdown without LaTeX, copy buttons, no feedback)."""
    import gradio as gr

    return gr.Chatbot(
        value=value,
        label="Answers",
        show_label=False,
        height=600,
        buttons=["copy", "copy_all"],
        latex_delimiters=[],
        feedback_options=None,
        placeholder="Ask about the news in the indexed articles.",
    )


def chat_interface(respond: Respond, settings: Settings, panel: gr.Markdown) -> gr.ChatInterface:
    """The chat column: the answers, the question box, the example questions and the date range; respond
    also writes the sources panel."""
    import gradio as gr

    return gr.ChatInterface(
        respond,
        chatbot=answers_chatbot(),
        textbox=gr.Textbox(
            placeholder="Ask a question about the articles",
            show_label=False,
            elem_id="question",
            submit_btn=True,
            stop_btn=True,
            max_length=settings.max_question_chars,
        ),
        additional_outputs=[panel],
        examples=[[q] for q in example_questions(settings)] or None,
        additional_inputs=[_date_input("Published since", "since"), _date_input("Published until", "until")],
        additional_inputs_accordion=gr.Accordion("Date range", open=False, render=False),
        api_name="chat",
        api_description="Answer a question from the indexed articles: returns the answer messages "
        "(text, then the cited sources) and the sources panel as Markdown.",
        fill_height=False,
    )


def wire_clear_and_stop(chat: gr.ChatInterface, panel: gr.Markdown) -> None:
    """Clear empties the sources panel; Stop marks the unfinished answer and says it has no checked sources."""
    chat.chatbot.clear(lambda: EMPTY_PANEL, None, panel, api_visibility="undocumented", queue=False)
    chat.textbox.stop(
        lambda history: (mark_stopped(history), STOPPED_PANEL),
        [chat.chatbot],
        [chat.chatbot, panel],
        api_visibility="undocumented",
        queue=False,
    )
