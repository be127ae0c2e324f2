"""Property tests: loaders never crash on random bytes; the citation parser never invents sources; time words
and the checks before the model reach a reading or a QuestionError on any question text."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from hypothesis import example, given, settings, strategies as st

from rag.model import ABSTAIN_REASONS
from rag.answering.citations import parse_citations
from rag.answering.gate import check_before_model
from rag.errors import QuestionError
from rag.ingest.documents import SUPPORTED_SUFFIXES, Article, Problem, load_file
from rag.search.planning import plan_search, validate_question
from rag.model import Ask, Hit
from rag.search.timeframe import resolve_time


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_loaders_turn_any_bytes_into_articles_or_problems(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(data)
        for item in load_file(path, path.name):
            assert isinstance(item, (Article, Problem))
            if isinstance(item, Article):
                assert item.text.strip() and "\x00" not in item.text


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab .[]1234567890,\n")), max_size=200),
       sources=st.integers(min_value=0, max_value=5))
@example(text="[[9]5]", sources=3)
@example(text="[1[9]]", sources=3)
def test_citation_parser_keeps_only_valid_numbers(text, sources):
    check = parse_citations(text, sources)
    assert all(1 <= n <= sources for n in check.cited)
    assert len(set(check.cited)) == len(check.cited)
    assert all(1 <= int(n) <= sources for n in re.findall(r"\[(\d+)\]", check.text)), "no bad marker remains"


_TIME_WORDS = st.sampled_from(
    ["in", "since", "from", "during", "October", "May", "0000", "0001", "9999", "99999999", "days", "ago", "last",
     "this", "week", "year", "on", "Tuesday", "2025-10-21", "0000-01-01", "?", ",", "early", "the"]
)  # fmt: skip
_QUESTIONS = st.one_of(st.text(max_size=200), st.lists(_TIME_WORDS, max_size=12).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(question=_QUESTIONS, capped=st.booleans(), reference=st.dates())
@example(question="What happened in October 0000?", capped=False, reference=date(2025, 10, 21))
@example(question="What happened 99999999 days ago?", capped=True, reference=date(2025, 10, 21))
@example(question="What happened in 0000?", capped=False, reference=date(1, 1, 1))
def test_time_words_never_raise_on_any_question(question, capped, reference):
    frame = resolve_time(question, reference, "the question's date", cap_at_reference=capped)
    assert frame.since is None or frame.since <= reference.isoformat()


@settings(max_examples=200, deadline=None)
@given(question=_QUESTIONS)
@example(question="What happened in October 0000?")
def test_the_question_checks_reach_a_decision_or_a_question_error_on_any_text(question):
    try:
        cleaned = validate_question(question, 1000)
    except QuestionError:
        return
    index = SimpleNamespace(sources=["Reuters"], store=SimpleNamespace(manifest={"articles": {}}))
    plan = plan_search(Ask(cleaned, reference_date="2025-10-21"), lambda: index)  # type: ignore[arg-type, return-value]
    passage = Hit(1, "a1", "Budapest summit", "Reuters", "2025-10-14", "", "Leaders met in Budapest.", 0, 24, 1.0, 0.7)
    early = check_before_model(plan, [passage], answer_similarity=0.36)
    assert early is None or early.reason in ABSTAIN_REASONS
