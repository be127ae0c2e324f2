"""A follow-up that leans on an earlier answer ("Who said that?") is answered about that answer's claim: an
answer resting on another sentence of the same article abstains and says so. Real index of the seed article,
real embedder, scripted model."""

from __future__ import annotations

import shutil

import pytest

from rag.answering.qa import QA
from rag.index.indexing import build_index
from rag.model import Ask
from tests.conftest import REPO

SEED = REPO / "seeds" / "000_463f5c1d11f4367e.txt"
EARLIER = [
    {"role": "user", "content": "What conditions did Russia set for the talks?"},
    {
        "role": "assistant",
        "content": "Russia demanded the exclusion of NATO from talks and the recognition of occupied territories [1].",
    },
]


@pytest.fixture
def seed_index(make_settings, embedder):
    settings = make_settings(chunk_tokens=64, chunk_overlap=12, sentence_share=1.0)  # the model reads them whole
    settings.seeds_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, settings.seeds_dir / SEED.name)
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    return settings


def test_a_follow_up_answered_with_another_claim_abstains(seed_index, embedder, scripted):
    other = "Lavrov said that Washington acknowledged that Moscow's stance remains unchanged [1]."  # same article
    model = scripted(other, short=("Lavrov",))
    final = QA(seed_index, generator=model, embedder=embedder).answer(Ask("Who said that?", history=EARLIER))
    assert final.abstained and final.abstain_reason == "not about the earlier answer", final
    assert "Lavrov" not in final.text and "earlier answer" in final.text and "NATO" in final.text


def test_a_follow_up_answered_about_its_claim_stays(seed_index, embedder, scripted):
    right = "Sources close to the U.S. government said Russia demanded the exclusion of NATO from talks [1]."
    model = scripted(right, short=("Sources close to the U.S. government",))
    final = QA(seed_index, generator=model, embedder=embedder).answer(Ask("Who said that?", history=EARLIER))
    assert not final.abstained and "Sources close to the U.S. government" in final.text, final
