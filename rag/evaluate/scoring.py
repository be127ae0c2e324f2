"""Scoring of retrieval and answers, following the evaluation sets' conventions (pure functions, no heavy imports).

Per-question records (dicts written by rag.evaluate.evaluators) are aggregated by `summarize`:

* retrieval records: {"kind": "retrieval", "mode", "retrieved": [article id of each retrieved passage, best
  first], "gold": [gold article ids], "seconds"}; questions without gold articles are not scored.
* answer records: {"kind": "answer", "answers", "answerable", "abstained", "text", "citations": [{"article_id",
  "passage", ...}], "invalid_citations", "sentences", "uncited_sentences", "timings": {...}, "gold"}.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from rag.markers import MARKER

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation) | set("‘’“”«»–—…")
_NUMBER_MARK = re.compile(r"(?<=\d)[.,](?=\d)")  # "5.25", "2,900": one number, never split
RECALL_KS = (1, 5, 10)
CURVE_KS = tuple(range(1, 11))


# --- answers ---------------------------------------------------------------------------------------------


def normalize_answer(text: str, punctuation: str = "") -> str:
    """SQuAD normalisation: lowercase, strip punctuation, drop the articles a/an/the, collapse whitespace.

    `punctuation` replaces each punctuation mark (" " reads "Brazil's" as "brazil s"); the default removes it.
    Points and commas inside numbers are always removed, so "$5.25" never holds "5".
    """
    text = _NUMBER_MARK.sub("", text.lower())
    text = "".join(punctuation if ch in _PUNCTUATION else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals any normalised accepted answer, else 0.0 (0.0 without answers)."""
    norm = normalize_answer(prediction)
    return float(any(norm == normalize_answer(a) for a in answers))


def _f1(prediction: str, answer: str) -> float:
    pred, gold = normalize_answer(prediction).split(), normalize_answer(answer).split()
    if not pred or not gold:
        return float(pred == gold)
    common = Counter(pred) & Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, answers: Sequence[str]) -> float:
    """SQuAD token F1 of the normalised texts, the best over the accepted answers (0.0 without answers)."""
    return max((_f1(prediction, a) for a in answers), default=0.0)


def contains(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when a normalised accepted answer appears in the normalised prediction as whole words, else 0.0.

    Matching is on word boundaries so that short answers are not found inside other words: "no" does not
    appear in "not known", "Europe" does not appear in "European Union", "Tampa Florida" appears in "in Tampa,
    Florida, on". Punctuation is read both ways, removed ("U.S." is "us") and as a space ("Brazil's" holds
    "Brazil", "17-year-old" holds "17"). An answer that normalises to nothing never counts.
    """
    for punctuation in ("", " "):
        norm = f" {normalize_answer(prediction, punctuation)} "
        if any((n := normalize_answer(a, punctuation)) and f" {n} " in norm for a in answers):
            return 1.0
    return 0.0


# --- retrieval -------------------------------------------------------------------------------------------


def unique_in_order(items: Iterable[str]) -> list[str]:
    """Items without repeats, each at its first occurrence."""
    return list(dict.fromkeys(items))


def recall_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Hit rate at k: 1.0 when any gold article is the article of one of the top-k retrieved passages.

    `ranked` holds the article id of each retrieved passage, best first (an article may occur several times);
    the cut-off k counts passages, not distinct articles. This is README's "recall@k"; with several gold
    articles it is 1.0 as soon as one of them is found (see gold_coverage_at_k for the share found).
    """
    wanted = set(gold)
    return float(any(article in wanted for article in ranked[:k]))


def gold_coverage_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Share of the gold articles that are among the articles of the top-k passages (0.0 without gold)."""
    wanted = set(gold)
    if not wanted:
        return 0.0
    return len(wanted & set(ranked[:k])) / len(wanted)


def mrr_at_k(ranked: Sequence[str], gold: Iterable[str], k: int = 10) -> float:
    """Reciprocal rank of the first gold article among the articles of the top-k passages.

    The articles are ranked by their first occurrence (duplicates count once), so passages [A, A, G] give
    1/2 when G is gold; 0.0 when no gold article is among the top-k passages.
    """
    wanted = set(gold)
    for rank, article in enumerate(unique_in_order(ranked[:k]), start=1):
        if article in wanted:
            return 1.0 / rank
    return 0.0


# --- abstention and citations ------------------------------------------------------------------------------


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Precision and recall of abstaining, where abstaining is right exactly on unanswerable questions.

    precision = right abstentions / abstentions (None when the system never abstained);
    recall = right abstentions / unanswerable questions (None when every question is answerable).
    """
    pairs = list(zip(abstained, answerable, strict=True))
    right = sum(1 for a, ok in pairs if a and not ok)
    made = sum(1 for a, _ in pairs if a)
    unanswerable = sum(1 for _, ok in pairs if not ok)
    return {
        "precision": right / made if made else None,
        "recall": right / unanswerable if unanswerable else None,
        "abstentions": made,
        "unanswerable": unanswerable,
    }


