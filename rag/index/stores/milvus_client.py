"""The Milvus store's connection: one pymilvus client per location and process, the collections this process
loaded, and every client operation's failure as one clear error (the index stays as it was last saved)."""

from __future__ import annotations

import os
from typing import Any

from rag.errors import IndexUnavailableError, RagError
from rag.locations import after_scheme, scheme

INSTALL = "pip install -e '.[milvus]'"
_CLIENTS: dict[str, Any] = {}  # one client per location and process (Milvus Lite locks its file to one process)
_LOADED: set[tuple[str, str]] = set()  # (location, collection) loaded into memory by this process


def reason(exc: Exception) -> str:
    """The engine's own words for a failure, on one line."""
    return str(getattr(exc, "message", None) or exc).splitlines()[0][:160]


def connect(location: str) -> Any:
    """A pymilvus client for the location, opened once per process; errors name the fix."""
    if location in _CLIENTS:
        return _CLIENTS[location]
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise RagError(f"the Milvus store needs pymilvus and milvus-lite; install them with: {INSTALL}") from None
    lite = scheme(location) == "milvus"
    uri = after_scheme(location)
    if lite and not uri.endswith(".db"):
        raise RagError(f"{location}: a Milvus Lite index is a file ending in .db, e.g. milvus:index/news.db")
    if lite:
        os.makedirs(os.path.dirname(os.path.abspath(uri)), exist_ok=True)
    try:
        client = MilvusClient(uri=uri, token=os.environ.get("RAG_MILVUS_TOKEN", ""))
    except Exception as exc:  # grpc, connection and lock errors come in many types
        hint = (
            "is another process using it? Milvus Lite lets one process open a file at a time"
            if lite
            else "check that the server is running and reachable, and RAG_MILVUS_TOKEN"
        )
        raise IndexUnavailableError(
            f"cannot open the Milvus index at {location} ({reason(exc)}); {hint}. Nothing was changed."
        ) from None
    _CLIENTS[location] = client
    return client


def loaded(location: str, name: str) -> str:
    """The collection's name, after making sure this process loaded it (a reopened one starts released)."""
    if (location, name) not in _LOADED:
        call(location, f"load {name}", connect(location).load_collection, name)
        _LOADED.add((location, name))
    return name


def unloaded(location: str, name: str) -> None:
    """Forget that this process loaded the collection (dropped, or an alias that names another one now)."""
    _LOADED.discard((location, name))


def release(location: str) -> None:
    """Close the location's client; for Milvus Lite also stop its engine, so another process may open the file."""
    _LOADED.difference_update({key for key in _LOADED if key[0] == location})
    client = _CLIENTS.pop(location, None)
    if client is None:
        return
    client.close()
    if scheme(location) == "milvus":
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(os.path.abspath(after_scheme(location)))


def call(location: str, action: str, operation: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one client operation; a failure becomes one clear error (the index stays as it was last saved)."""
    try:
        return operation(*args, **kwargs)
    except RagError:
        raise
    except Exception as exc:
        raise IndexUnavailableError(
            f"Milvus at {location} failed to {action} ({reason(exc)}); "
            "the index keeps what was last saved: run the command again when it is "
            "reachable"
        ) from None
