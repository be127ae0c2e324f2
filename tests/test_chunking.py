"""Sentence-aware chunking: offsets, coverage, token budgets, sentence boundaries and overlap."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from rag.ingest.chunking import chunk_text, embedding_text
from rag.text.sentences import sentence_spans
from rag.ingest.documents import load_articles


def words(texts):
    """Token counter for pure tests: one token per whitespace-separated word."""
    return [len(t.split()) for t in texts]


def n_words(text: str) -> int:
    return len(text.split())


STORY = (
    "Heads of government from twelve countries met in Budapest on Tuesday. "
    "Mr. Orbán welcomed the delegations at the parliament building. "
    "The U.S. ambassador attended as an observer, officials said. "
    "Talks focused on energy supplies and border controls. "
    "Several leaders called for a plan to protect gas pipelines from sabotage!\n"
    "Would the summit produce a joint declaration? "
    "Diplomats expected one on Wednesday afternoon. "
    "Protesters gathered outside, but the police kept them behind barriers. "
    "The next summit will be held in Vienna in the spring. "
    "Dr. Kovács, an analyst, said the mood was cautious but constructive."
)


def sentences(text):
    return [text[s:e] for s, e in sentence_spans(text)]


def check_invariants(text, chunks, max_tokens):
    """Offsets map back, every non-space character is covered, budgets hold, sentences stay whole."""
    spans = sentence_spans(text)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    long_spans = [(s, e) for s, e in spans if n_words(text[s:e]) > max_tokens]
    covered = set()
    for n, c in enumerate(chunks):
        assert c.ordinal == n
        assert c.text == text[c.start:c.end]
        assert c.text == c.text.strip() and c.text
        covered.update(range(c.start, c.end))
        # boundaries fall between sentences, or between words of a sentence too long for any chunk
        assert c.start in starts or any(s < c.start < e for s, e in long_spans)
        assert c.end in ends or any(s < c.end < e for s, e in long_spans)
        for s, e in spans:  # a sentence that fits is never cut
            if (s, e) not in long_spans:
                assert (c.start <= s and e <= c.end) or e <= c.start or s >= c.end, (c.text, text[s:e])
        single_sentence = any(s <= c.start and c.end <= e for s, e in spans)
        if not single_sentence:
            assert n_words(c.text) <= max_tokens
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and i not in covered]
    assert missing == []
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_offsets_coverage_and_budget():
    chunks = chunk_text("a", STORY, words, max_tokens=25, overlap=5)
    assert len(chunks) >= 4
    check_invariants(STORY, chunks, 25)
    for c in chunks:
        assert n_words(c.text) <= 25
        assert c.article_id == "a"


def test_every_sentence_is_inside_some_chunk():
    chunks = chunk_text("a", STORY, words, max_tokens=20, overlap=0)
    for s, e in sentence_spans(STORY):
        assert any(c.start <= s and e <= c.end for c in chunks), STORY[s:e]


def test_chunks_never_split_a_sentence():
    chunks = chunk_text("a", STORY, words, max_tokens=18, overlap=6)
    spans = sentence_spans(STORY)
    for c in chunks:
        for s, e in spans:
            # a sentence is either fully inside or fully outside the chunk
            assert (c.start <= s and e <= c.end) or e <= c.start or s >= c.end, (c.text, STORY[s:e])


def test_whole_text_fits_in_one_chunk():
    chunks = chunk_text("a", STORY, words, max_tokens=500, overlap=20)
    assert len(chunks) == 1
    assert chunks[0].text == STORY.strip()


def test_overlap_shares_trailing_sentences():
    text = " ".join(f"Sentence number {i} has five words." for i in range(1, 21))  # 6 words each
    chunks = chunk_text("a", text, words, max_tokens=30, overlap=12)
    assert len(chunks) > 2
    check_invariants(text, chunks, 30)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start < prev.end, "consecutive chunks overlap"
        shared = text[nxt.start:prev.end]
        assert prev.text.endswith(shared) and nxt.text.startswith(shared)
        assert sentences(shared) == sentences(prev.text)[-2:]   # 2 sentences of 6 words = 12 tokens
        assert n_words(shared) <= 12
        assert nxt.start > prev.start, "progress"


def test_no_overlap_when_zero():
    chunks = chunk_text("a", STORY, words, max_tokens=20, overlap=0)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start >= prev.end


@pytest.mark.parametrize("size, overlap", [(64, 64), (64, 100), (10, 11)])
def test_overlap_not_smaller_than_size_raises(size, overlap):
    with pytest.raises(ValueError, match="overlap"):
        chunk_text("a", STORY, words, max_tokens=size, overlap=overlap)


def test_over_long_sentence_is_split_into_pieces_within_budget():
    long_sentence = "Delegates " + " ".join(f"w{i}" for i in range(300)) + "."
    text = f"A short opening line. {long_sentence} A short closing line."
    chunks = chunk_text("a", text, words, max_tokens=64, overlap=8)
    check_invariants(text, chunks, 64)
    for c in chunks:
        assert n_words(c.text) <= 64
    s, e = sentence_spans(text)[1]
    assert n_words(text[s:e]) == 301
    pieces = [c for c in chunks if s <= c.start and c.end <= e]
    assert len(pieces) >= 301 // 64
    # pieces split at word boundaries and together give back every word of the sentence, in order
    got = [w for c in chunks for w in re.findall(r"w\d+", c.text)]
    assert sorted(set(got), key=lambda w: int(w[1:])) == [f"w{i}" for i in range(300)]
    for c in pieces:
        assert not text[c.start - 1].isalnum() and not text[c.end].isalnum()


def characters(texts):
    """Token counter for pure tests: one token per non-space character, as for CJK text."""
    return [sum(not ch.isspace() for ch in t) for t in texts]


@pytest.mark.parametrize("long_word", [
    "https://example.com/" + "/".join(f"segment{i}" for i in range(60)),  # a URL
    "|".join(f"item{i}=EUR{i * 3}.50" for i in range(40)),  # a pasted table row
    "东京电力公司周二宣布将提高明年的电价" * 20,  # CJK without sentence stops
], ids=["url", "table row", "cjk"])
def test_word_longer_than_the_budget_is_cut_into_pieces_within_it(long_word):
    text = f"Prices rose again. See {long_word} for details. Markets closed."
    chunks = chunk_text("a", text, characters, max_tokens=64, overlap=8)
    assert all(c.text == text[c.start:c.end] for c in chunks)
    assert max(characters([c.text for c in chunks])) <= 64
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    assert chunks[0].text.startswith("Prices rose again.") and chunks[-1].text.endswith("Markets closed.")


def test_cjk_sentence_stops_end_sentences():
    text = "东京电力公司周二宣布，将提高明年的电价。「价格上涨。」他说！真的吗？Prices rose. Then fell."
    assert sentences(text) == ["东京电力公司周二宣布，将提高明年的电价。", "「价格上涨。」", "他说！", "真的吗？",
                               "Prices rose.", "Then fell."]
    article = "东京电力公司周二宣布，将提高明年的电价。" * 12  # 20 characters a sentence
    chunks = chunk_text("a", article, characters, max_tokens=64, overlap=0)
    assert [len(c.text) for c in chunks] == [60, 60, 60, 60]  # three whole sentences a chunk


def test_abbreviations_do_not_end_sentences():
    text = ("Mr. Smith met U.S. officials in Washington. Mrs. Jones of Acme Inc. agreed. "
            "The U.K. and the U.N. were present, e.g. France. Dr. Lee spoke last.")
    assert sentences(text) == [
        "Mr. Smith met U.S. officials in Washington.",
        "Mrs. Jones of Acme Inc. agreed.",
        "The U.K. and the U.N. were present, e.g. France.",
        "Dr. Lee spoke last.",
    ]
    assert sentences("John F. Kennedy won. The Epic v. Google trial began.") == [
        "John F. Kennedy won.", "The Epic v. Google trial began."]


def test_sentence_ends_on_other_punctuation_quotes_and_newlines():
    text = 'He asked: "Is it over?" Nobody knew! 2025 was hard.\nNew paragraph without a period\n\nLast one.'
    assert sentences(text) == ['He asked: "Is it over?"', "Nobody knew!", "2025 was hard.",
                               "New paragraph without a period", "Last one."]


def test_lowercase_after_period_does_not_split():
    assert sentences("Prices rose 2.5 percent. costs fell.") == ["Prices rose 2.5 percent. costs fell."]


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_empty_text_gives_no_chunks(text):
    assert chunk_text("a", text, words) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 40), st.sampled_from([". ", "! ", "? ", ".\n", "\n\n"])), min_size=1,
             max_size=25),
    st.integers(8, 60),
    st.integers(0, 30),
)
def test_invariants_hold_for_generated_texts(parts, max_tokens, overlap):
    overlap = min(overlap, max_tokens - 1)
    text = "".join("Word " + " ".join(["news"] * (n - 1)) + sep for n, sep in parts)
    chunks = chunk_text("g", text, words, max_tokens=max_tokens, overlap=overlap)
    check_invariants(text, chunks, max_tokens)
    for c in chunks:
        assert n_words(c.text) <= max_tokens


def test_text_without_spaces_stays_within_the_budget_of_the_real_tokenizer(embedder):
    cases = ["东京电力公司周二宣布，将提高明年的电价。" * 40, "东京电力公司周二宣布，将提高明年的电价" * 40,
             "Prices: " + "|".join(f"item{i}=EUR{i * 3}.50" for i in range(300)) + "."]
    for text in cases:
        chunks = chunk_text("x", text, embedder.count_tokens, max_tokens=128, overlap=24)
        assert all(c.text == text[c.start:c.end] for c in chunks)
        counts = embedder.count_tokens([c.text for c in chunks])
        assert max(counts) <= 128, counts
        assert sum(counts) < 1.2 * embedder.count_tokens([text])[0]  # pieces near the budget, not slivers


def test_embedding_text_with_real_tokenizer_fits_the_model(embedder, tmp_path, articles):
    """Title + chunk, as embedded, never exceeds what all-MiniLM-L6-v2 can read (256 word pieces)."""
    articles_from_repo, _ = load_articles(Path(__file__).resolve().parent.parent / "seeds")
    for name, content in articles.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    loaded = articles_from_repo + load_articles(tmp_path)[0]
    long_title = "Very long headline about international negotiations " * 6
    monster = "The committee " + " ".join(["supercalifragilistic-2025/ref#%d" % i for i in range(200)]) + "."
    extra = [(long_title[:300], STORY + " " + monster), ("", monster)]
    cases = [(a.title, a.text) for a in loaded] + extra
    assert embedder.max_tokens == 256
    total = 0
    for title, text in cases:
        chunks = chunk_text("x", text, embedder.count_tokens, max_tokens=128, overlap=24)
        assert chunks
        assert all(c.text == text[c.start:c.end] for c in chunks)
        counts = embedder.count_tokens([embedding_text(title, c.text) for c in chunks])
        for c, n in zip(chunks, counts):
            assert n + 2 <= embedder.max_tokens, (title, c.text[:80], n)  # +2: [CLS] and [SEP]
        total += len(chunks)
    assert total > len(cases)
