"""`rag bench brief`: how long a briefing takes over DAY_ARTICLES articles of one day (quick: 200), in an index
that also holds OTHER_ARTICLES articles of other days (quick: none). The articles are written with precomputed
vectors (stories of a few articles each: a centre and noise) and sentences of real news (the realtimeqa_dev set
when it is beside the repository, else synthetic sentences), so the time is the briefing's own: reading the window,
grouping, choosing quotes, comparing with the last briefing. Each briefing runs in a process of its own, so its
peak memory is measured beside that of loading the whole index (what the chat does)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from rag.config import Settings
from rag.evaluate.report import markdown_table
from rag.evaluate.speed import Log

DAY_ARTICLES, OTHER_ARTICLES = 1_000, 9_000
CHUNKS_PER_ARTICLE = 8
STORY_SIZE = 5  # articles per synthetic story, on average
ROUNDS = 3
DIM = 384


def _sentences(count: int, rng: np.random.Generator) -> list[str]:
    """Sentences of real articles (realtimeqa_dev beside the repository), else made-up ones with names and figures."""
    from rag.evaluate.set_index import DEFAULT_ARTICLES
    from rag.text.sentences import sentence_spans

    found: list[str] = []
    for path in DEFAULT_ARTICLES:
        if path.is_file():
            for line in path.open(encoding="utf-8"):
                text = json.loads(line)["text"]
                found += [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]
    if not found:
        found = [
            f"Officials in Vellmar said {n:,} people attended the event on Tuesday, up from {n // 2:,}."
            for n in range(1000, 5000)
        ]
    return [found[i] for i in rng.integers(0, len(found), count)]


def synthetic_index(folder: Path, day: int, other: int, seed: int = 0) -> Settings:
    """A folder index of `day` articles dated 2025-06-02 and `other` articles on the 60 days before."""
    from rag.evaluate.query_speed import fill_store
    from rag.index.stores import empty_store

    rng = np.random.default_rng(seed)
    total = day + other
    centres = rng.standard_normal((max(1, total // STORY_SIZE), DIM)).astype(np.float32)
    sentences = _sentences(total * CHUNKS_PER_ARTICLE * 4, rng)
    articles = []
    for n in range(total):
        centre = centres[int(rng.integers(0, len(centres)))]
        vectors = centre + 0.6 * rng.standard_normal((CHUNKS_PER_ARTICLE, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        start = n * CHUNKS_PER_ARTICLE * 4
        texts = [" ".join(sentences[start + 4 * c : start + 4 * c + 4]) for c in range(CHUNKS_PER_ARTICLE)]
        published = "2025-06-02" if n < day else f"2025-{4 + n % 2:02d}-{1 + n % 28:02d}"
        entry = {
            "id": f"a{n:06d}.txt",
            "sha256": "",
            "title": f"Story number {n} in the news today",
            "url": "",
            "source": f"Outlet {n % 40}",
            "published": published,
            "path": f"a{n:06d}.txt",
        }
        articles.append((entry, texts, vectors))
    settings = Settings(seeds_dir=folder / "articles", index_dir=folder / "index")
    store = empty_store(settings.index_dir, DIM, settings.shape())
    fill_store(store, articles)
    return settings


_CHILD = """
import json, sys, time
from pathlib import Path
from rag.config import Settings
index, seeds, what = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
started = time.perf_counter()
if what == "brief":
    from rag.briefing.brief import brief
    stories = len(brief(Settings(seeds_dir=seeds, index_dir=index)).stories)
else:
    from rag.index.stores import load_store
    stories = load_store(index).count()
seconds = time.perf_counter() - started
peak_kb = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0])  # since the exec, unlike ru_maxrss
print(json.dumps({"seconds": seconds, "stories": stories, "peak_mb": peak_kb / 1024}))
"""


def in_child(settings: Settings, what: str) -> dict[str, float]:
    """One briefing ("brief") or one load of the whole index ("load", what the chat does) in a process of its
    own: its seconds and its peak memory, the interpreter and libraries included."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(settings.index_dir), str(settings.seeds_dir), what],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {what} run failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class BriefSpeed:
    """Briefing time and memory over a day of articles, the index holding others too."""

    quick: bool
    index_articles: int = DAY_ARTICLES + OTHER_ARTICLES
    log: Log = print
    name: ClassVar[str] = "brief"

    def __call__(self) -> dict[str, object]:
        day, other = (200, 0) if self.quick else (DAY_ARTICLES, max(0, self.index_articles - DAY_ARTICLES))
        with tempfile.TemporaryDirectory(prefix="rag-bench-brief-") as tmp:
            self.log(f"writing an index of {day + other:,} articles ({day:,} of one day)")
            settings = synthetic_index(Path(tmp), day, other)
            runs = []
            for n in range(ROUNDS):
                runs.append(in_child(settings, "brief"))
                self.log(f"briefing {n + 1}/{ROUNDS}: {runs[-1]['seconds']:.2f} s, {runs[-1]['peak_mb']:.0f} MB")
            whole = in_child(settings, "load")
        times = [r["seconds"] for r in runs]
        return {
            "day_articles": day,
            "index_articles": day + other,
            "stories": int(runs[-1]["stories"]),
            "seconds_median": round(statistics.median(times), 2),
            "seconds_max": round(max(times), 2),
            "rounds": ROUNDS,
            "briefing_peak_memory_mb": round(max(r["peak_mb"] for r in runs), 1),
            "whole_index_load_peak_memory_mb": round(whole["peak_mb"], 1),
        }

    @staticmethod
    def table(r: dict) -> str:
        return markdown_table(
            ["articles of the day", "articles in the index", "stories", "briefing median / max",
             "briefing peak memory", "loading the whole index (the chat)"],
            [
                [
                    r["day_articles"],
                    r["index_articles"],
                    r["stories"],
                    f"{r['seconds_median']} / {r['seconds_max']} s",
                    f"{r['briefing_peak_memory_mb']} MB",
                    f"{r['whole_index_load_peak_memory_mb']} MB",
                ]
            ],
        )  # fmt: skip
