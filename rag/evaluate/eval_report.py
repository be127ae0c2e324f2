"""What `rag eval` writes beside its records: the summary's Markdown tables (also printed), report.md and the plots
(recall_at_k.png, latency.png)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from rag.evaluate import scoring
from rag.evaluate.report import fmt, markdown_table

RETRIEVAL_HEADER = [
    "retriever",
    "questions",
    "recall@1",
    "recall@5",
    "recall@10",
    "MRR@10",
    "gold coverage@10",
    "median ms",
    "p95 ms",
]
ANSWER_HEADER = [
    "questions",
    "EM",
    "F1",
    "contains",
    "abstain P",
    "abstain R",
    "false abstain",
    "citation P",
    "citation holds answer",
    "cited sentences",
    "invalid cites",
    "retrieve s (med)",
    "first token s (med)",
    "total s (med)",
    "total s (p95)",
]
VERIFICATION_HEADER = [
    "unsupported claims",
    "sentences removed",
    "answers outside the time range",
    "answers naming a removed answer",
    "abstention reasons",
]


def summary_tables(summary: Mapping) -> str:
    """Markdown tables of the summary (also printed to stdout)."""
    text = "Retrieval (top-10 passages; recall@k = a gold article among the top-k passages' articles)\n\n"
    text += retrieval_table(summary["retrieval"])
    answers = summary.get("answers")
    if answers:
        text += "\n\nAnswers (EM / F1 / contains over answerable questions)\n\n" + answer_tables(answers)
        if answers["errors"]:
            text += f"\n\n{answers['errors']} questions were rejected (see records with an 'error')."
    return text


def retrieval_table(retrieval: Mapping) -> str:
    rows = []
    for mode, s in retrieval.items():
        latency = s["latency_s"]
        rows.append(
            [
                mode,
                s["questions"],
                s["recall@1"],
                s["recall@5"],
                s["recall@10"],
                s["mrr@10"],
                s["coverage@10"],
                _ms(latency["median"]),
                _ms(latency["p95"]),
            ]
        )
    return markdown_table(RETRIEVAL_HEADER, rows)


def answer_tables(answers: Mapping) -> str:
    """The answers' table and the verification's."""
    quality = [
        answers["questions"],
        answers["em"],
        answers["f1"],
        answers["contains"],
        answers["abstention_precision"],
        answers["abstention_recall"],
        answers["false_abstention_rate"],
        answers["citation_precision"],
        answers["answer_citation_precision"],
        answers["cited_sentence_share"],
        answers["invalid_citations"],
        answers["retrieve_s"]["median"],
        answers["first_token_s"]["median"],
        answers["total_s"]["median"],
        answers["total_s"]["p95"],
    ]
    reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(answers["abstention_reasons"].items()))
    verification = [
        answers["unsupported_claims"],
        answers["removed_sentences"],
        answers["out_of_range_answers"],
        answers["removed_answer_named"],
        reasons or "none",
    ]
    return (
        markdown_table(ANSWER_HEADER, [quality])
        + "\n\nVerification\n\n"
        + markdown_table(VERIFICATION_HEADER, [verification])
    )


def _ms(seconds: float | None) -> str | None:
    return None if seconds is None else f"{seconds * 1000:.1f}"


def make_plots(out: Path, summary: Mapping, records: Sequence[Mapping]) -> list[str]:
    """recall_at_k.png (k = 1..10 per retriever) and, when answers ran, latency.png; returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    if summary["retrieval"]:
        fig, ax = plt.subplots(figsize=(6, 4))
        for mode, s in summary["retrieval"].items():
            ks = [int(k) for k in s["recall_curve"]]
            values = [v if v is not None else float("nan") for v in s["recall_curve"].values()]
            ax.plot(ks, values, marker="o", label=f"{mode} (MRR@10 {fmt(s['mrr@10'])})")
        ax.set_xlabel("k (retrieved passages)")
        ax.set_ylabel("recall@k")
        ax.set_xticks(range(1, scoring.CURVE_KS[-1] + 1))
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
        ax.set_title("Gold article among the top-k passages")
        fig.tight_layout()
        fig.savefig(out / "recall_at_k.png", dpi=100)
        plt.close(fig)
        made.append("recall_at_k.png")
    answers = [r for r in records if r.get("kind") == "answer" and r.get("timings")]
    if answers:
        fig, ax = plt.subplots(figsize=(6, 4))
        total = [r["timings"]["total_s"] for r in answers]
        first = [r["timings"]["first_token_s"] for r in answers if r["timings"].get("first_token_s") is not None]
        import numpy as np

        bins = np.histogram_bin_edges(total + first, bins=min(30, max(5, len(total) // 3)))
        ax.hist(total, bins=bins.tolist(), alpha=0.6, label="total")
        if first:
            ax.hist(first, bins=bins.tolist(), alpha=0.6, label="first token")
        ax.set_xlabel("seconds")
        ax.set_ylabel("questions")
        ax.legend()
        ax.set_title("Answer latency")
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=100)
        plt.close(fig)
        made.append("latency.png")
    return made


def report_markdown(result: Mapping, tables: str, plots: Sequence[str]) -> str:
    machine = result["machine"]
    index = result["index"]
    lines = [
        f"# Evaluation: {result['set']}",
        "",
        "```",
        f"cd {shlex.quote(result['cwd'])} && {result['command']}",
        "```",
        "",
        f"- date: {result['date']}, wall time {result['seconds']} s",
        f"- machine: {machine.get('cores')} cores, {machine.get('ram_gb', '?')} GB RAM, {machine.get('cpu', '?')}",
        f"- questions: {result['questions']}"
        + (f" (sample of {result['sample']}, seed {result['seed']})" if result["sample"] else ""),
        f"- index: {index['articles']} articles, {index['chunks']} chunks, {index['settings']}, in {index['folder']}",
        f"- retrieval: top {result['retrieval_config']['k']} passages, {result['retrieval_config']['candidates']} "
        "candidates per retriever, no similarity threshold",
    ]
    if result["answer_config"]:
        config = result["answer_config"]
        lines.append(
            f"- answers: model {config['generator']}, top {config['top_k']} passages, abstain below "
            f"similarity {config['min_score']}, prompt budget {config['prompt_tokens']} tokens, "
            f"{config.get('sentence_share', 1.0):g} of each passage's sentences"
        )
    lines += ["", tables, ""]
    lines += [f"![{p.removesuffix('.png')}]({p})" for p in plots]
    lines += [
        "",
        "## How the numbers are computed",
        "",
        "- recall@k: share of questions (with gold articles) where a gold article is the article of one of the "
        "top-k retrieved passages; MRR@10: 1/rank of the first gold article among the articles of the top-10 "
        "passages, articles ranked by first occurrence; gold coverage@10: share of a question's gold articles "
        "found in the top 10.",
        "- EM, token F1 (best accepted answer) and contains (a normalised accepted answer occurs as whole words in "
        "the normalised answer) over answerable questions, after removing the answer's [n] markers; an abstention "
        "scores 0. Normalisation: lowercase, no punctuation, no a/an/the, single spaces.",
        "- Abstention: abstaining is right exactly on unanswerable questions; precision = right abstentions / "
        "abstentions, recall = right abstentions / unanswerable questions; false abstain = abstentions on "
        "answerable questions.",
        "- Citation precision: cited passages from a gold article / all citations, over answerable questions; "
        "citation holds answer: cited passages that contain an accepted answer / all citations, over answerable "
        "questions not answered yes or no (another article reporting the same fact counts); "
        "cited sentences: share of answer sentences with a [n] marker (answers that did not abstain).",
        "- Unsupported claims: share of shown sentences stating a name, number or quoted phrase that their cited "
        "passages (with title, source, date) do not hold; sentences removed: those the verification took out; "
        "answers outside the time range: answers whose every cited article lies outside the question's dates.",
        "",
    ]
    return "\n".join(lines)
