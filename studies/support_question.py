"""A yes/no reading of support (the issue on meaning): the answering model asked whether the evidence window
states a sentence, its P(yes) read from the first token's probabilities, in two forms.

    python studies/support_question.py labels [--half fit|report|all] [--forms claim,answer]
    python studies/support_question.py withheld RUN_DIR [RUN_DIR ...] [--half ...] [--forms ...]

labels: each labelled sentence (rag/evaluate/data/claim_labels.jsonl) on the three sentences of its cited passages
closest to it (the second reading's window); AUROC of P(yes) among the sentences the verification keeps, and the
verification with the yes/no reading (kept and P(yes) >= t), t the highest that keeps recall >= 0.90 on the
fitting half. withheld: the answers the second reading withheld in `rag eval` runs (on its own window): would
P(yes) give back the right ones and not the wrong ones? Each P(yes) is kept in --cache and reused.

forms: "claim" (is the claim stated by the text?), "answer" (does the text support this answer to the
question?) and "says" (does the text say that ...?); "claim-passage" etc. read the cited passages whole."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from second_reading_effect import answer_records, outcome, rightness  # noqa: E402

from rag.answering.models import Messages  # noqa: E402
from rag.answering.second_reading import evidence_window  # noqa: E402
from rag.evaluate.claim_labels import LABELS, kept  # noqa: E402
from rag.evaluate.questions import half  # noqa: E402
from rag.evaluate.report import write_json  # noqa: E402
from rag.evaluate.scoring import auroc  # noqa: E402
from rag.answering.statement_check import p_yes, plain, stated_messages  # noqa: E402

FORMS: dict[str, Callable[[str, str, str], Messages]] = {
    "claim": lambda window, question, sentence: [
        {"role": "system", "content": "Say whether the text states the claim. Reply yes or no."},
        {"role": "user", "content": f"Text: {window}\n\nClaim: {sentence}\nStated by the text (yes or no):"},
    ],
    "answer": lambda window, question, sentence: [
        {"role": "system", "content": "Say whether the text supports the answer to the question. Reply yes or no."},
        {"role": "user", "content": f"Text: {window}\n\nQuestion: {question}\nAnswer: {sentence}\n"
                                    "Supported by the text (yes or no):"},
    ],
    "says": lambda window, question, sentence: stated_messages(window, sentence),  # the form chosen
}  # fmt: skip
WHOLE = "-passage"  # a form named with this ending reads the cited passages whole, not the three closest sentences


class Reader:
    """P(yes) per form, window, question and sentence, cached in a file."""

    def __init__(self, cache: Path) -> None:
        from rag.answering.models import load_generator
        from rag.config import Settings
        from rag.index.embedding import make_embedder

        settings = Settings.from_env()
        self.model, self.embed = load_generator(settings), make_embedder(settings).encode
        self.cache_file = cache
        self.cache: dict[str, float] = json.loads(cache.read_text()) if cache.exists() else {}

    def __call__(self, form: str, window: str, question: str, sentence: str) -> float:
        key = json.dumps([form, window, question, sentence])
        if key not in self.cache:
            messages = FORMS[form.removesuffix(WHOLE)](window, question, plain(sentence))
            chance = p_yes(self.model.next_token(messages))
            self.cache[key] = 0.5 if chance is None else chance  # type: ignore[attr-defined]
            if len(self.cache) % 10 == 0:
                write_json(self.cache_file, self.cache)
        return self.cache[key]

    def save(self) -> None:
        write_json(self.cache_file, self.cache)


def recall_threshold(pairs: list[tuple[float, bool]], supported: int, floor: float = 0.90) -> float:
    """The highest t for which the kept sentences with P(yes) >= t hold at least floor of the supported ones."""
    for t in sorted({p for p, _ in pairs}, reverse=True):
        if sum(s for p, s in pairs if p >= t) >= floor * supported:
            return t
    return 0.0


def precision_recall(pairs: list[tuple[float, bool]], supported: int, t: float) -> dict[str, float | int]:
    kept_pairs = [s for p, s in pairs if p >= t]
    return {
        "kept": len(kept_pairs),
        "precision": round(sum(kept_pairs) / len(kept_pairs), 3) if kept_pairs else 0.0,
        "recall": round(sum(kept_pairs) / supported, 3) if supported else 0.0,
    }


def labels_study(reader: Reader, halves: list[str], forms: list[str]) -> dict:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    found: dict = {}
    for form in forms:
        for name in halves:
            mine = [r for r in rows if half(r["id"]) == name and r.get("label") in ("supported", "not supported")]
            supported = sum(r["label"] == "supported" for r in mine)
            pairs = []
            for i, row in enumerate(mine, start=1):
                if not kept(row):
                    continue
                cited = [p["text"] for p in row["cited"]]
                window = "\n\n".join(cited) if form.endswith(WHOLE) else evidence_window(row["sentence"], cited, reader.embed)
                pairs.append((reader(form, window, row["question"], row["sentence"]), row["label"] == "supported"))
                if i % 25 == 0:
                    print(f"  {form} {name}: {i} of {len(mine)}", flush=True)
            found[f"{form}/{name}"] = {
                "sentences": len(mine),
                "supported": supported,
                "auroc_among_kept": auroc([p for p, s in pairs if s], [p for p, s in pairs if not s]),
                "verification": precision_recall(pairs, supported, 0.0),
                "pairs": pairs,
            }
            print(form, name, {k: v for k, v in found[f"{form}/{name}"].items() if k != "pairs"}, flush=True)
    for form in forms:
        if f"{form}/fit" in found and f"{form}/report" in found:
            fit, report = found[f"{form}/fit"], found[f"{form}/report"]
            t = recall_threshold([tuple(p) for p in fit["pairs"]], fit["supported"])
            found[f"{form}/threshold"] = {
                "t": t,
                "fit": precision_recall(fit["pairs"], fit["supported"], t),
                "report": precision_recall(report["pairs"], report["supported"], t),
            }
            print(form, "threshold", found[f"{form}/threshold"], flush=True)
    return found


def withheld_study(reader: Reader, runs: list[Path], halves: list[str], forms: list[str]) -> dict:
    found: dict = {}
    for form in forms:
        for name in halves:
            scored = []
            for run in runs:
                for record in answer_records(run):
                    if half(record["id"]) != name or outcome(record) != "withheld":
                        continue
                    window = next(r["window"] for r in record["readings"] if r["kind"] == "check")
                    p = reader(form, window, record["question"], record["reply"])
                    scored.append((p, rightness(record, "withheld"), run.name, record["id"]))
            by = {k: [p for p, r, *_ in scored if r == k] for k in ("right", "other", "wrong")}
            found[f"{form}/{name}"] = {
                "counts": {k: len(v) for k, v in by.items()},
                "auroc_right_vs_wrong": auroc(by["right"], by["wrong"]),
                "kept_at": {t: {k: sum(p >= t for p in v) for k, v in by.items()} for t in (0.3, 0.5, 0.7, 0.9)},
                "scored": scored,
            }
            print(form, name, {k: v for k, v in found[f"{form}/{name}"].items() if k != "scored"}, flush=True)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/support_question.py", description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["labels", "withheld"])
    parser.add_argument("runs", type=Path, nargs="*")
    parser.add_argument("--half", choices=["fit", "report", "all"], default="all")
    parser.add_argument("--forms", default="claim,answer")
    parser.add_argument("--cache", type=Path, default=Path("eval-output") / "support-question-cache.json")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    halves = ["fit", "report"] if args.half == "all" else [args.half]
    forms = args.forms.split(",")
    reader = Reader(args.cache)
    try:
        if args.what == "labels":
            found = labels_study(reader, halves, forms)
        else:
            found = withheld_study(reader, args.runs, halves, forms)
    finally:
        reader.save()
    out = args.out or Path("eval-output") / f"support-question-{args.what}-{args.half}.json"
    write_json(out, found)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
