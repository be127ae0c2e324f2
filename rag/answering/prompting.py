"""Numbered sources -> chat messages for the answering model (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from rag.markers import ABSTAIN, MARKER
from rag.model import Hit, readable_date
from rag.text.question import Question
from rag.text.words import tokenize

_CITE_MANY = "End every sentence with the number of the passage it comes from, like [1]."
_CITE_ONE = "End every sentence with [1], the only passage."  # "like [1]" alone drew [2] from the model
# Asked again without the decline option, the model often replied with a bare "[1]"; this line after the
# question makes it write the answer out.
_NAME_THE_ANSWER = "Answer with a full sentence that names the answer."
_DO_NOT_DECLINE = "The passages contain the answer: do not decline."  # the second attempt, fixed instructions
MIN_PASSAGE_TOKENS = 100  # the best passage is cut to fit the budget, but never shorter than this


def instructions(passages: int, decline: bool = True) -> str:
    """The system prompt for a number of passages; decline=False leaves out the abstention clause (small
    models over-abstain with it, see QA.stream)."""
    text = (
        "Answer the question using only the numbered news passages, in one or two short sentences. "
        f"{_CITE_ONE if passages == 1 else _CITE_MANY} "
        "If passages disagree, say which source reported what and when."
    )
    return f"{text} If the passages do not contain the answer, reply exactly: {ABSTAIN}" if decline else text


def estimate_tokens(text: str) -> int:
    """Rough token count of English text for the answering model (about 4 characters a token)."""
    return len(text) // 4 + 1


def source_header(number: int, hit: Hit) -> str:
    details = ", ".join(part for part in (hit.source, readable_date(hit.published)) if part)
    return f"[{number}] {hit.title}" + (f" ({details})" if details else "")


def merge_by_article(hits: Sequence[Hit]) -> list[Hit]:
    """One passage per article: its retrieved chunks in reading order, overlaps joined, gaps marked '…'.
    Articles keep the rank of their best chunk."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.article_id, []).append(hit)
    merged = []
    for group in groups.values():
        parts = sorted(group, key=lambda h: h.start)
        text, end = parts[0].text, parts[0].end
        for part in parts[1:]:
            if part.start < end:
                text += part.text[end - part.start :]
            else:
                text += ("\n" if part.start == end + 1 else " … ") + part.text
            end = max(end, part.end)
        merged.append(replace(group[0], text=text, start=parts[0].start, end=end))
    return merged


def passage_cost(hit: Hit) -> int:
    """Estimated prompt tokens of one numbered passage."""
    return estimate_tokens(source_header(1, hit) + hit.text) + 4


def select_sources(hits: Sequence[Hit], budget_tokens: int, more_of_best: Sequence[Hit] = ()) -> list[Hit]:
    """The best article passages that fit in the prompt budget (the best one always, cut to fit).

    more_of_best are further retrieved chunks of the best article, best first: each joins its passage (in
    reading order) while it fits, so the passage the answer most likely comes from reads whole."""
    if not hits:
        return []
    used = estimate_tokens(instructions(2)) + 20
    best_id = hits[0].article_id
    best = [h for h in hits if h.article_id == best_id]
    for extra in more_of_best:
        if extra.article_id == best_id and used + passage_cost(merge_by_article([*best, extra])[0]) <= budget_tokens:
            best.append(extra)
    chosen: list[Hit] = []
    for hit in merge_by_article([*best, *(h for h in hits if h.article_id != best_id)]):
        cost = passage_cost(hit)
        if used + cost > budget_tokens:
            if chosen:
                break
            room = max(budget_tokens - used, MIN_PASSAGE_TOKENS)  # the best passage always goes in
            hit = replace(hit, text=hit.text[: room * 4])
            cost = room
        chosen.append(hit)
        used += cost
    return chosen


def inert(text: str) -> str:
    """Article text that cannot pose as a numbered source or a citation: every marker the citation parser
    reads ("[2]", "[passage 2]", "[1, 3]") gets round brackets: "(2)"."""
    return MARKER.sub(lambda marker: f"({marker.group(0)[1:-1].strip()})", text)


def build_messages(
    question: Question, sources: Sequence[Hit], decline: bool = True, fixed: bool = False
) -> list[dict[str, str]]:
    """Instructions, then the numbered passages and the question. Article text only ever sits inside the
    passages, below the instructions. decline=False (the second attempt) asks for a full sentence, except for
    a yes/no question. fixed: the same instructions for every prompt (the llama.cpp grammar keeps the markers
    to the passages given), so the model's runtime reuses what it read of them, and a second attempt says
    its request after the question (reusing the whole prompt); else they follow the number of passages and
    a second attempt leaves out the decline clause."""
    passages = "\n\n".join(
        f"{source_header(i, replace(hit, title=inert(hit.title)))}\n{inert(hit.text)}"
        for i, hit in enumerate(sources, start=1)
    )
    ask = f"Question: {question.text}"
    if not decline:
        name_it = not question.yes_no  # a yes/no reply names nothing; it declined when asked to
        ask += "".join((f"\n{_DO_NOT_DECLINE}" if fixed else "", f"\n{_NAME_THE_ANSWER}" if name_it else ""))
    system = instructions(2) if fixed else instructions(len(sources), decline)
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"{passages}\n\n{ask}"},
    ]


_ABOUT_PASSAGES = frozenset(
    "according passage passages article articles news source sources report reports reported indexed".split()
)


def restates_question(reply: str, question: Question) -> bool:
    """True when the reply to an open question adds nothing to it but word forms of the question and words
    about the passages ("Two supermarkets plan to merge in 2024, according to the news passages."; "The
    United States agreed to send Tomahawk missiles" to "How many Tomahawk missiles did the United States
    agree to send?"): no answer at all."""
    body = MARKER.sub(" ", reply)
    if question.closed or re.search(r"\b(?:yes|no|not)\b", body, re.IGNORECASE):
        return False
    asked = {_stem(word) for word in question.tokens}
    return all(_stem(word) in asked or word in _ABOUT_PASSAGES for word in tokenize(body))


def _stem(word: str) -> str:
    """ "agreed", "agree" -> "agre"; "missiles", "missile" -> "missil" (enough to tell a restated question)."""
    return re.sub(r"(?:ing|ed|es|e|s|d)$", "", word)


def is_grounded(reply: str, question: Question, sources: Sequence[Hit]) -> bool:
    """True when the reply adds words beyond the question, most of them and all its numbers from the passages."""
    body = MARKER.sub(" ", reply)
    passage_words = set(tokenize(" ".join(s.text + " " + s.title for s in sources)))
    asked = set(question.tokens)
    new_words = [w for w in tokenize(body) if w not in asked]
    if not new_words:
        return False
    numbers = [w for w in new_words if w.isdigit()]
    supported = sum(w in passage_words for w in new_words) / len(new_words)
    return supported >= 0.6 and all(n in passage_words for n in numbers)
