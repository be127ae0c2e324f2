"""Which embedder made an index's vectors: a record (its name, dimension and vector of a fixed probe sentence)
kept in the manifest. An embedder is the same when its vector for the probe is (a server moved to another
address, the packaged model served over HTTP); otherwise its vectors never join or query the index."""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.errors import EmbedderMismatchError
from rag.index.embedding import Embedder

PROBE = "The city council approved the new harbour budget on Tuesday by nine votes to four."
SAME = 0.999  # cosine of the two probe vectors above which two embedders are one (float noise stays far above it)


def identity(embedder: Embedder) -> dict[str, Any]:
    """The record of embedder for a manifest."""
    vector = embedder.encode([PROBE])[0]
    return {"model": embedder.model_id, "dim": int(embedder.dim), "probe": [round(float(x), 6) for x in vector]}


def same_vectors(record: dict[str, Any], embedder: Embedder) -> bool:
    """True when embedder gives the recorded one's vectors (same dimension, probe vector within SAME)."""
    if int(record.get("dim", -1)) != embedder.dim:
        return False
    recorded = np.asarray(record.get("probe", []), dtype=np.float32)
    now = embedder.encode([PROBE])[0]
    if recorded.shape != now.shape:
        return False
    return float(recorded @ now / ((np.linalg.norm(recorded) * np.linalg.norm(now)) or 1.0)) >= SAME


def check_same(record: dict[str, Any] | None, embedder: Embedder, location: object) -> None:
    """EmbedderMismatchError naming both embedders and the fix when the index at location (its record) was made
    by another embedder; nothing when it was, or when the index holds no record (built before records)."""
    if record is None or same_vectors(record, embedder):
        return
    raise EmbedderMismatchError(
        f"the index in {location} holds vectors of {record.get('model')} (dimension {record.get('dim')}), and "
        f"{embedder.model_id} (dimension {embedder.dim}) gives other vectors for the same text, which must never "
        "be mixed or compared: set RAG_EMBEDDER (or RAG_EMBEDDING_MODEL) back to the index's embedder, or embed "
        "every article again with: rag build --full"
    )
