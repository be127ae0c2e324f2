"""Questions across two reports with the default answering model: two short dated reports (written for this
test) that agree on when the bridge reopens and differ on what the repairs cost. Slow: ~1 min."""

from __future__ import annotations

import json

import pytest

from rag.answering.qa import QA
from rag.config import Settings
from rag.index.indexing import build_index

pytestmark = pytest.mark.slow

REPORTS = [
    {
        "id": "courier",
        "title": "Harbor Bridge to reopen after storm repairs",
        "source": "Vellmar Courier",
        "published": "2026-03-10",
        "url": "https://courier.example/bridge",
        "text": "The Harbor Bridge will reopen to traffic at the end of March, the city said on Monday. "
        "Engineers replaced two damaged cables after the February storm. "
        "The repairs cost 4 million euros, paid from the city's emergency fund. "
        "Buses will return to their usual routes once the bridge is open.",
    },
    {
        "id": "gazette",
        "title": "Storm-damaged bridge set for late-March reopening",
        "source": "Harbor Gazette",
        "published": "2026-03-12",
        "url": "https://gazette.example/bridge",
        "text": "Drivers can use the Harbor Bridge again at the end of March, officials confirmed. "
        "The repairs cost 6 million euros, more than first planned, because a second tower needed work. "
        "The ferry service that replaced the bridge will stop in April.",
    },
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory, embedder) -> QA:
    base = tmp_path_factory.mktemp("two-reports")
    (base / "seeds").mkdir()
    (base / "seeds" / "reports.jsonl").write_text("\n".join(json.dumps(r) for r in REPORTS) + "\n")
    settings = Settings.from_env(seeds_dir=base / "seeds", index_dir=base / "index", generator="default")
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    return QA(settings, embedder=embedder)


def test_both_reports_are_quoted_with_their_dates_and_the_verdict_cites_both(qa):
    result = qa.answer(
        "Did the Vellmar Courier and the Harbor Gazette both report that the bridge reopens at the end of March?"
    )
    lines = result.text.splitlines()
    assert lines[0].startswith("- Vellmar Courier (10 March 2026) [1] says:") and "end of March" in lines[0]
    assert lines[1].startswith("- Harbor Gazette (12 March 2026) [2] says:") and "end of March" in lines[1]
    assert lines[-1].startswith("Yes:") and "[1]" in lines[-1] and "[2]" in lines[-1]
    assert [r.finding for r in result.reports] == ["says so", "says so"] and not result.abstained


def test_different_figures_are_a_no_whatever_the_model_reads(qa):
    result = qa.answer("Did the Vellmar Courier and the Harbor Gazette agree on the cost of the repairs?")
    assert result.text.splitlines()[-1].startswith("No: the reports give different figures")
    assert "4 million euros" in result.text and "6 million euros" in result.text


def test_order_and_a_missing_report(qa):
    first = qa.answer("Was the Vellmar Courier report published before the Harbor Gazette report?")
    assert first.text.splitlines()[-1] == (
        "Yes: Vellmar Courier (10 March 2026) [1] came first, then Harbor Gazette (12 March 2026) [2]."
    )
    missing = qa.answer("Did the Vellmar Courier report and an article from The Daily Planet agree on the reopening?")
    assert missing.abstained and "No report from The Daily Planet is in the index" in missing.text
    assert missing.text.startswith("- Vellmar Courier (10 March 2026) [1] says:")  # what was found is still shown
    dated = qa.answer("Did the Harbor Gazette report of 20 March 2026 and the Vellmar Courier agree on the cost?")
    assert dated.abstained and "No report from Harbor Gazette dated 20 March 2026 is in the index." in dated.text
