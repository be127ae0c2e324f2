"""Property tests: loaders never crash on random bytes; the citation parser never invents sources."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import example, given, settings, strategies as st

from rag.answering.citations import parse_citations
from rag.ingest.documents import SUPPORTED_SUFFIXES, Article, Problem, load_file


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
