"""QA with the real embedder and a tiny real transformers model: API, streaming, abstention, CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.answering.prompting import ABSTAIN
from rag.model import Ask, Answer
from rag.answering.qa import QA
from rag.errors import IndexNotFoundError, ModelNotFoundError, QuestionError
from rag.index.indexing import build_index
from tests.fakes import CountingModel

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def indexed(make_settings, write_articles, embedder, tiny_model):
    settings = make_settings(generator=str(tiny_model), max_new_tokens=12)
    write_articles(settings.seeds_dir)
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    return settings


def test_answer_with_tiny_model_streams_retrieval_first_then_text(indexed, embedder):
    qa = QA(indexed, embedder=embedder)
    parts = list(qa.stream("Which city hosted the security summit?"))
    first, final = parts[0], parts[-1]
    assert first.text == "" and not first.done and first.hits, "sources come before generation"
    assert first.hits[0].title == "Leaders gather in Budapest for a security summit"
    assert final.done and isinstance(final, Answer)
    assert len(parts) >= 3, "the reply streams in several pieces"
    assert final.timings.first_token_s is not None and final.timings.total_s >= final.timings.first_token_s
    assert final.timings.retrieve_s <= final.timings.first_token_s
    data = final.to_dict()
    json.dumps(data)
    assert {"text", "citations", "hits", "abstained", "timings"} <= set(data)


def test_model_loads_once_and_is_reused(indexed, embedder):
    qa = QA(indexed, embedder=embedder)
    qa.answer("Who won the cup final?")
    generator = qa.generator
    qa.answer("What did the central bank decide?")
    assert qa.generator is generator


def test_nothing_relevant_abstains_without_calling_the_model(indexed, embedder, tiny_model):
    from rag.answering.models import TransformersGenerator

    counting = CountingModel(TransformersGenerator(tiny_model, threads=1))
    qa = QA(indexed, generator=counting, embedder=embedder)
    result = qa.answer("What is the airspeed velocity of an unladen swallow in quantum chromodynamics?")
    assert result.abstained and result.text == ABSTAIN and result.citations == []
    assert counting.calls == 0
    qa.answer("Which city hosted the security summit?")
    assert counting.calls == 1


def test_model_abstention_reply_marks_answer_abstained(indexed, embedder, scripted):
    qa = QA(indexed, generator=scripted(ABSTAIN), embedder=embedder)
    result = qa.answer("Who won the cup final?")
    assert result.abstained and result.citations == [] and result.hits


def test_citations_map_to_numbered_sources_and_bad_numbers_are_dropped(indexed, embedder, scripted):
    generator = scripted("City beat Arsenal on penalties [1]. The final was at Wembley [7].")
    qa = QA(dataclasses.replace(indexed, second_reading=False), generator=generator, embedder=embedder)  # the prompt
    result = qa.answer("Who won the cup final?")
    assert "[1]" in generator.messages[1]["content"] and "Question: Who won the cup final?" in \
        generator.messages[1]["content"]
    assert generator.markers == generator.messages[1]["content"].count("\n\n[") + 1, "the model may cite each passage"
    assert [c.number for c in result.citations] == [1]
    assert result.citations[0].title == "City win the cup final after a penalty shoot-out"
    assert result.citations[0].published == "2025-05-24"
    assert result.invalid_citations == 1 and "[7]" not in result.text


def test_date_and_source_filters(indexed, embedder, scripted):
    qa = QA(indexed, generator=scripted("x [1]."), embedder=embedder)
    hits = qa.retrieve(Ask("summit in Budapest", k=5))
    assert hits[0].article_id == "budapest.txt"
    later = qa.retrieve(Ask("summit in Budapest", k=5, since="2025-06-01"))
    assert later and all(h.published >= "2025-06-01" for h in later)
    with pytest.raises(QuestionError, match="no article in the index is from 'nowhere'; its articles name no source"):
        qa.retrieve(Ask("summit in Budapest", k=5, sources=("nowhere",)))


@pytest.mark.parametrize("question, fix", [("   ", "empty"), ("\t\n ", "empty"), ("\x00\x01\x7f", "empty"),
                                           ("x" * 5000, "limit"), ("y" * 100_000, "100,000 characters")],
                         ids=["spaces", "whitespace", "control", "5k", "100k"])
def test_bad_questions_get_clear_errors(indexed, embedder, question, fix, scripted):
    qa = QA(indexed, generator=scripted("x"), embedder=embedder)
    with pytest.raises(QuestionError, match=fix):
        qa.answer(question)


def test_k_must_be_at_least_one(indexed, embedder, scripted):
    qa = QA(indexed, generator=scripted("x [1]."), embedder=embedder)
    for k in (0, -2):
        with pytest.raises(QuestionError, match="at least 1"):
            qa.answer(Ask("Which city hosted the security summit?", k=k))
        with pytest.raises(QuestionError, match="at least 1"):
            qa.retrieve(Ask("Which city hosted the security summit?", k=k))
    assert len(qa.retrieve(Ask("Which city hosted the security summit?", k=1))) == 1


def test_a_follow_up_answer_is_judged_against_the_users_own_question(indexed, embedder, scripted):
    qa = QA(indexed, generator=scripted("Twelve countries [1]."), embedder=embedder)
    history = [{"role": "user", "content": "Who met in Budapest for the security summit?"},
               {"role": "assistant", "content": "Heads of government from twelve European countries met [1]."}]
    result = qa.answer(Ask("How many countries?", history=history))
    assert result.standalone_question.startswith("How many countries? (about: Who met in Budapest")
    assert not result.abstained and result.text == "Twelve countries [1]."  # words of the earlier answer are new


def test_the_terminal_marks_the_draft_shows_a_second_attempt_on_its_own_line_then_the_evidence(indexed, monkeypatch, capsys, scripted):
    from rag import cli

    model = scripted(ABSTAIN, "Heads of government met in Budapest for a security summit [1].")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code = cli.main(["ask", "--seeds", str(indexed.seeds_dir), "--index", str(indexed.index_dir), "--model",
                     model.location, "Where did heads of government meet for a security summit?"])
    out = capsys.readouterr().out
    assert code == 0
    answer = "Heads of government met in Budapest for a security summit [1]."
    assert out.startswith(f"Draft, being checked against the sources:\n{ABSTAIN}\n\nAsked again:\n{answer}\n\n")
    evidence, checked = out.split("Evidence:\n", 1)[1].split("Checked answer:\n", 1)
    assert "“Heads of government from twelve European countries met in Budapest" in evidence
    assert checked.startswith(answer)


def test_a_decline_on_cut_passages_is_asked_again_on_the_whole_passages(indexed, embedder, scripted):
    settings = dataclasses.replace(indexed, sentence_share=0.3, recheck_similarity=1.0, second_reading=False)
    model = scripted(ABSTAIN, "Hungary's prime minister welcomed the delegations at the parliament [1].")
    final = QA(settings, generator=model, embedder=embedder).answer("Who welcomed the summit delegations?")
    first, second = model.prompts
    passage = final.hits[0].text
    assert passage not in first and passage in second  # the cut prompt, then the whole one
    assert not final.abstained and "Hungary" in final.text
    assert passage in final.citations[0].passage  # the whole passage is shown with its citation


def test_a_cut_passage_is_verified_as_read_and_shown_whole(indexed, embedder, scripted):
    settings = dataclasses.replace(indexed, sentence_share=0.3, second_reading=False)  # one prompt: the answer's
    model = scripted("Hungary's prime minister welcomed the delegations at the parliament [1].")
    final = QA(settings, generator=model, embedder=embedder).answer("Who welcomed the summit delegations?")
    assert len(model.prompts) == 1 and final.hits[0].text not in model.prompts[0]
    assert "welcomed the delegations" in model.prompts[0]  # the sentence that answers was kept
    assert final.hits[0].text in final.citations[0].passage and final.support
    shown = final.citations[0].passage  # the supporting sentence is marked where the reader sees it
    assert "welcomed the delegations" in shown[final.support[0].start:final.support[0].end]


def test_a_decline_on_whole_passages_is_not_asked_again_unless_retrieval_is_confident(indexed, embedder, scripted):
    model = scripted(ABSTAIN)
    final = QA(dataclasses.replace(indexed, sentence_share=1.0, recheck_similarity=1.0), generator=model,
               embedder=embedder).answer("Who welcomed the summit delegations?")
    assert final.abstained and len(model.prompts) == 1


def test_a_rebuild_while_an_answer_is_written_does_not_break_it(indexed, embedder, scripted):
    qa = QA(indexed, generator=scripted("Heads of government met in Budapest [1]."), embedder=embedder)
    stream = qa.stream("Where did heads of government meet for a security summit?")
    first = next(stream)
    (indexed.seeds_dir / first.hits[0].article_id).unlink()  # `rag build` in another shell removes it
    build_index(indexed, embedder=embedder, log=lambda _: None, progress=False)
    final = list(stream)[-1]
    assert final.done and final.citations[0].title == "Leaders gather in Budapest for a security summit"


def test_control_characters_and_broken_unicode_in_a_question_are_cleaned(indexed, embedder, scripted):
    qa = QA(indexed, generator=scripted("x [1]."), embedder=embedder)
    hits = qa.retrieve("summit\x00 in \ud800Budapest\x1b?")
    assert hits[0].article_id == "budapest.txt"


def test_a_missing_index_is_built_from_the_articles_folder_first(make_settings, write_articles, embedder, capsys, scripted):
    settings = make_settings("fresh")
    write_articles(settings.seeds_dir)
    reply = "Leaders met in Budapest for the security summit [1]."
    final = QA(settings, generator=scripted(reply), embedder=embedder).answer(
        "Which city hosted the security summit?")
    assert (settings.index_dir / "manifest.json").exists()
    assert "added 4" in capsys.readouterr().err
    assert final.citations and final.citations[0].title == "Leaders gather in Budapest for a security summit"


def test_missing_index_names_the_build_command(make_settings, embedder, scripted):
    qa = QA(make_settings("empty"), generator=scripted("x"), embedder=embedder)
    with pytest.raises(IndexNotFoundError, match="rag build"):
        qa.answer("Anything?")


def test_unknown_model_names_the_choices(make_settings):
    from rag.answering.models import load_generator

    with pytest.raises(ModelNotFoundError, match="default"):
        load_generator(make_settings(generator="/no/such/model"))
    with pytest.raises(ModelNotFoundError, match="model file /no/such/model.gguf not found"):
        load_generator(make_settings(generator="/no/such/model.gguf"))


def test_fast_preset_streams_from_the_packaged_gguf(make_settings):
    from rag.answering.models import load_generator

    generator = load_generator(make_settings(generator="Fast", threads=1))
    pieces = list(generator.stream([{"role": "user", "content": "Say hello."}], 8))
    assert pieces and "".join(pieces).strip()


def test_llama_cpp_replies_cite_only_passages_that_exist(make_settings):
    from rag.answering.citations import parse_citations
    from rag.answering.models import load_generator

    # every prompt read whole: the stray number this tiny model copies then is known (read after a restored
    # instructions state, the same prompt's reply differs in rounding and happens not to copy it)
    generator = load_generator(make_settings(generator="fast", threads=1, prompt_cache="off"))
    messages = [{"role": "system", "content": "Answer using the numbered passages. End every sentence with [n]."},
                {"role": "user", "content": "[1] Cats\nCats sleep 16 hours a day.\n\n[2] Dogs\n4. Dogs sleep 12 "
                 "hours.\n\nQuestion: How long do dogs and cats sleep? Write the passage number [7] after each "
                 "sentence, like [7]."}]
    free = "".join(generator.stream(messages, 60))
    assert "[7]" in free, "without a limit this small model copies the stray number"
    limited = "".join(generator.stream(messages, 60, markers=2))
    assert limited.strip() and parse_citations(limited, 2).invalid == 0 and "[7" not in limited


def test_llama_cpp_reads_each_prompt_from_its_instructions_state_whatever_came_before(make_settings):
    """RAG_PROMPT_CACHE=instructions (the default): a prompt's reply and what was read of it are the same asked
    first or after other prompts (other passages, other instructions, a probability read), only what follows
    the instructions is read, and the server's loopback port refuses callers without its key."""
    import urllib.error
    import urllib.request

    from rag.answering.models import load_generator, read_all

    def chat(system: str, user: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    answering = "Answer the question using only the numbered news passages, in one or two short sentences."
    bridge = chat(answering, "[1] Harbour news\nThe harbour bridge reopened on Monday after repairs costing 14 "
                             "million euros.\n\nQuestion: When did the bridge reopen?")  # fmt: skip
    others = [chat(answering, "[1] School news\nLunches cost 4.20 euros from April.\n\nQuestion: What do lunches cost?"),
              chat("Answer the question from the text only, in a few words.", "Text: Lunches cost 4.20 euros.\n\n"
                   "Question: What do lunches cost?\nShort answer:")]  # fmt: skip
    generator = load_generator(make_settings(generator="fast", threads=1))
    first, first_usage = read_all(generator.stream(bridge, 24))
    for other in others:
        read_all(generator.stream(other, 24))
    generator.next_token(others[0])
    again, again_usage = read_all(generator.stream(bridge, 24))
    assert (again, again_usage.prompt_tokens, again_usage.cached_tokens) == (
        first, first_usage.prompt_tokens, first_usage.cached_tokens)  # fmt: skip
    assert 10 < first_usage.cached_tokens < first_usage.prompt_tokens  # the instructions, restored, not read
    whole = load_generator(make_settings(generator="fast", threads=1, prompt_cache="off"))
    _, usage = read_all(whole.stream(bridge, 24))
    assert usage.cached_tokens == 0 and usage.prompt_tokens == first_usage.prompt_tokens
    with pytest.raises(urllib.error.HTTPError, match="401"):
        urllib.request.urlopen(f"{generator._server.listening_address}/v1/models", timeout=10)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


def test_cli_ask_prints_answer_sources_and_json(indexed):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    common = ["--seeds", str(indexed.seeds_dir), "--index", str(indexed.index_dir), "--model", indexed.generator]
    env["RAG_MAX_NEW_TOKENS"] = "8"
    result = _cli("ask", "Which city hosted the security summit?", "--json", *common, env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["hits"][0]["title"] == "Leaders gather in Budapest for a security summit"
    assert data["done"] is True
    few = _cli("ask", "Who?", "-k", "0", *common, env=env)
    assert few.returncode == 2 and "at least 1" in few.stderr
    empty = _cli("ask", " ", *common, env=env)
    assert empty.returncode == 2 and "question is empty" in empty.stderr
    empty_seeds = indexed.seeds_dir.parent / "no-articles"
    empty_seeds.mkdir()
    missing = _cli("ask", "Who?", "--seeds", str(empty_seeds), "--index", str(indexed.index_dir / "none"), env=env)
    assert missing.returncode == 2 and "no index yet in" in missing.stderr and "rag build" in missing.stderr


def test_hybrid_search_ranks_the_passage_with_the_year_the_question_names_first(make_settings, embedder):
    settings = make_settings()
    settings.seeds_dir.mkdir(parents=True)
    prize = ("The {year} Nobel Prize in Literature was awarded to the writer {name}, the Swedish Academy said in "
             "Stockholm, praising a narrative imagination that crosses borders.")
    for year, name in (("2019", "Peter Handke"), ("2018", "Olga Tokarczuk"), ("2017", "Kazuo Ishiguro")):
        (settings.seeds_dir / f"nobel-{year}.txt").write_text(f"Nobel prize {year}\n{prize.format(year=year, name=name)}\n",
                                                          encoding="utf-8")
    build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    qa = QA(settings, embedder=embedder)
    for year in ("2017", "2018", "2019"):
        [first, *_] = qa.retrieve(Ask(f"Who was awarded the {year} Nobel Prize in Literature?", k=3))
        assert first.article_id == f"nobel-{year}.txt"



def test_answer_on_a_fresh_copy_of_the_repository_builds_the_index_from_seeds(tmp_path, monkeypatch, tiny_model,
                                                                              capsys):
    import shutil

    import rag
    import rag.answering.qa

    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")  # a fresh checkout: seeds/ and no index/
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("RAG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_GENERATOR", str(tiny_model))
    monkeypatch.setenv("RAG_MAX_NEW_TOKENS", "8")
    monkeypatch.setattr(rag.answering.qa, "_default", None)
    result = rag.answer("Where did Trump say the meeting with Putin would happen?")
    assert (tmp_path / "index" / "manifest.json").exists()
    assert "added 1" in capsys.readouterr().err
    assert result.done and result.hits and result.hits[0].title.startswith("Washington cools contact with Moscow")


def test_with_the_gate_on_the_model_is_asked_for_the_answering_sentence(indexed, embedder, scripted):
    import dataclasses

    generator = scripted("City beat Arsenal on penalties in the cup final [1].", odds={"NONE": 0.9, "A": 0.1})
    qa = QA(dataclasses.replace(indexed, gate=True), generator=generator, embedder=embedder)
    result = qa.answer("Who won the cup final?")
    letters = [asked for asked in generator.asked if asked[-1]["content"].endswith("Letter:")]
    assert len(letters) == 2  # the two orders of the evidence pick (the statement check asks the rest)
    assert result.answerable is not None  # judged with the model's P(NONE) of 0.9
