"""What the speed evaluators of `rag bench` share: latency statistics in milliseconds and peak memory.

Each section of `rag bench` is an evaluator object: given what it measures on (articles, questions, a model),
called, it returns its numbers (a dict for bench.json); its `table` renders them."""

from __future__ import annotations

import resource
from collections.abc import Callable, Sequence
from typing import Any

from rag.evaluate.scoring import percentile

Log = Callable[[str], None]


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def latency(values: Sequence[float]) -> dict[str, float | int | None]:
    """Median and p95 in milliseconds."""
    ms = [v * 1000 for v in values]
    return {"median_ms": median(ms), "p95_ms": rounded(percentile(ms, 95)), "n": len(ms)}


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def median(values: Sequence[float | None], digits: int = 3) -> float | None:
    return rounded(percentile(values, 50), digits)


def prompt_reading(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Prompt reading over answers (rows with prompt_tokens, cached_tokens, prompt_read_s, attempts): the median
    tokens read (cached ones are not), the median reading speed of single attempts, and the floor: the time
    reading the median prompt takes at that speed (what a first token cannot beat)."""
    asked = [r for r in rows if r.get("prompt_tokens")]
    read = [r["prompt_tokens"] - (r.get("cached_tokens") or 0) for r in asked]
    speeds = [
        tokens / r["prompt_read_s"]
        for tokens, r in zip(read, asked, strict=True)
        if r.get("attempts") == 1 and r.get("prompt_read_s")
    ]
    tokens, speed = median(read), median(speeds)
    return {
        "prompt_tokens_read": tokens,
        "prompt_tokens_per_s": None if speed is None else round(speed, 1),
        "floor_s": round(tokens / speed, 2) if tokens and speed else None,
    }
