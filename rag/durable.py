"""Durable file writes: what survives a crash or a power cut once a file is moved into place."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    """Make the renames inside folder durable (a file's own fsync does not cover its directory entry)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
