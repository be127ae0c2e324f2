"""BM25 lexical index over chunk texts (bm25s), saved beside the FAISS index."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.text.words import tokenize


class LexicalIndex:
    """BM25 over a fixed list of chunk ids; rebuilt from the chunk table whenever the index changes."""

    def __init__(self, ids: Sequence[int], model: Any) -> None:  # a bm25s.BM25, or None with no passages
        self.ids = np.asarray(ids, dtype=np.int64)
        self._model = model

    @classmethod
    def build(cls, ids: Sequence[int], texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        if not ids:
            return cls([], None)
        model = bm25s.BM25()
        model.index([tokenize(t) or ["_"] for t in texts], show_progress=False)
        return cls(ids, model)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "ids.npy", self.ids)
        if self._model is not None:
            self._model.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        ids = np.load(folder / "ids.npy")
        model = bm25s.BM25.load(str(folder)) if len(ids) else None
        return cls(ids.tolist(), model)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, in the order of self.ids."""
        terms = tokenize(query)
        if self._model is None or not terms:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)
