"""Per-question records, appended as they finish and keyed by everything that can change them, so an interrupted
measurement resumes where it stopped and a record of other code or settings is never taken for this one's."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from rag.config import Settings

# Settings that never change an answer: where files are, the API key, queue and batch sizes.
NOT_ANSWER_SHAPING = frozenset(
    {"seeds_dir", "index_dir", "cache_dir", "openai_api_key", "queue_size", "embed_batch_size", "max_file_bytes"}
)
PIPELINE = Path(__file__).resolve().parents[1]  # the rag package


def fingerprint(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def pipeline_version(package: Path = PIPELINE) -> str:
    """A hash of the pipeline's code (every .py file of the package but the evaluation's own), so records of
    answers written by other code are never taken for this code's."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] != "evaluate":
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def answer_shaping(settings: Settings, index_key: str) -> dict[str, object]:
    """What an answer record is keyed by: the index, the pipeline's code and every setting that can change an
    answer (all but NOT_ANSWER_SHAPING), so a changed default or changed code never reuses a stale answer."""
    shaping = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    return {"index": index_key, "code": pipeline_version(), **{k: v for k, v in shaping.items()
                                                               if k not in NOT_ANSWER_SHAPING}}  # fmt: skip


class Records:
    """Per-question records in <out>/records.jsonl, appended as they finish; the key decides what is done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, dict] = {}
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:  # a line cut short by an interruption
                        continue
                    self.done[record["key"]] = record
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("a", encoding="utf-8")

    @staticmethod
    def key(kind: str, question_id: str, config: str, mode: str = "") -> str:
        return f"{kind}:{mode}:{config}:{question_id}"

    def add(self, record: dict) -> None:
        self.done[record["key"]] = record
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()
