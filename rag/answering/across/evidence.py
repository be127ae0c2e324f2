"""Each report a question names, found among the candidates on its own: its article (the source and date
named, the one closest to what the question asks of it), the sentence of it that bears on that, and how much
of what the question asks of it the article holds (support: the share of the claim's content words found in
its passage). A report the index does not hold, or holds but not near the question, is missing, with why."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answering.evidence import ReadsTokenOdds
from rag.model import Hit, readable_date
from rag.search.several import ReportAsked, content_words
from rag.text.claims import Haystack
from rag.text.sentences import sentence_spans

Embed = Callable[[list[str]], np.ndarray]
SAYS_THRESHOLD = 0.35  # P(Yes) from which a report says what the question asks of it (fitting half of multihop_rag)
_JUDGE = {"role": "system", "content": "Answer Yes or No."}


@dataclass(frozen=True)
class ReportEvidence:
    """What one named report says about the question's claim on it: its passage (None when missing), the
    sentence that bears on the claim (and where it stands in the passage), the share of the claim's words its passage holds, and, when missing,
    why (e.g. "no report from TechCrunch dated 15 December 2023 is in the index")."""

    asked: ReportAsked
    hit: Hit | None
    sentence: str = ""
    support: float = 0.0
    missing: str = ""
    span: tuple[int, int] | None = None  # where the sentence stands in the passage


def support_of(claim: str, text: str) -> float:
    """The share of the claim's content words the text holds (a word or a form of it)."""
    wanted = list(dict.fromkeys(content_words(claim)))
    if not wanted:
        return 0.0
    haystack = Haystack([text])
    return sum(haystack.has_word(word) for word in wanted) / len(wanted)


def why_missing(asked: ReportAsked, index_articles: Iterable[dict]) -> str:
    """Why no candidate is the report asked about: the index holds none of that outlet (and date), or holds
    one that is not close to the question."""
    who = f" from {asked.source or asked.outlet}" if asked.source or asked.outlet else ""
    when = f" dated {readable_date(asked.date)}" if asked.date else ""
    held = asked.known and any(map(asked.filters().allows, index_articles))
    if held:
        return f"no report{who}{when} close to the question was found"
    return f"no report{who}{when} is in the index"


def report_evidence(
    asked: Sequence[ReportAsked],
    ranked: Sequence[Hit],
    embed: Embed,
    index_articles: Iterable[dict],
    search: Callable[[ReportAsked], list[Hit]] = lambda _: [],
) -> list[ReportEvidence]:
    """For each report asked about (in order), its evidence among the ranked candidates, else among what
    `search` finds for its claim in that source's (and date's) articles alone. Two reports of one source
    and date take different articles when there are two ("the TechCrunch article on GPT-4 ... the
    TechCrunch article on the probe")."""
    taken: set[str] = set()
    found = []
    for report in asked:
        allows = report.filters().allows
        matching = [h for h in ranked if report.known and allows({"source": h.source, "published": h.published})]
        if not matching and report.known:
            matching = search(report)
        if not matching:
            found.append(ReportEvidence(report, None, missing=why_missing(report, index_articles)))
            continue
        vectors = embed([report.claim, *(h.text for h in matching)])
        order = sorted(range(len(matching)), key=lambda j: -float(vectors[j + 1] @ vectors[0]))
        fresh = [j for j in order if matching[j].article_id not in taken] or order
        hit = matching[fresh[0]]
        taken.add(hit.article_id)
        span = next(iter(closest_spans(report.claim, hit.text, embed)), None)
        sentence = " ".join(hit.text[span[0] : span[1]].split()) if span else ""
        found.append(ReportEvidence(report, hit, sentence, support_of(report.claim, hit.text), span=span))
    return found


def closest_spans(claim: str, text: str, embed: Embed, count: int = 1) -> list[tuple[int, int]]:
    """Where the passage's `count` sentences most similar to the claim stand, in passage order."""
    spans = sentence_spans(text)
    spans = [(a, b) for a, b in spans if len(text[a:b].split()) >= 3] or spans
    if len(spans) <= count:
        return spans
    vectors = embed([claim, *(text[a:b] for a, b in spans)])
    scores = vectors[1:] @ vectors[0]
    return [spans[i] for i in sorted(sorted(range(len(spans)), key=lambda i: -float(scores[i]))[:count])]


def closest_sentences(claim: str, text: str, embed: Embed, count: int = 1) -> list[str]:
    """The passage's `count` sentences most similar to the claim, in passage order (spaces collapsed)."""
    return [" ".join(text[a:b].split()) for a, b in closest_spans(claim, text, embed, count)]


def says_claim(model: object, evidence: ReportEvidence, embed: Embed) -> bool:
    """Does the report say what the question asks of it? The model's P(Yes) on its three sentences closest
    to the claim, from SAYS_THRESHOLD (measured against five other forms: docs/results.md); for a model
    that gives no token probabilities, half the claim's words in its passage."""
    if evidence.hit is None:
        return False
    if not isinstance(model, ReadsTokenOdds):
        return evidence.support >= 0.5
    hit = evidence.hit
    header = ", ".join(p for p in (hit.source, readable_date(hit.published)) if p)
    sentences = " ".join(closest_sentences(evidence.asked.claim, hit.text, embed, 3))
    odds = model.next_token(
        [
            _JUDGE,
            {
                "role": "user",
                "content": f"Report ({header}): {sentences}\n\nDoes this report say that {evidence.asked.claim}?",
            },
        ]
    )
    yes = sum(p for token, p in odds.items() if token.lower() == "yes")
    no = sum(p for token, p in odds.items() if token.lower() == "no")
    return bool(yes + no) and yes / (yes + no) >= SAYS_THRESHOLD
