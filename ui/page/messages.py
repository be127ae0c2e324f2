"""An answer as chat messages, and the chat back as the conversation the library reads (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rag.search.followup import message_text
from ui.render import (
    abstain_reason,
    answer_notes,
    answer_text,
    counted,
    evidence_markdown,
    retrieved_markdown,
    search_notes,
    sources_markdown,
    unlinked,
)

if TYPE_CHECKING:
    from rag.model import Answer

WRITING = "_Reading the passages and writing the answer…_"
ANSWER_HEADING = "**Answer**\n\n"  # after the evidence it rests on
CHECKING = "_Draft, being checked against the sources: sentences not found in them will be removed._"
REREADING = "_Draft, being checked: the question is read again on its evidence alone._"
UNSTARTED = "_Stopped before the answer began._"
_NOT_ANSWERS = ("**Error:**", "**Unexpected error:**", UNSTARTED)


def answer_messages(answer: Answer) -> list[dict[str, Any]]:
    """Chat messages for a (partial or final) answer."""
    if answer.done:
        why = "\n\n".join(note for note in (abstain_reason(answer), answer.abstained and answer_notes(answer)) if note)
        evidence = evidence_markdown(answer)
        messages: list[dict[str, Any]] = [
            {
                "role": "assistant",
                "content": (f"{evidence}\n\n{ANSWER_HEADING}" if evidence else "")
                + answer_text(answer.text)
                + (f"\n\n{why}" if why else ""),
            }
        ]
        if answer.citations:
            messages.append(
                {
                    "role": "assistant",
                    "content": sources_markdown(answer),
                    "metadata": {"title": f"Sources ({len(answer.citations)})", "status": "done"},
                }
            )
        elif answer_notes(answer) and not answer.abstained:
            messages.append({"role": "assistant", "content": answer_notes(answer)})
        return messages
    articles = len({h.article_id for h in answer.hits})
    notes = search_notes(answer)
    step = {
        "role": "assistant",
        "content": (notes + "\n\n" if notes else "") + retrieved_markdown(answer.hits),
        "metadata": {
            "title": f"Retrieved {counted(len(answer.hits), 'passage')} from {counted(articles, 'article')}",
            "status": "done",
            "duration": round(answer.timings.retrieve_s, 2),
        },
    }
    note = REREADING if answer.rereading else CHECKING
    text = f"{note}\n\n{answer_text(answer.text)}" if answer.text else WRITING
    return [step, {"role": "assistant", "content": text}]


def conversation(history: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The chat as the library reads it for follow-ups: answers as plain text (not escaped), and error
    messages and answers stopped before they began left out."""
    turns = []
    for message in history or []:
        content = message.get("content")
        if message.get("role") == "assistant":
            text = message_text(content)
            if text.startswith(_NOT_ANSWERS):
                continue
            text = text.split(ANSWER_HEADING, 1)[-1].removeprefix(f"{CHECKING}\n\n").removeprefix(f"{REREADING}\n\n")
            message = {**message, "content": unlinked(text)}
        turns.append(message)
    return turns


def mark_stopped(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chat after Stop: the unfinished answer says it was stopped."""
    history = list(history or [])
    last_is_text = bool(history) and not (history[-1].get("metadata") or {}).get("title")
    if last_is_text and history[-1].get("role") == "assistant":
        last = dict(history[-1])
        text = message_text(last.get("content"))
        last["content"] = UNSTARTED if text.strip() in ("", WRITING) else f"{text}\n\n_(stopped)_"
        history[-1] = last
    return history
