"""The answer to a question about several reports: what each report says (its date, its sentence, cited),
then the verdict derived from them; a missing report named as such. Every sentence shown is a report's own
sentence or a verdict that names only the reports, so nothing in it is the model's wording."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answering.across.evidence import ReportEvidence
from rag.answering.across.verdict import Verdict, numbers, who
from rag.model import Answer, Citation, Report, Support, cite, relies_on
from rag.search.several import SeveralReports


def report_rows(evidence: Sequence[ReportEvidence], says: Sequence[bool | None]) -> list[Report]:
    """Each report as the answer shows it, in the order the question names them (says[i]: whether report i
    says what the question asks of it, None when that was not asked)."""
    rows = []
    for e, number, said in zip(evidence, numbers(evidence), says, strict=True):
        finding = e.missing or {True: "says so", False: "does not say so", None: ""}[said]
        source = (e.hit.source if e.hit else "") or e.asked.source or e.asked.outlet
        published = (e.hit.published if e.hit else "") or e.asked.date
        rows.append(
            Report(number, source, published or "", e.hit.title if e.hit else "", e.sentence, e.asked.claim, finding)
        )
    return rows


def across_answer(
    question: str,
    several: SeveralReports,
    evidence: Sequence[ReportEvidence],
    says: Sequence[bool | None],
    verdict: Verdict,
) -> Answer:
    """The final answer: one line per report ("The Verge (24 November 2023) [1] says: "..."."), then the
    verdict; an abstention naming the missing reports when none was found."""
    citations: list[Citation] = [cite(n, e.hit) for e, n in zip(evidence, numbers(evidence), strict=True) if e.hit]
    rows = report_rows(evidence, says)
    if not citations:
        return Answer(
            question, verdict.sentence, abstained=True, abstain_reason="report not in the index", reports=rows
        )
    lines = [f'{who(e, n)} says: "{e.sentence}"' for e, n in zip(evidence, numbers(evidence), strict=True) if e.hit]
    lines += [f"{e.missing[:1].upper()}{e.missing[1:]}." for e in evidence if e.missing and verdict.word]
    support = [
        Support(e.sentence, n, *e.span) for e, n in zip(evidence, numbers(evidence), strict=True) if e.hit and e.span
    ]
    text = "\n".join(f"- {line}" for line in lines) + (f"\n\n{verdict.sentence}" if verdict.sentence else "")
    return Answer(
        question,
        text,
        citations,
        hits=[e.hit for e in evidence if e.hit],
        abstained=not verdict.word and several.kind != "each",
        abstain_reason=None if verdict.word or several.kind == "each" else "report not in the index",
        relies_on=relies_on(citations),
        reports=rows,
        support=support,
    )
