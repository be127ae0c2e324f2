"""First token and total time against the first release's code on the same questions, in one run on this machine.

    python studies/first_release.py --articles ../shared/eval/squad2/articles.jsonl --questions ../shared/eval/squad2/questions.jsonl [--sample 12] [--seed 0] [--out eval-output/first-release]

The first release (commit FIRST_RELEASE, "README and CI script") is checked out into a temporary worktree and runs
its own `rag eval` (its own index, in a cache folder of its own that shares the model file); then today's code with
RAG_PROMPT_CACHE=instructions (the default) and =off. All three get the same sample of questions, written to one
file. Run it alone: the answering model needs both cores.

Found (squad2, 12 questions, seed 0): first token median 6.82 s for the first release, 5.20 s with the instructions'
state restored (0.76 of it), 5.89 s with every prompt read whole (0.86); totals 9.46, 9.63 and 10.15 s (today's
include the second reading)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rag.config import Settings
from rag.evaluate.questions import load_questions, sample_questions
from rag.evaluate.report import markdown_table, write_json

FIRST_RELEASE = "b72a376"
REPO = Path(__file__).resolve().parents[1]


def evaluate(code: Path, articles: Path, questions: Path, out: Path, env: dict[str, str]) -> dict:
    """`rag eval` of the code in folder code; its answers' summary."""
    command = [sys.executable, "-m", "rag", "eval", "--articles", str(articles), "--questions", str(questions)]
    subprocess.run([*command, "--out", str(out)], cwd=code, env=env, check=True)
    return json.loads((out / "results.json").read_text(encoding="utf-8"))["summary"]["answers"]


def row(name: str, answers: dict, first: float | None) -> list[object]:
    median = answers["first_token_s"]["median"]
    ratio = round(median / first, 2) if first and median else None
    return [name, round(median, 2), ratio, round(answers["total_s"]["median"], 2), round(answers["contains"], 3)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/first_release.py", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("eval-output/first-release"))
    args = parser.parse_args(argv)
    out, articles = args.out.resolve(), args.articles.resolve()
    out.mkdir(parents=True, exist_ok=True)
    chosen = {q["id"] for q in sample_questions(load_questions(args.questions), args.sample, args.seed)}
    questions = out / "questions.jsonl"
    lines = args.questions.read_text(encoding="utf-8").splitlines()
    questions.write_text("".join(f"{line}\n" for line in lines if line.strip() and json.loads(line)["id"] in chosen))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    with tempfile.TemporaryDirectory(prefix="rag-first-release-") as tmp:
        code, cache = Path(tmp) / "code", Path(tmp) / "cache"
        subprocess.run(["git", "worktree", "add", "--detach", str(code), FIRST_RELEASE], cwd=REPO, check=True)
        try:
            cache.mkdir()
            (cache / "models").symlink_to(Settings().cache_dir / "models")  # the model file, not its copy
            first = evaluate(code, articles, questions, out / "first-release", {**env, "RAG_CACHE_DIR": str(cache)})
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(code)], cwd=REPO, check=False)
    today = {
        mode: evaluate(REPO, articles, questions, out / f"today-{mode}", {**env, "RAG_PROMPT_CACHE": mode})
        for mode in ("instructions", "off")
    }
    baseline = first["first_token_s"]["median"]
    rows = [row("first release", first, baseline)] + [row(f"today, {m}", a, baseline) for m, a in today.items()]
    header = ["code", "first token median s", "of the first release's", "total median s", "contains"]
    print(markdown_table(header, rows))
    write_json(out / "first-release.json", {"questions": len(chosen), "rows": [dict(zip(header, r)) for r in rows]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
