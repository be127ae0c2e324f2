"""Sentence selection inside prompt passages: pure rules, then the real embedder on a real article."""

from __future__ import annotations

import re

import numpy as np

from rag.text.question import read_question
from rag.answering.citations import parse_citations
from rag.answering.models import marker_grammar
from rag.answering.prompting import build_messages
from rag.answering.selection import GAP, anchored, choose_sentences, joined, passage_sentences, select_sentences
from rag.answering.verify import verify_answer
from rag.model import Hit

SENTENCES = [
    "The storm reached the coast on Monday night.",
    "Officials in Vellmar opened three shelters.",
    "Mayor Anna Berg visited the harbour on Tuesday.",
    "She said repairs would cost 4.2 million euros.",
    "Schools stay closed until Thursday.",
    "The weather service expects calm days.",
]


def hit(text: str, title: str = "Storm hits Vellmar", number: int = 0) -> Hit:
    return Hit(chunk_id=number, article_id=f"a{number}", title=title, source="Courier", published="2026-03-10",
               url="", text=text, start=0, end=len(text), score=0.5, similarity=0.5)


def test_the_most_similar_sentences_fill_the_share_in_reading_order():
    similarity = [0.1, 0.2, 0.3, 0.1, 0.9, 0.8]
    kept = choose_sentences(SENTENCES, similarity, [False] * 6, share=0.25)
    assert kept == [4, 5]


def test_a_sentence_with_the_questions_number_is_kept_however_unlike_the_question_it_reads():
    question = "What did the mayor say the 4.2 million euros would pay for?"
    anchors = anchored(SENTENCES, read_question(question))
    assert anchors == [False, False, False, True, False, False]
    kept = choose_sentences(SENTENCES, [0.9, 0.1, 0.1, 0.0, 0.1, 0.1], anchors, share=0.3)
    assert 3 in kept and 0 in kept


def test_a_kept_sentence_that_refers_back_brings_the_sentence_naming_its_subject():
    kept = choose_sentences(SENTENCES, [0.0, 0.0, 0.0, 0.9, 0.0, 0.8], [False] * 6, share=0.3)
    assert kept == [2, 3, 5]  # "She said ..." brings "Mayor Anna Berg visited ..."


def test_an_anchored_sentence_brings_the_sentence_that_continues_it():
    lines = ["Talks opened in Oslo.", "A meeting between Rubio and Lavrov was postponed.",
             "According to the network, the decision followed deep disagreements.", "Rain fell all week.",
             "Markets were calm.", "Schools reopened."]
    anchors = anchored(lines, read_question("Why was the meeting between Rubio and Lavrov postponed?"))
    assert anchors == [False, True, False, False, False, False]
    assert choose_sentences(lines, [0.0, 0.1, 0.0, 0.0, 0.9, 0.0], anchors, share=0.3) == [1, 2, 4]
    unrelated = [*lines[:2], "Officials in Oslo met the press.", *lines[3:]]
    assert choose_sentences(unrelated, [0.0, 0.1, 0.0, 0.0, 0.9, 0.0], anchors, share=0.3) == [1, 4]


def test_a_name_on_every_line_is_the_topic_and_anchors_nothing():
    lines = ["Berg met voters.", "Berg spoke at noon.", "Berg left early.", "Rain fell.", "Berg won."]
    assert anchored(lines, read_question("What did Berg promise?")) == [False] * 5
    assert anchored(SENTENCES, read_question("Where did Anna Berg go?")) == [False, False, True, False, False, False]


def test_share_one_and_short_passages_keep_every_sentence():
    assert choose_sentences(SENTENCES, [0.0] * 6, [False] * 6, share=1.0) == list(range(6))
    assert choose_sentences(SENTENCES[:2], [0.0, 0.0], [False, False], share=0.1) == [0, 1]


def test_left_out_sentences_are_marked_where_they_were():
    assert joined(SENTENCES, [0, 1, 4]) == f"{SENTENCES[0]} {SENTENCES[1]}{GAP}{SENTENCES[4]}"
    assert passage_sentences(" ".join(SENTENCES)) == SENTENCES


def _word_embed(texts: list[str]) -> np.ndarray:
    """Bag-of-words vectors (a stand-in embedder for the pure rules; the real one is tested below)."""
    vocabulary = sorted({w for t in texts for w in re.findall(r"[a-z]+", t.lower())})
    vectors = np.array([[t.lower().count(w) for w in vocabulary] for t in texts], dtype=np.float32) + 1e-3
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_selected_prompt_still_holds_every_passage_number_the_answer_may_cite():
    sources = [hit(" ".join(SENTENCES), number=1),
               hit("Rail lines reopened on Wednesday. Trains run every hour. Buses replace the night trains.",
                   "Rail traffic resumes", 2),
               hit("Insurers expect claims to rise. Vellmar homes were hit hardest.", "Insurers brace", 3)]
    question = "How much will the repairs in Vellmar cost?"
    selected = select_sentences(read_question(question), sources, _word_embed, share=0.4)
    assert [(h.article_id, h.title, h.source, h.published) for h in selected] == \
        [(h.article_id, h.title, h.source, h.published) for h in sources]
    assert all(h.text for h in selected)
    assert sum(len(h.text) for h in selected) < sum(len(h.text) for h in sources)
    prompt = build_messages(read_question(question), selected)[1]["content"]
    for number in (1, 2, 3):
        assert f"[{number}] " in prompt and f'"{number}"' in marker_grammar(len(selected))
    assert "4.2 million euros" in selected[0].text and "Mayor Anna Berg" in selected[0].text
    reply = "Mayor Anna Berg said repairs would cost 4.2 million euros [1]."
    check = parse_citations(reply, len(selected))
    assert check.cited == [1] and not check.invalid
    assert verify_answer(reply, selected, read_question(question)).claims  # verified against what the model read


def test_the_real_embedder_keeps_the_sentence_that_answers(embedder, articles):
    bodies = [" ".join(text.splitlines()[2:]) for text in articles.values()]  # no title, no date line
    sources = [hit(" ".join(bodies), number=1)]
    selected = select_sentences(read_question("How many houses did the wildfire destroy?"), sources, embedder.encode, share=0.2)
    assert "At least two hundred houses were destroyed" in selected[0].text
    assert "penalt" not in selected[0].text  # the cup final has nothing to say about it
    assert len(selected[0].text) < 0.4 * len(sources[0].text)
