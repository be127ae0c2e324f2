"""Locations read by their scheme, and one registry of backends by scheme.

A location is where something lives: "openai:http://HOST:PORT/v1" (an answering server), "milvus:PATH.db" (a
Milvus Lite file), "http(s)://HOST:19530" (a Milvus cluster), or a file or folder path. The stores and the
answering models each keep one Registry, so a new backend is one `add` and no caller branches on prefixes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Generic, TypeVar

from rag.errors import RagError

MILVUS_LITE = "milvus:"  # a Milvus Lite file: "milvus:PATH.db"
PATH = "path"  # the scheme of a plain file or folder location
SCHEMES = {"openai", "milvus", "http", "https"}  # the prefixes read as schemes (and any a Registry takes); else a path

Backend = TypeVar("Backend")


def scheme(location: object) -> str:
    """The location's scheme: "openai", "milvus", "http", "https", or PATH for a file or folder (pure)."""
    if isinstance(location, str):
        head, colon, _ = location.partition(":")
        if colon and head.lower() in SCHEMES:
            return head.lower()
    return PATH


def after_scheme(location: str) -> str:
    """The location without its "milvus:" or "openai:" prefix (an http(s) URL is kept whole)."""
    kind = scheme(location)
    return location[len(kind) + 1 :] if kind in ("openai", "milvus") else location


def is_path(location: object) -> bool:
    """True when the location is a file or folder (a Path, or text that names no scheme)."""
    return isinstance(location, Path) or scheme(location) == PATH


class Registry(Generic[Backend]):
    """Backends of one kind (stores, answering models) by the scheme of their location."""

    def __init__(self, kind: str, fix: str, error: type[RagError] = RagError) -> None:
        self.kind = kind
        self.fix = fix  # what to write instead, for the error on an unknown scheme
        self.error = error
        self._backends: dict[str, Backend] = {}

    def add(self, schemes: Iterable[str], backend: Backend) -> None:
        for name in schemes:
            self._backends[name] = backend
            if name != PATH:
                SCHEMES.add(name)  # a new scheme is read as one from now on

    def of(self, location: object) -> Backend:
        """The backend for the location; an error (RagError or the registry's kind of it) naming what the registry takes when none fits."""
        found = self._backends.get(scheme(location))
        if found is None:
            raise self.error(f"{location!r} is not a location of {self.kind}: {self.fix}")
        return found