def citation_precision(cited: Sequence[Sequence[str]], gold: Sequence[Iterable[str]]) -> float | None:
    """Share of all citations (pooled over questions) whose article is a gold article of its question.

    cited[i] holds the article ids the answer to question i cites (one per citation); pass answerable
    questions only. None when there is no citation at all.
    """
    total = correct = 0
    for articles, wanted in zip(cited, gold, strict=True):
        wanted = set(wanted)
        total += len(articles)
        correct += sum(1 for a in articles if a in wanted)
    return correct / total if total else None


def answer_citation_precision(cited: Sequence[Sequence[str]], answers: Sequence[Sequence[str]]) -> float | None:
    """Share of all citations (pooled over questions) whose quoted passage holds an accepted answer (see contains).

    cited[i] holds the passage text of each citation of the answer to question i; pass answerable questions
    only. Unlike citation_precision it also counts another article that reports the same fact. Questions
    answered yes or no are left out (no passage states the verdict). None when there is no such citation.
    """
    total = correct = 0
    for passages, accepted in zip(cited, answers, strict=True):
        if all(normalize_answer(a) in ("yes", "no") for a in accepted):
            continue
        total += len(passages)
        correct += sum(contains(p, accepted) == 1.0 for p in passages)
    return correct / total if total else None


def unsupported_claim_share(records: Sequence[Mapping]) -> float | None:
    """Share of the shown sentences (answers that did not abstain) stating a name, number or quoted phrase
    that the passages they cite do not hold (an uncited one stating any counts too), read by the evaluation's
    own rule (rag.evaluate.claim_check), not by the answer's verification."""
    from rag.answering.citations import answer_sentences
    from rag.evaluate.claim_check import unfound_sentences
    from rag.model import readable_date

    shown = unfound = 0
    for record in records:
        if record["abstained"] or not record.get("text"):
            continue
        passages = {
            c.get("number"): " ".join(str(c.get(key) or "") for key in ("title", "source", "published", "passage"))
            + " "
            + readable_date(c.get("published"))
            for c in record.get("citations", [])
        }
        sentences = answer_sentences(record["text"])
        shown += len(sentences)
        unfound += len(unfound_sentences(sentences, passages))
    return unfound / shown if shown else None


def out_of_range_answers(records: Sequence[Mapping]) -> int:
    """Answers (not abstained) whose every cited article was published outside the question's time range."""
    count = 0
    for record in records:
        frame = record.get("time_frame") or {}
        since, until = frame.get("since"), frame.get("until")
        dates = [c.get("published") for c in record.get("citations", [])]
        if record["abstained"] or not (since or until) or not dates or not all(dates):
            continue
        count += all((since and day < since) or (until and day > until) for day in dates)
    return count


def removed_answer_named(records: Sequence[Mapping]) -> int:
    """Answers naming an answer that was removed from the corpus (it came from the model's memory)."""
    return sum(
        1
        for r in records
        if r.get("removed_answers")
        and not r["abstained"]
        and contains(strip_citations(r.get("text", "")), r["removed_answers"]) == 1.0
    )


def cited_sentence_share(sentences: int, uncited: int) -> float | None:
    """Share of the answer's sentences that carry a citation marker (None for an empty answer)."""
    return (sentences - uncited) / sentences if sentences else None


