"""Sentence selection: inside each prompt passage, only the sentences that matter to the question, so the model
reads the same evidence in fewer tokens (the prompt-reading time is the whole wait for the first token)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from rag.model import Hit
from rag.text.claims import Haystack, is_amount
from rag.text.question import Question
from rag.text.sentences import sentence_spans

GAP = " … "  # stands where sentences were left out
# A sentence opening like this (after an "According to ...," if any) speaks of someone or something named
# before it: it continues the sentence before it, and brings that sentence along.
_REFERS_BACK = re.compile(
    r"^\W*(?:according to [^,.]{1,40},\s*)?(?:he|she|it|they|his|her|its|their|this|that|these|those|there|"
    r"such|both|the (?:company|firm|group|move|deal|report|agency|government|court|bill|law|team|club|"
    r"country|city|state|president|minister|official|officials|decision|meeting|talks|announcement|plan)|"
    r"but|however|also|meanwhile|instead|still|then)\b",
    re.IGNORECASE,
)
Embed = Callable[[list[str]], np.ndarray]


def passage_sentences(text: str) -> list[str]:
    """The sentences of a passage, in order ("…" gaps between chunks stay inside a sentence)."""
    return [text[start:end] for start, end in sentence_spans(text)]


def anchored(sentences: Sequence[str], question: Question) -> list[bool]:
    """For each sentence: does it hold one of the question's numbers or quoted phrases, or one of its names
    that singles sentences out (found in at most a third of them: a name on every line is the topic, and
    those sentences compete by similarity instead)?"""
    marks = [False] * len(sentences)
    haystacks = [Haystack([sentence]) for sentence in sentences]
    for claim in question.claims:
        holding = [i for i, haystack in enumerate(haystacks) if haystack.has(claim)]
        if is_amount(claim) or claim.startswith('"') or len(holding) <= max(1, len(sentences) // 3):
            for i in holding:
                marks[i] = True
    return marks


def choose_sentences(
    sentences: Sequence[str], similarity: Sequence[float], anchors: Sequence[bool], share: float, min_sentences: int = 2
) -> list[int]:
    """The indices (in reading order) of the sentences to keep: every anchored one, then the most similar to the
    question until `share` of the passage's characters are kept (at least min_sentences), then after an anchored
    sentence the one that continues it ("According to the network, the decision followed ..." after the
    sentence naming the meeting), and before any kept sentence that refers back ("He said ...", "The company
    ...") the sentence it refers to (pure)."""
    if share >= 1 or len(sentences) <= min_sentences:
        return list(range(len(sentences)))
    room = share * sum(len(s) for s in sentences)
    kept = {i for i, anchor in enumerate(anchors) if anchor}
    for i in sorted(range(len(sentences)), key=lambda i: -similarity[i]):
        if len(kept) >= min_sentences and sum(len(sentences[j]) for j in kept) >= room:
            break
        kept.add(i)
    kept |= {i + 1 for i, anchor in enumerate(anchors[:-1]) if anchor and _REFERS_BACK.match(sentences[i + 1])}
    for i in sorted(kept, reverse=True):  # back to front, so a chain of references is followed to its start
        j = i
        while j > 0 and _REFERS_BACK.match(sentences[j]) and j - 1 not in kept:
            kept.add(j - 1)
            j -= 1
    return sorted(kept)


def joined(sentences: Sequence[str], kept: Sequence[int]) -> str:
    """The kept sentences in reading order, GAP where sentences were left out between or before them."""
    text = ""
    for position, i in enumerate(kept):
        if position and i != kept[position - 1] + 1:
            text += GAP
        elif position:
            text += " "
        text += sentences[i]
    return text


def select_sentences(question: Question, sources: Sequence[Hit], embed: Embed, share: float) -> list[Hit]:
    """The passages with only their sentences that matter to the question (see choose_sentences); each passage
    keeps its number, title, source and date. One embedding call scores every sentence of every passage."""
    if share >= 1 or not sources:
        return list(sources)
    split = [passage_sentences(hit.text) for hit in sources]
    flat = [sentence for sentences in split for sentence in sentences]
    vectors = embed([question.text, *flat])
    similarity = vectors[1:] @ vectors[0]
    chosen, offset = [], 0
    for hit, sentences in zip(sources, split):
        scores = similarity[offset : offset + len(sentences)]
        offset += len(sentences)
        kept = choose_sentences(sentences, list(scores), anchored(sentences, question), share)
        chosen.append(replace(hit, text=joined(sentences, kept)))
    return chosen
