"""News awareness: time words, recency, near-duplicate stories and follow-up questions, on small dated sets."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from rag.answering.qa import QA
from rag.answering.reports import same_story_dated
from rag.config import Settings
from rag.errors import QuestionError
from rag.index.indexing import build_index
from rag.ingest.duplicates import fingerprint, group_duplicates
from rag.search.followup import last_turn, standalone_question
from rag.search.named import NamedReports, named_reports
from rag.search.retrieval import boost_recent
from rag.model import Ask, Hit
from rag.search.timeframe import resolve_time

REF = date(2026, 3, 20)

STORM = ("Heavy rain from the storm sent the river over its banks on Thursday night and flooded the old town of "
         "Vellmar. The water rose to 1.4 metres in Market Street, the fire service said, and 300 residents spent "
         "the night in the sports hall. Shops along the quay were closed on Friday while crews pumped out cellars. "
         "The mayor said the flood defences ordered last year would not be finished before the autumn, and asked "
         "residents to keep sandbags ready for the next storm expected on Sunday.")
DATED = [
    {"id": "bridge-1", "title": "Cracks found in Harbor Bridge", "source": "Vellmar Courier",
     "published": "2026-03-01",
     "text": "Engineers found cracks in the Harbor Bridge in Vellmar during an inspection. The bridge will close "
             "to traffic for repairs, the city said, and the repairs should take two weeks."},
    {"id": "bridge-2", "title": "Harbor Bridge repairs delayed", "source": "Vellmar Courier",
     "published": "2026-03-10",
     "text": "Repairs to the Harbor Bridge in Vellmar are delayed because steel parts arrived late. The city now "
             "expects the bridge to stay closed to traffic until the end of March."},
    {"id": "bridge-3", "title": "Harbor Bridge reopens", "source": "Northern Post", "published": "2026-03-19",
     "text": "The Harbor Bridge in Vellmar reopened to traffic on Thursday after the repairs were finished "
             "early, city engineer Tomas Rand said."},
    {"id": "summit", "title": "Ministers agree on a spring summit", "source": "Wire", "published": "2026-03-18",
     "text": "Foreign minister Mara Lind said the regional summit will take place in Tallinn in May. Delegations "
             "from nine countries are expected to attend the two-day meeting."},
    {"id": "storm", "title": "Storm floods Vellmar old town", "source": "Wire", "published": "2026-03-05",
     "text": STORM},
    {"id": "storm-copy", "title": "Flooding in Vellmar", "source": "Daily Echo", "published": "2026-03-06",
     "text": STORM.replace("the fire service said", "according to the fire service")},
    {"id": "budget", "title": "Council passes budget", "source": "Vellmar Courier", "published": "2026-02-12",
     "text": "The city council passed a budget that raises spending on schools and roads by four percent."},
]


@pytest.fixture
def dated(make_settings, embedder, tiny_model):
    """An index over the dated articles above (one JSONL file), answered by the tiny test model."""
    settings = make_settings(generator=str(tiny_model), max_new_tokens=8)
    settings.seeds_dir.mkdir(parents=True)
    (settings.seeds_dir / "news.jsonl").write_text("\n".join(json.dumps(a) for a in DATED), encoding="utf-8")
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    return settings


def _ids(hits):
    return [h.article_id.split("#")[-1] for h in hits]


# ---- pure logic ----

@pytest.mark.parametrize("question, since, until, recent", [
    ("What happened this week?", "2026-03-13", None, False),
    ("What did the council decide yesterday?", "2026-03-19", None, False),
    ("Who won the vote last month?", "2026-02-01", None, False),
    ("What was decided in October?", "2025-10-01", None, False),
    ("What is the latest on the bridge?", None, None, True),
    ("Is the bridge still closed?", None, None, True),
    ("Where will the summit take place?", None, None, False),
    ("What did Business Today report about rates?", None, None, False),  # a name, not a date
    ("What Happened Last Week?", "2026-03-06", None, False),  # a headline-style question
    ("WHAT HAPPENED YESTERDAY?", "2026-03-19", None, False),
    ("Did the Verge report on October 7, 2023 agree with Wired this week?", None, None, False),  # own dates
    ("Who will run for president in 2028?", None, None, False),  # a future year is about plans, not articles
    ("What happened to the bridge since March 9, 2026?", "2026-03-09", None, False),  # a date opening a span
    ("After 2026-03-09, was the bridge closed?", "2026-03-09", None, False),
    ("What happened to the bridge before March 9, 2026?", None, None, False),  # news of it comes later too
    ("What will happen since March 30, 2026?", None, None, False),  # after the reference date: no article yet
])
def test_time_words_become_date_ranges(question, since, until, recent):
    frame = resolve_time(question, REF, "the newest article's date")
    assert (frame.since, frame.until, frame.prefer_recent) == (since, until, recent)
    assert frame.applies == bool(since or until or recent)


@pytest.mark.parametrize("question, phrase", [
    ("What happened to the bridge since March 9, 2026?", "since March 9, 2026"),
    ("After 2026-03-09, was the bridge closed?", "After 2026-03-09"),
    ("Since the 9th March 2026 what changed?", "Since the 9th March 2026"),
])
def test_a_date_opening_a_span_is_shown_as_written(question, phrase):
    assert resolve_time(question, REF, "the newest article's date").phrase == phrase


def test_question_date_caps_the_range_and_is_described():
    frame = resolve_time("Which park flooded this week?", date(2022, 6, 16), "the question's date",
                         cap_at_reference=True)
    assert (frame.since, frame.until, frame.prefer_recent) == ("2022-06-09", "2022-06-16", True)
    assert frame.describe() == ("'this week': articles published from 2022-06-09 to 2022-06-16; asked on 2022-06-16: "
                                "newer articles ranked first (today taken as 2022-06-16, the question's date)")
    asked = resolve_time("Which team won the Stanley Cup?", date(2022, 7, 1), "the question's date", True)
    assert (asked.since, asked.until, asked.prefer_recent) == (None, "2022-07-01", True)  # the news as of then
    dated = resolve_time("What did the Verge report on October 7?", date(2023, 11, 1), "the question's date", True)
    assert not dated.prefer_recent  # a question that names its own date is not about the newest news
    january = resolve_time("What was decided in October?", date(2026, 1, 5), "x")
    assert january.since == "2025-10-01"  # the latest October before the reference date


def test_recency_boost_reorders_only_the_same_story():
    candidates = [(1, 0.030, 0.80, "2026-03-01"), (2, 0.029, 0.78, "2026-03-19"), (3, 0.028, 0.40, "2026-03-20")]
    assert [c[0] for c in boost_recent(candidates, REF)] == [2, 1, 3]  # 3 is newest but off the story
    assert boost_recent([], REF) == []


def test_follow_up_questions_are_made_standalone():
    history = [{"role": "user", "content": "Where will the summit take place?"},
               {"role": "assistant", "content": "In Tallinn [1]."},
               {"role": "assistant", "content": "sources...", "metadata": {"title": "Sources (1)"}}]
    assert last_turn(history) == ("Where will the summit take place?", "In Tallinn [1].")
    assert standalone_question("Who said that?", history) == \
        "Who said that? (about: Where will the summit take place? In Tallinn.)"
    assert standalone_question("Where is the Harbor Bridge in Vellmar?", history) is None
    cited_twice = [history[0], {"role": "assistant", "content": "In Tallinn [1, 2] in May [passage 3]."}]
    assert standalone_question("Who said that?", cited_twice) == \
        "Who said that? (about: Where will the summit take place? In Tallinn in May.)"
    assert standalone_question("Who said that?", []) is None
    parts = [{"role": "user", "content": [{"type": "text", "text": "Is the bridge open?"}]}]
    assert standalone_question("And when did it close?", parts) == "And when did it close? (about: Is the bridge open?)"


def test_a_question_that_names_what_its_pronouns_mean_is_not_a_follow_up():
    history = [{"role": "user", "content": "What happened in Budapest today?"},
               {"role": "assistant", "content": "Leaders met for a security summit [1]."}]
    assert standalone_question("Why did the European Central Bank raise its interest rate?", history) is None
    assert standalone_question("Why did Putin cancel his trip?", history) is None
    assert standalone_question("What were their demands?", history) is not None
    assert standalone_question("Why?", history) is not None


def test_a_date_range_that_ends_before_it_starts_is_refused_with_the_fix():
    with pytest.raises(QuestionError, match="'since' date 2026-03-10 is after the 'until' date 2026-03-01; swap"):
        QA(Settings()).plan(Ask("What happened to the bridge?", since="2026-03-10", until="2026-03-01"))


def test_a_follow_up_reads_its_own_time_words_and_keeps_the_earlier_question_s_otherwise():
    qa = QA(Settings())  # the reference date is given, so no index is read
    summit = [{"role": "user", "content": "What did the leaders agree this week?"},
              {"role": "assistant", "content": "They agreed to meet again on October 30 [1]."}]
    inherited = qa.plan(Ask("Who said that?", history=summit, reference_date="2025-10-21")).frame
    assert (inherited.phrase, inherited.since) == ("this week", "2025-10-14")
    own = qa.plan(Ask("What happened there yesterday?", history=summit, reference_date="2025-10-21")).frame
    assert (own.phrase, own.since) == ("yesterday", "2025-10-20")  # the answer's "October 30" is not the question's
    today = [{"role": "user", "content": "What happened in Budapest today?"},
             {"role": "assistant", "content": "Leaders met [1]."}]
    alone = qa.plan(Ask("Why did the European Central Bank raise its interest rate?", history=today,
                     reference_date="2025-10-21"))
    assert alone.rewritten is None and alone.filters.since is None


KNOWN = ("Vellmar Courier", "Northern Post", "Wire", "Wire Health", "The Age", "Fortune", "")


@pytest.mark.parametrize("question, sources, dates, pairs", [
    ("What did the Vellmar Courier report on 10 March 2026?", ("Vellmar Courier",), ("2026-03-10",),
     (("Vellmar Courier", "2026-03-10"),)),
    ("Between the report from 'Northern Post' on 2026-03-19 and the Wire report published on March 18, 2026, "
     "did the story change?", ("Northern Post", "Wire"), ("2026-03-19", "2026-03-18"),
     (("Northern Post", "2026-03-19"), ("Wire", "2026-03-18"))),
    ("On 5 March 2026, what did the Wire Health desk say?", ("Wire Health",), ("2026-03-05",),
     (("Wire Health", "2026-03-05"),)),  # the nearest source after it; "Wire" inside "Wire Health" is not named
    ("What did the Age say about the final?", ("The Age",), (), ()),  # a leading "The" may be lower case
    ("Can children under the age of 12 vote?", (), (), ()),  # a source's words, not its name as written
    ("Did the wire service confirm it?", (), (), ()),
    ("Which Fortune 500 company cut the most jobs?", (), (), ()),  # a list's name, not the magazine's report
    ("What did Fortune 2026 coverage say about rates?", ("Fortune",), (), ()),  # a year after it still names it
    ("What happened on 2026-03-05, and again on 2026-03-05?", (), ("2026-03-05",), ()),
    ("What has the Wire reported since 1 March 2026?", ("Wire",), (), ()),  # a date that bounds a span
    ("What happened between 1 March 2026 and 5 March 2026?", (), (), ()),
    ("What happened this week?", (), (), ()),
])
def test_sources_and_full_dates_a_question_names_are_read(question, sources, dates, pairs):
    named = named_reports(question, KNOWN)
    assert (named.sources, named.dates, named.pairs) == (sources, dates, pairs)
    assert named.any == bool(sources or dates)


def test_an_article_matches_a_named_pair_before_a_named_source_or_date():
    named = named_reports("Between the Northern Post on 2026-03-19 and the Wire on March 18, 2026 ...", KNOWN)
    assert named.matches({"source": "Wire", "published": "2026-03-18"}) == 2
    assert named.matches({"source": "Wire", "published": "2026-03-19"}) == 1  # that pair was not named
    assert named.matches({"source": "Daily Echo", "published": "2026-03-19"}) == 1
    assert named.matches({"source": "Daily Echo", "published": None}) == 0
    assert named.to_dict()["description"] == ("Named in the question: Northern Post on 2026-03-19, Wire on "
                                              "2026-03-18; articles that match are ranked first")
    assert NamedReports(("Wire",), ("2026-03-01",)).describe() == ("Named in the question: Wire, 2026-03-01; "
                                                                  "articles that match are ranked first")


def test_near_duplicates_group_under_the_earliest_copy_but_changed_facts_stay_apart():
    rng = random.Random(0)
    text = " ".join(rng.choice(["river", "bridge", "mayor", "vote", "storm", "city", "road", "said", "new", "old"])
                    for _ in range(400))
    articles = {"late": {**fingerprint(text.replace("mayor", "the mayor", 1)), "published": "2026-03-06"},
                "early": {**fingerprint(text), "published": "2026-03-05"},
                "other": {**fingerprint(STORM), "published": "2026-03-01"},
                "counterfactual": {**fingerprint(STORM.replace("1.4 metres", "2.9 metres")),
                                   "published": "2026-03-02"},
                "renamed": {**fingerprint(STORM.replace("Market Street", "Harbour Street")),
                            "published": "2026-03-03"},
                "snippet": {**fingerprint(" ".join(STORM.split()[:40])), "published": "2026-03-01"},
                "snippet-copy": {**fingerprint(" ".join(STORM.split()[:40])), "published": "2026-03-02"}}
    assert group_duplicates(articles) == {"late": "early"}


def _passage(n: int, published: str | None) -> Hit:
    return Hit(n, f"a{n}", f"Title {n}", f"Source {n}", published, "", f"Sentence {n}.", 0, 11, 1.0, 0.5)


def test_reports_are_set_side_by_side_only_for_one_story_on_several_dates():
    story = [_passage(1, "2026-03-10"), _passage(2, "2026-03-19"), _passage(3, "2026-03-01"), _passage(4, None),
             _passage(5, "2026-02-01")]
    # cosine to the first: 1, .8, .28 (but .8 to the second), 1, 0 (and below .6 to every other)
    vectors = [np.array(v) for v in ([1.0, 0.0], [0.8, 0.6], [0.28, 0.96], [1.0, 0.0], [0.0, -1.0])]
    assert same_story_dated(story, vectors) == [0, 1, 2]  # linked through the second; undated and far left out
    assert same_story_dated(story[:1] + story[3:], vectors[:1] + vectors[3:]) == []  # one date on the story
    assert same_story_dated([_passage(1, "2026-03-10"), _passage(2, "2026-03-10")], vectors[:2]) == []
    assert same_story_dated([], []) == []


# ---- the real pipeline: packaged embedder, index on disk, tiny answering model ----

def test_latest_question_ranks_the_newest_article_on_the_story_first(dated, embedder):
    qa = QA(dated, embedder=embedder)
    result = qa.answer("What is the latest news on the Harbor Bridge?")
    assert _ids(result.hits)[0] == "bridge-3"
    assert result.time_frame["prefer_recent"] and result.time_frame["reference"] == "2026-03-19"
    assert "newer articles ranked first" in result.time_frame["description"]
    plain = qa.plan("Where are the cracks in the Harbor Bridge?")  # no time words: no range, no boost
    assert plain.frame is not None and not plain.frame.applies


def test_a_question_asked_on_a_date_ranks_the_newest_report_before_it_first(dated, embedder):
    qa = QA(dated, embedder=embedder)
    question = "Will the Harbor Bridge in Vellmar close for repairs?"
    undated, _ = qa.search(qa.plan(question))
    asked, plan = qa.search(qa.plan(Ask(question, reference_date="2026-03-12")))
    assert _ids(undated)[0] == "bridge-1"  # the report that matches the words best
    assert _ids(asked)[0] == "bridge-2"  # the newest report on the bridge by 12 March
    assert "bridge-3" not in _ids(asked) and plan.frame.prefer_recent  # published after the question was asked


def _ask(settings, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", RAG_MAX_NEW_TOKENS="8")
    return subprocess.run([sys.executable, "-m", "rag", "ask", *args, "--seeds", str(settings.seeds_dir),
                           "--index", str(settings.index_dir), "--model", settings.generator],
                          capture_output=True, text=True, env=env, timeout=300)


def test_since_excludes_older_articles_in_the_cli(dated):
    result = _ask(dated, "What happened to the Harbor Bridge?", "--since", "2026-03-09", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["hits"] and all(hit["published"] >= "2026-03-09" for hit in data["hits"])
    assert {"bridge-1", "budget"}.isdisjoint(_ids_of(data["hits"]))
    assert data["filters"]["since"] == "2026-03-09"

    bad = _ask(dated, "Harbor Bridge?", "--since", "9 March")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr

    week = _ask(dated, "What happened to the Harbor Bridge this week?", "--as-of", "2026-03-12", "--json")
    assert week.returncode == 0, week.stderr
    data = json.loads(week.stdout)
    assert data["time_frame"]["since"] == "2026-03-05" and data["time_frame"]["until"] == "2026-03-12"
    assert data["hits"] and all("2026-03-05" <= hit["published"] <= "2026-03-12" for hit in data["hits"])


def test_a_date_opening_a_span_bounds_the_search_unless_it_bounds_a_named_report(dated, embedder):
    qa = QA(dated, embedder=embedder)
    since = qa.answer("What happened to the Harbor Bridge since March 9, 2026?")
    assert since.time_frame["since"] == "2026-03-09" and since.hits
    assert all(hit.published >= "2026-03-09" for hit in since.hits) and "bridge-1" not in _ids(since.hits)
    assert "'since March 9, 2026': articles published from 2026-03-09 on" in since.time_frame["description"]
    report = qa.plan("Did the Vellmar Courier report after March 9, 2026 say the Harbor Bridge was closed?")
    assert report.frame.since is None and report.named.sources == ("Vellmar Courier",)


def _ids_of(hits):
    return {h["article_id"].split("#")[-1] for h in hits}


def test_follow_up_retrieves_the_passage_of_the_earlier_turn(dated, embedder):
    qa = QA(dated, embedder=embedder)
    history = [{"role": "user", "content": "Where will the summit take place?"},
               {"role": "assistant", "content": "The summit will take place in Tallinn in May [1]."}]
    result = qa.answer(Ask("Who said that?", history=history))
    assert result.standalone_question.startswith("Who said that? (about: Where will the summit take place?")
    assert _ids(result.hits)[0] == "summit"
    assert "Mara Lind" in result.hits[0].text


def test_a_source_filter_keeps_that_source_and_an_unknown_source_names_the_known_ones(dated):
    courier = _ask(dated, "What happened to the Harbor Bridge?", "--source", "vellmar courier", "--json")
    assert courier.returncode == 0, courier.stderr
    assert _ids_of(json.loads(courier.stdout)["hits"]) <= {"bridge-1", "bridge-2", "budget"}
    typo = _ask(dated, "What happened to the Harbor Bridge?", "--source", "Vellmar Currier")
    assert typo.returncode == 2
    assert "no article in the index is from 'Vellmar Currier'; its sources are: Daily Echo, Northern Post, " \
           "Vellmar Courier, Wire" in typo.stderr


def test_a_report_named_by_source_and_date_comes_first_and_the_cli_says_why(dated, embedder):
    question = "What did the Vellmar Courier report about the Harbor Bridge on 1 March 2026?"
    plain = QA(replace(dated, news_aware=False), embedder=embedder).answer(question)
    assert _ids(plain.hits)[0] == "bridge-2" and plain.named_reports is None  # the search alone ranks the delay first
    named = QA(dated, embedder=embedder).answer(question)
    assert _ids(named.hits)[0] == "bridge-1"
    assert named.named_reports["description"] == ("Named in the question: Vellmar Courier on 2026-03-01; articles "
                                                  "that match are ranked first")
    shown = _ask(dated, question)
    assert shown.returncode == 0, shown.stderr
    assert "Named in the question: Vellmar Courier on 2026-03-01; articles that match are ranked first" in shown.stdout


def test_a_named_report_the_search_missed_is_brought_in(dated, embedder):
    question = "What did the Vellmar Courier publish on 12 February 2026?"  # no word of the budget story
    retriever = QA(replace(dated, candidates=1), embedder=embedder).retriever()
    assert "budget" not in _ids(retriever.search(question))
    named = named_reports(question, retriever.sources)
    assert named.pairs == (("Vellmar Courier", "2026-02-12"),)
    assert _ids(retriever.search(question, named=named))[:2] == ["budget", "storm-copy"]
    # the relevance floor still holds: the budget passage shares too little with the question to answer from
    assert "budget" not in _ids(QA(dated, embedder=embedder).retrieve(question))


def test_a_follow_up_names_its_own_reports_or_keeps_those_of_the_question_it_follows(dated, embedder):
    qa = QA(dated, embedder=embedder)
    history = [{"role": "user", "content": "What did the Vellmar Courier report on 1 March 2026?"},
               {"role": "assistant", "content": "The Wire said on 5 March 2026 that cracks were found [1]."}]
    assert qa.plan(Ask("Who said that?", history=history)).named.pairs == (("Vellmar Courier", "2026-03-01"),)  # not the answer's
    assert qa.plan(Ask("What did the Northern Post say about it?", history=history)).named.sources == ("Northern Post",)


def test_near_identical_articles_give_one_passage_and_an_also_reported_by(dated, embedder):
    qa = QA(dated, embedder=embedder)
    hits = qa.retrieve("How high did the flood water rise in Market Street?")
    ids = _ids(hits)
    copies = {"storm": ("Wire", "2026-03-05"), "storm-copy": ("Daily Echo", "2026-03-06")}
    [kept] = {i for i in ids if i in copies}  # one copy of the story, the best-matching one
    [other] = set(copies) - {kept}
    assert ids[0] == kept
    assert [(c["source"], c["published"]) for c in hits[0].also_reported_by] == [copies[other]]
    distinct = len(set(ids))
    assert len(set(ids[:distinct])) == distinct  # diversified: every article once before any article twice

    answer = qa.answer("How high did the flood water rise in Market Street?")
    for citation in answer.citations:
        if citation.article_id.endswith(f"#{kept}"):
            assert citation.also_reported_by[0]["source"] == copies[other][0]

    manifest = json.loads((dated.index_dir / "manifest.json").read_text())
    duplicates = {aid.split("#")[-1]: a.get("duplicate_of", "").split("#")[-1]
                  for aid, a in manifest["articles"].items() if a.get("duplicate_of")}
    assert duplicates == {"storm-copy": "storm"}


def test_the_best_article_reads_whole_though_it_has_one_slot_in_the_ranking(dated, embedder):
    qa = QA(replace(dated, sentence_share=1.0), embedder=embedder)  # whole passages
    question = "How high did the flood water rise in Market Street?"
    ranked, _ = qa.search(qa.plan(question), k=50, min_similarity=-1.0)
    best = ranked[0].article_id
    chunks = [h for h in ranked if h.article_id == best]
    assert [h.article_id for h in ranked[:5]].count(best) == 1 and len(chunks) >= 2
    passages = qa.prompt_sources(ranked, 5)
    assert passages[0].article_id == best
    assert all(chunk.text[:60] in passages[0].text for chunk in chunks[:dated.best_article_chunks])
    assert [p.article_id for p in passages[1:]] == [h.article_id for h in ranked[1:1 + len(passages) - 1]]
    answer = qa.answer(question)
    assert {c.passage for c in answer.citations if c.article_id == best} <= {passages[0].text}


def test_an_index_from_an_older_duplicate_rule_is_updated_without_reembedding(dated, embedder):
    path = dated.index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["duplicates"]
    for entry in manifest["articles"].values():
        for key in ("duplicate_of", "facts", "words"):
            entry.pop(key, None)
    path.write_text(json.dumps(manifest))
    messages: list[str] = []
    report = build_index(dated, embedder=embedder, log=messages.append, progress=False)
    assert report.chunks_embedded == 0 and any("near-duplicate articles again" in m for m in messages)
    copies = {aid.split("#")[-1]: a.get("duplicate_of", "").split("#")[-1]
              for aid, a in json.loads(path.read_text())["articles"].items() if a.get("duplicate_of")}
    assert copies == {"storm-copy": "storm"}


def test_an_answer_from_reports_of_different_dates_says_who_said_what_and_when(dated, embedder, scripted):
    # a reply the passages hold (the tiny model's words would not pass verification)
    reply = "The Harbor Bridge reopened to traffic on Thursday [1]."
    qa = QA(dated, embedder=embedder, generator=scripted(reply))
    answer = qa.answer("When will the Harbor Bridge reopen to traffic?")
    assert not answer.abstained, answer
    said = {(r.source, r.published): r for r in answer.reports}
    assert [r.published for r in answer.reports] == sorted(r.published for r in answer.reports)
    assert "until the end of March" in said["Vellmar Courier", "2026-03-10"].sentence
    assert "reopened to traffic on Thursday" in said["Northern Post", "2026-03-19"].sentence
    assert all(r.source != "Wire" for r in answer.reports)  # other stories stay out
    ranked, _ = qa.search(qa.plan(answer.question), k=50, min_similarity=-1.0)
    passages = qa.prompt_sources(ranked, dated.top_k)
    for report in answer.reports:  # numbered as the passages the model read
        assert report.sentence in " ".join(passages[report.number - 1].text.split())
    assert answer.to_dict()["reports"][0]["published"] == answer.reports[0].published

    single = qa.answer("Where will the summit take place?")  # one article on the story: nothing to compare
    assert single.reports == []


def test_a_weekday_is_the_latest_such_day_on_or_before_the_questions_date():
    asked = date(2022, 10, 27)  # a Thursday
    on_tuesday = resolve_time("What did the Fed announce on Tuesday?", asked, "the question's date",
                              cap_at_reference=True)
    assert (on_tuesday.phrase, on_tuesday.since, on_tuesday.until) == ("on Tuesday", "2022-10-25", "2022-10-27")
    thursday = resolve_time("Who resigned on Thursday?", asked, "the question's date", cap_at_reference=True)
    assert thursday.since == "2022-10-27"  # the day itself
    # without the day the question was asked, a weekday names no range
    assert resolve_time("Who resigned on Thursday?", asked, "the newest article's date").since is None