# --- statistics ------------------------------------------------------------------------------------------


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation (numpy's default); None when empty."""
    data = sorted(v for v in values if v is not None)
    if not data:
        return None
    position = (len(data) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return data[low] + (data[high] - data[low]) * (position - low)


def mean(values: Iterable[float | None]) -> float | None:
    data = [v for v in values if v is not None]
    return sum(data) / len(data) if data else None


def auroc(answerable: list[float], unanswerable: list[float]) -> float | None:
    """Probability that an answerable question's signal is above an unanswerable one's (ties count half)."""
    if not answerable or not unanswerable:
        return None
    wins = sum((a > u) + 0.5 * (a == u) for a in answerable for u in unanswerable)
    return wins / (len(answerable) * len(unanswerable))


def choose_threshold(answerable: list[float], max_false: float) -> float:
    """The highest threshold under which at most max_false of the answerable signals fall."""
    ordered = sorted(answerable)
    allowed = int(max_false * len(ordered))  # this many may fall below
    return ordered[allowed] if ordered else 0.0


def _latency(values: Iterable[float | None]) -> dict[str, float | None]:
    data = [v for v in values if v is not None]
    return {"median": percentile(data, 50), "p95": percentile(data, 95), "mean": mean(data), "n": len(data)}


# --- aggregation -----------------------------------------------------------------------------------------


def score_retrieval(ranked: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """The per-question retrieval numbers stored in a record."""
    scores = {f"recall@{k}": recall_at_k(ranked, gold, k) for k in RECALL_KS}
    scores["mrr@10"] = mrr_at_k(ranked, gold, 10)
    scores["coverage@10"] = gold_coverage_at_k(ranked, gold, 10)
    return scores


def strip_citations(text: str) -> str:
    """The answer without its [n] citation markers ("Europe [1]." -> "Europe .")."""
    return MARKER.sub(" ", text)


def score_answer(text: str, answers: Sequence[str], answerable: bool, abstained: bool) -> dict[str, float | None]:
    """EM, F1 and contains of one answer, its [n] markers removed first; an abstention scores 0.

    None on unanswerable questions (they are scored by abstention instead).
    """
    if not answerable or not answers:
        return {"em": None, "f1": None, "contains": None}
    if abstained:
        return {"em": 0.0, "f1": 0.0, "contains": 0.0}
    text = strip_citations(text)
    return {"em": exact_match(text, answers), "f1": token_f1(text, answers), "contains": contains(text, answers)}


def summarize_retrieval(records: Sequence[Mapping]) -> dict[str, object]:
    """Mean recall@k (k = 1..10), MRR@10 and gold coverage over records with gold articles; search latency."""
    scored = [r for r in records if r.get("gold")]
    curve = [mean(recall_at_k(r["retrieved"], r["gold"], k) for r in scored) for k in CURVE_KS]
    summary: dict[str, object] = {"questions": len(scored), "unscored": len(records) - len(scored)}
    for k in RECALL_KS:
        summary[f"recall@{k}"] = curve[k - 1]
    summary["mrr@10"] = mean(mrr_at_k(r["retrieved"], r["gold"], 10) for r in scored)
    summary["coverage@10"] = mean(gold_coverage_at_k(r["retrieved"], r["gold"], 10) for r in scored)
    answerable = [r for r in scored if r.get("answerable", True)]
    if len(answerable) != len(scored):
        summary["answerable_only"] = {
            "questions": len(answerable),
            **{f"recall@{k}": mean(recall_at_k(r["retrieved"], r["gold"], k) for r in answerable) for k in RECALL_KS},
            "mrr@10": mean(mrr_at_k(r["retrieved"], r["gold"], 10) for r in answerable),
        }
    summary["recall_curve"] = {str(k): v for k, v in zip(CURVE_KS, curve)}
    summary["latency_s"] = _latency(r.get("seconds") for r in records)
    return summary


def summarize_answers(records: Sequence[Mapping]) -> dict[str, object]:
    """EM / F1 / contains over answerable questions, abstention, citations and latency over all answers."""
    answerable = [r for r in records if r["answerable"]]
    scored = [r for r in answerable if r.get("answers")]
    abstention = abstention_scores([r["abstained"] for r in records], [r["answerable"] for r in records])
    timings = [r.get("timings") or {} for r in records]
    quoted = [r for r in scored if all("passage" in c for c in r.get("citations", []))]  # older records lack it
    shares = [
        cited_sentence_share(r.get("sentences", 0), len(r.get("uncited_sentences", [])))
        for r in records
        if not r["abstained"]
    ]
    return {
        "questions": len(records),
        "answerable": len(answerable),
        "em": mean(score_answer(r["text"], r["answers"], True, r["abstained"])["em"] for r in scored),
        "f1": mean(score_answer(r["text"], r["answers"], True, r["abstained"])["f1"] for r in scored),
        "contains": mean(score_answer(r["text"], r["answers"], True, r["abstained"])["contains"] for r in scored),
        "abstention_precision": abstention["precision"],
        "abstention_recall": abstention["recall"],
        "abstentions": abstention["abstentions"],
        "unanswerable": abstention["unanswerable"],
        "false_abstention_rate": mean(float(r["abstained"]) for r in answerable),
        "citation_precision": citation_precision(
            [[c["article_id"] for c in r.get("citations", [])] for r in answerable],
            [r.get("gold", []) for r in answerable],
        ),
        "answer_citation_precision": answer_citation_precision(
            [[c["passage"] for c in r.get("citations", [])] for r in quoted], [r["answers"] for r in quoted]
        ),
        "citations": sum(len(r.get("citations", [])) for r in records),
        "cited_sentence_share": mean(shares),
        "invalid_citations": sum(r.get("invalid_citations", 0) for r in records),
        "unsupported_claims": unsupported_claim_share(records),
        "removed_sentences": sum(len(r.get("unsupported") or []) for r in records),
        "abstention_reasons": dict(Counter(r.get("abstain_reason") or "unrecorded" for r in records if r["abstained"])),
        "out_of_range_answers": out_of_range_answers(records),
        "removed_answer_named": removed_answer_named(records),
        "errors": sum(1 for r in records if r.get("error")),
        "retrieve_s": _latency(t.get("retrieve_s") for t in timings),
        "first_token_s": _latency(t.get("first_token_s") for t in timings),
        "total_s": _latency(t.get("total_s") for t in timings),
    }


def summarize(records: Sequence[Mapping]) -> dict[str, object]:
    """Summary of per-question records: {"retrieval": {mode: {...}}, "answers": {...} or None}."""
    modes: dict[str, list[Mapping]] = {}
    for record in records:
        if record.get("kind") == "retrieval":
            modes.setdefault(record["mode"], []).append(record)
    answers = [r for r in records if r.get("kind") == "answer"]
    return {
        "retrieval": {mode: summarize_retrieval(rs) for mode, rs in modes.items()},
        "answers": summarize_answers(answers) if answers else None,
    }
