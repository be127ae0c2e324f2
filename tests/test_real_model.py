"""The default answering model (Qwen2.5-Coder-1.5B via llama.cpp) on the seed article. Slow: ~1-2 min."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.config import Settings
from rag.indexing import build_index
from rag.qa import QA

pytestmark = pytest.mark.slow
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def qa(tmp_path_factory, embedder) -> QA:
    base = tmp_path_factory.mktemp("seed-index")
    shutil.copytree(SEEDS, base / "seeds")
    settings = Settings.from_env(seeds_dir=base / "seeds", index_dir=base / "index", generator="default")
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    return QA(settings, embedder=embedder)


def test_budapest_answer_cites_the_passage_that_says_it(qa):
    result = qa.answer("Where did Trump say the meeting with Putin would happen?")
    assert "Budapest" in result.text and not result.abstained
    assert any("Budapest" in c.passage for c in result.citations), result.citations
    assert result.citations[0].title.startswith("Washington cools contact with Moscow")
    assert result.citations[0].published == "2025-10-21"


def test_root_causes_answer_names_lavrov(qa):
    result = qa.answer("Who said Russia would only negotiate if the root causes of the conflict were addressed?")
    assert "Lavrov" in result.text and result.citations and not result.abstained


def test_unanswerable_question_is_abstained(qa):
    result = qa.answer("How many Tomahawk missiles did the United States agree to send to Ukraine?")
    assert result.abstained and result.citations == []
