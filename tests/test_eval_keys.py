"""Resumed evaluation records are keyed by everything that can change an answer: every answer-shaping
setting and the pipeline's code (pure)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from rag.config import PROMPT_CACHES, Settings
from rag.evaluate.records import NOT_ANSWER_SHAPING, answer_shaping, fingerprint, pipeline_version

ROOT = Path(__file__).resolve().parents[1]


def changed(name: str, value: object) -> object:
    """Another valid value of the setting name, of value's type (or of its choices)."""
    if name == "prompt_cache":
        return next(choice for choice in PROMPT_CACHES if choice != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 if value else 0.1
    return f"{value}-other"


def test_every_answer_shaping_setting_changes_the_key_and_paths_do_not(tmp_path):
    base = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    key = fingerprint(answer_shaping(base, "index-1"))
    for field in dataclasses.fields(Settings):
        value = getattr(base, field.name)
        if field.name in NOT_ANSWER_SHAPING:
            continue
        other = dataclasses.replace(base, **{field.name: changed(field.name, value)})
        assert fingerprint(answer_shaping(other, "index-1")) != key, f"{field.name} does not key the records"
    moved = dataclasses.replace(base, seeds_dir=tmp_path / "elsewhere", queue_size=3)
    assert fingerprint(answer_shaping(moved, "index-1")) == key
    assert fingerprint(answer_shaping(base, "index-2")) != key


def test_a_changed_line_of_the_pipeline_changes_the_code_version(tmp_path):
    package = tmp_path / "rag"
    shutil.copytree(ROOT / "rag", package, ignore=shutil.ignore_patterns("__pycache__"))
    version = pipeline_version(package)
    assert version == pipeline_version(ROOT / "rag")
    report = package / "evaluate" / "scoring.py"
    report.write_text(report.read_text() + "\n# the evaluation's own code does not key answers\n")
    assert pipeline_version(package) == version
    verify = package / "answering" / "verify.py"
    verify.write_text(verify.read_text() + "\n# a changed verification\n")
    assert pipeline_version(package) != version
