"""How the briefing groups a question set's articles into stories (issue on the briefing), on the set's own
structure and by reading.

    python studies/briefing_grouping.py ../shared/eval/realtimeqa_dev [--week 2022-09-19 --week 2022-10-03] [--out FILE.json]

Structure: for every question with two or more gold articles, whether a briefing over their days puts them in
one story. Reading: the stories of each --week (seven days from that date) are written out, sources and quotes,
to be read with the rule in READING_RULE.

Found (realtimeqa_dev): the gold articles of 11 of 12 such questions in one story (the one split: two articles a
month apart); weeks of 2022-09-19 and 2022-10-03, 24 stories read: 23 one event (0.958; two "5 things to know"
digests of different days grouped), 2 of 62 articles left out of the story they belong to (0.032: an analysis
of Biden's interview remarks beside the story of those remarks; a commentary on the Martha's Vineyard flights
beside the story of the sheriff's inquiry)."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from pathlib import Path

from rag.briefing.brief import brief
from rag.config import Settings
from rag.evaluate.report import write_json
from rag.evaluate.set_index import eval_index_settings, set_qa

READING_RULE = (
    "A story is one event when all its articles report the same event or its direct developments (the same "
    "incident, people and place over days). An article is left out of a story it belongs to when another story "
    "of the window holds an article about the same event."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python studies/briefing_grouping.py", description=__doc__.split("\n")[0])
    parser.add_argument("set", type=Path, help="a question set's folder (articles.jsonl, questions.jsonl)")
    parser.add_argument("--week", action="append", default=[], help="first day of a week to write out for reading")
    parser.add_argument("--out", type=Path, default=Path("eval-output/briefing-grouping.json"))
    args = parser.parse_args(argv)
    articles = {a["id"]: a for a in map(json.loads, (args.set / "articles.jsonl").open(encoding="utf-8"))}
    set_qa(args.set / "articles.jsonl")  # the set's index, built once and cached
    settings, _ = eval_index_settings(args.set / "articles.jsonl", Settings.from_env())
    checked = []
    for question in map(json.loads, (args.set / "questions.jsonl").open(encoding="utf-8")):
        gold = [g for g in question.get("gold_article_ids", []) if articles.get(g, {}).get("published")]
        if len(gold) < 2:
            continue
        days = sorted(articles[g]["published"][:10] for g in gold)
        made = brief(settings, since=days[0], until=days[-1], keep=False)
        story = {s.article.rsplit("#", 1)[-1]: n for n, st in enumerate(made.stories) for s in st.sources}
        checked.append({"id": question["id"], "together": len({story.get(g) for g in gold}) == 1 and gold[0] in story})
    weeks = {}
    for first in args.week:
        last = (date.fromisoformat(first) + timedelta(days=6)).isoformat()
        made = brief(settings, since=first, until=last, keep=False)
        weeks[first] = made.to_dict()
        print(f"week of {first}: {made.articles} articles in {len(made.stories)} stories")
    together = sum(c["together"] for c in checked)
    print(f"gold articles of one question in one story: {together} of {len(checked)}")
    write_json(args.out, {"rule": READING_RULE, "questions": checked, "weeks": weeks})
    print(f"wrote {args.out} (the weeks' stories, to read with the rule)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
