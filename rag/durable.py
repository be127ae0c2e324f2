"""Files on disk: what survives a crash or a power cut once a file is moved into place, and content hashes."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make the renames inside folder durable (a file's own fsync does not cover its directory entry)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in blocks (a model file is a gigabyte)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: Path, data: object) -> None:
    """Write JSON atomically and durably: a hidden file of its own beside it (two writers never share one),
    fsynced, renamed, the folder fsynced."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
