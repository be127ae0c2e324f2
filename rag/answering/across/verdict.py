"""Verdicts across reports, derived from each report's evidence by rules, never written by the model (pure).

    agreement   yes when every report says what the question asks of it; no (naming which) when one does
                not; turned round when the question asks whether they differ ("Was there inconsistency?")
    order       which report came first, from the reports' dates; a yes/no question that sets one report
                before another ("Did A report X before B ...?") is a no when their dates say otherwise
    shared      the name the reports' passages hold in common (not one the question already names)

A report the index does not hold leaves the verdict open: the answer says which report is missing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answering.across.evidence import ReportEvidence
from rag.model import readable_date
from rag.search.several import SeveralReports
from rag.text.claims import NOT_NAMES, NUMBER_WORDS, Haystack, amounts, is_amount, specifics

_ASKS_PERSON = re.compile(
    r"^(?:who\b|(?:which|what)\s+(?:individual|person|player|executive|founder|figure|public figure|athlete|"
    r"celebrity|star|singer|artist|politician|leader|quarterback|coach|ceo)\b)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_BEFORE = re.compile(r"\b(?:before|earlier than|first|earliest|sooner)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """A derived verdict: its word ("Yes", "No", a name, or "" when it cannot be told) and the sentence that
    gives it, citing each report it rests on by its number (see numbers)."""

    word: str
    sentence: str


def who(evidence: ReportEvidence, number: int) -> str:
    """A report as named in a verdict, e.g. "The Verge (24 November 2023) [1]"."""
    hit = evidence.hit
    name = (hit.source if hit else "") or evidence.asked.source or evidence.asked.outlet or "the report"
    published = readable_date(hit.published) if hit else ""
    return f"{name} ({published}) [{number}]" if published else f"{name} [{number}]"


def numbers(evidence: Sequence[ReportEvidence]) -> list[int]:
    """Each report's citation number: the found reports numbered 1, 2, ... in the order named; 0 for a
    missing one."""
    found = [i for i, e in enumerate(evidence) if e.hit]
    return [found.index(i) + 1 if i in found else 0 for i in range(len(evidence))]


def listed(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def missing_sentence(evidence: Sequence[ReportEvidence]) -> str:
    """What is missing, e.g. "No report from Bloomberg is in the index." ("" when every report was found)."""
    reasons = [e.missing for e in evidence if e.missing]
    joined = "; ".join(dict.fromkeys(reasons))
    return joined[:1].upper() + joined[1:] + "." if reasons else ""


def agreement(evidence: Sequence[ReportEvidence], says: Sequence[bool], asks_difference: bool) -> Verdict:
    """Yes when every report says what the question asks of it (says[i] for evidence[i]); no, naming the
    reports that do not, when some say it; turned round when the question asks whether they differ. Open
    ("") when a report is missing."""
    if any(e.missing for e in evidence):
        return Verdict("", missing_sentence(evidence) + " So the question cannot be settled from the articles.")
    named = [who(e, n) for e, n in zip(evidence, numbers(evidence), strict=True)]
    figures = differing_figures(evidence)
    if figures:
        word = "Yes" if asks_difference else "No"
        return Verdict(word, f"{word}: the reports give different figures ({figures}).")
    saying = [n for n, s in zip(named, says, strict=True) if s]
    silent = [n for n, s in zip(named, says, strict=True) if not s]
    if not silent:
        if asks_difference:
            return Verdict("No", f"No: {listed(named)} each say what the question asks of them, without differing.")
        return Verdict("Yes", f"Yes: {listed(named)} each say what the question asks of them.")
    tail = f"{listed(silent)} {'does' if len(silent) == 1 else 'do'} not say what the question asks of {'it' if len(silent) == 1 else 'them'}"
    if asks_difference and saying:
        return Verdict(
            "Yes",
            f"Yes, they differ: {listed(saying)} {'says' if len(saying) == 1 else 'say'} what the question asks, {tail}.",
        )
    lead = f"only {listed(saying)} {'says' if len(saying) == 1 else 'say'} what the question asks; " if saying else ""
    return Verdict("No", f"No: {lead}{tail}.")


def differing_figures(evidence: Sequence[ReportEvidence]) -> str:
    """When every report's sentence states a figure (not a year) and no figure of one matches another's: the
    figures, e.g. "Vellmar Courier [1]: 4 million euros; Harbor Gazette [2]: 6 million euros" (else "")."""
    stated = [
        (e, n, [f for f in specifics(e.sentence) if is_amount(f) and not _YEAR.fullmatch(f)])
        for e, n in zip(evidence, numbers(evidence), strict=True)
    ]
    if len(stated) < 2 or any(not figures for _, _, figures in stated):
        return ""
    for i, (_, _, mine) in enumerate(stated):
        for _, _, theirs in stated[i + 1 :]:
            if any(a.matches(b) for x in mine for y in theirs for a in amounts(x) for b in amounts(y)):
                return ""
    return "; ".join(f"{who(e, n)}: {', '.join(figures)}" for e, n, figures in stated)


def order(evidence: Sequence[ReportEvidence], question: str) -> Verdict:
    """Which report came first, from their dates; for "Was A published before B?" yes or no (A and B in the
    order the question names them). Open when a report is missing or undated, or two share a date."""
    if any(e.missing for e in evidence):
        return Verdict("", missing_sentence(evidence) + " So their order cannot be told from the articles.")
    dated = [(e.hit.published or "" if e.hit else "", i) for i, e in enumerate(evidence)]
    if any(not day for day, _ in dated) or len({day for day, _ in dated}) < len(dated):
        return Verdict("", "The reports' dates do not tell which came first.")
    ranked = [who(evidence[i], numbers(evidence)[i]) for _, i in sorted(dated)]
    sequence = f"{ranked[0]} came first, then {listed(ranked[1:])}"
    if re.match(r"^(?:was|were|did)\b", question.strip(), re.IGNORECASE):
        first_named_first = dated[0][0] < dated[1][0]
        asked_before = bool(_BEFORE.search(question))
        word = "Yes" if first_named_first == asked_before else "No"
        return Verdict(word, f"{word}: {sequence}.")
    return Verdict(ranked[0].rsplit(" [", 1)[0], f"{sequence[0].upper()}{sequence[1:]}.")


def shared_name(evidence: Sequence[ReportEvidence], question: str) -> Verdict:
    """The name that most reports' passages hold (at least two, and more than any other name), not one the
    question names; open when no name is shared so."""
    found = [e for e in evidence if e.hit]
    if len(found) < 2:
        return Verdict("", missing_sentence(evidence))
    asked = Haystack([question])
    person = bool(_ASKS_PERSON.search(question.strip()))
    passages = [Haystack([e.hit.title, e.hit.text]) for e in found if e.hit]
    counts: dict[str, list[int]] = {}
    for e in found:
        for written in specifics(e.hit.text if e.hit else ""):
            name = re.sub(r"['’]s$", "", written)
            if not _could_answer(name, person) or asked.has(name) or name in counts:
                continue
            counts[name] = [i for i, p in enumerate(passages) if p.has(name)]
    best = sorted(counts.items(), key=lambda kv: (-len(kv[1]), -len(kv[0])))
    if not best or len(best[0][1]) < 2 or (len(best) > 1 and len(best[1][1]) == len(best[0][1]) and not _same(best)):
        return Verdict("", "")
    name, holders = best[0]
    cited = [evidence.index(found[i]) for i in holders]
    return Verdict(name, f"{name}: named by {listed([who(evidence[i], numbers(evidence)[i]) for i in cited])}.")


def _could_answer(name: str, person: bool) -> bool:
    """A name that could answer a which/who question: a capitalised name not opening with a title ("CEO
    Caroline Ellison"), not a number or a quoted phrase; for a person, a full name (two words or more)."""
    words = name.split()
    if (
        not words
        or not name[0].isupper()
        or words[0].lower() in NOT_NAMES
        or is_amount(name)
        or name.lower() in NUMBER_WORDS
    ):
        return False
    return len(words) >= 2 if person else True


def _same(best: list[tuple[str, list[int]]]) -> bool:
    """True when the leading names are one name written longer and shorter ("Sam Bankman-Fried",
    "Bankman-Fried")."""
    first, second = best[0][0].lower(), best[1][0].lower()
    return first.endswith(second) or second.endswith(first)


def out_of_order(evidence: Sequence[ReportEvidence], earlier: tuple[int, int]) -> Verdict | None:
    """A "no" when the question sets report i before report j (earlier = (i, j)) and their dates say
    otherwise; None when the dates agree with it or do not tell (a report missing or undated)."""
    i, j = earlier
    first, then = evidence[i].hit, evidence[j].hit
    if not first or not then or not first.published or not then.published or first.published <= then.published:
        return None
    cited = numbers(evidence)
    return Verdict(
        "No", f"No: {who(evidence[i], cited[i])} came out after {who(evidence[j], cited[j])}, not before it."
    )


def derive_verdict(
    several: SeveralReports, evidence: Sequence[ReportEvidence], says: Sequence[bool | None], question: str
) -> Verdict:
    """The verdict the question's kind asks for (none for "what did each say": the reports are the answer)."""
    if several.kind == "verdict":
        out_of_time = out_of_order(evidence, several.earlier) if several.earlier else None
        return out_of_time or agreement(evidence, [bool(s) for s in says], several.asks_difference)
    if several.kind == "order":
        return order(evidence, question)
    if several.kind == "shared":
        return shared_name(evidence, question)
    return Verdict("", missing_sentence(evidence))
