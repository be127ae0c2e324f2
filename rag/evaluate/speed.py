"""What the speed evaluators of `rag bench` share: latency statistics in milliseconds and peak memory.

Each section of `rag bench` is an evaluator object: given what it measures on (articles, questions, a model),
called, it returns its numbers (a dict for bench.json); its `table` renders them."""

from __future__ import annotations

import resource
from collections.abc import Callable, Sequence

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
