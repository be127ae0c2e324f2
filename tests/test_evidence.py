"""The evidence step's letter pick: position bias averaged out, P(NONE) read from the first token's
probabilities, from llama.cpp, transformers and OpenAI-compatible servers with or without them."""

from __future__ import annotations

import pytest

from rag.answering.evidence import LETTERS, candidates, letter_pick, none_probability
from rag.answering.models import OpenAICompatibleGenerator, TransformersGenerator
from rag.model import Hit
from tests.fakes import ChatServer

SENTENCES = [
    "Officials said the talks would resume next week.",
    "Trump said the meeting with Putin would take place in Budapest.",
    "Markets in Europe closed higher on Tuesday.",
]


def reads_content(word: str, bias_to_first: float = 0.0):
    """The odds of a model that names the letter of the sentence holding `word` (P 0.8), or NONE when none does."""

    def odds(messages) -> dict[str, float]:
        lines = [line for line in messages[1]["content"].splitlines() if line[:2] in {f"{c}." for c in LETTERS}]
        holding = [line[0] for line in lines if word in line]
        given = {"A": bias_to_first} if bias_to_first else {}
        if holding:
            given[holding[0]] = given.get(holding[0], 0.0) + 0.8
            given["NONE"] = 0.05
        else:
            given["NONE"] = 0.8
        return given

    return odds


def test_the_pick_follows_the_sentence_not_its_position(scripted) -> None:
    model = scripted(odds=reads_content("Budapest", bias_to_first=0.5))
    pick = letter_pick(model, "Where would they meet?", SENTENCES)
    assert pick.sentence == SENTENCES[1] and pick.none < 0.1
    assert len(model.asked) == 2  # the sentences in two orders
    first, second = (m[1]["content"].splitlines()[0] for m in model.asked)
    assert first == f"A. {SENTENCES[0]}" and second == f"A. {SENTENCES[2]}"


def test_none_when_no_sentence_answers_and_for_no_sentences(scripted) -> None:
    pick = letter_pick(scripted(odds=reads_content("Stanley Cup")), "Who won the Stanley Cup?", SENTENCES)
    assert pick.sentence == "" and pick.none == pytest.approx(1.0)
    assert letter_pick(scripted(odds=reads_content("x")), "Who?", []).none == 1.0


def test_candidates_are_the_closest_sentences_first_at_most_ten(fake_embedder) -> None:
    text = " ".join(f"Sentence number {i} is about something else entirely." for i in range(14))
    text += " The summit with Putin would take place in Budapest."
    hit = Hit(0, "a.md", "Summit", "AP", "2025-10-21", "", text, 0, len(text), 0.5, 0.5)
    found = candidates("Where would the summit with Putin take place?", [hit], fake_embedder.encode)
    assert len(found) == len(LETTERS) and "Budapest" in found[0]


def test_a_model_without_token_probabilities_gives_no_signal(scripted, fake_embedder) -> None:
    assert none_probability(scripted("A"), "Where?", [], fake_embedder.encode) is None


def test_a_server_without_logprobs_is_read_from_its_reply() -> None:
    server = ChatServer(lambda body: ["NONE"])
    try:
        odds = OpenAICompatibleGenerator(server.url).next_token([{"role": "user", "content": "Which letter?"}])
    finally:
        server.close()
    assert odds == {"NONE": 1.0}
    assert server.requests[0]["logprobs"] is True and server.requests[0]["max_tokens"] == 1


def test_transformers_models_give_first_token_probabilities(tiny_model) -> None:
    odds = TransformersGenerator(tiny_model).next_token([{"role": "user", "content": "Budapest?"}], top=5)
    assert len(odds) <= 5 and all(0 < p <= 1 for p in odds.values()) and sum(odds.values()) <= 1 + 1e-6
