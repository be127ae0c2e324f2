"""The HTTP API of a real `python -m ui` server, called with the official openai client, and the openai:
answering backend against real servers. Each test starts its servers as subprocesses on loopback and stops
them by pid.

The chat server answers through a small scripted OpenAI-compatible server (tests.fakes.ChatServer with
first_sentence_of_passage_1: it quotes the first sentence of passage [1], so answers are cited and verified every time, fast); the openai:
backend is also run against llama.cpp's own HTTP server (xllamacpp) with the SmolLM2 model."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ARTICLES, free_port, running_server, stop_process
from tests.fakes import ChatServer

openai = pytest.importorskip("openai")

KEY = "test-key-4d1f"
SEED_TITLE = "Washington cools contact with Moscow"
QUESTION = "Why was the meeting between Marco Rubio and Lavrov postponed?"


def first_sentence_of_passage_1(body: dict) -> list[str]:
    """The scripted model's reply: the first sentence of six words or more of passage [1], cited, in pieces; to
    the second reading's short-answer prompt, the same pick from the text it is given, uncited; to the statement
    check, yes."""
    prompt = body["messages"][-1]["content"]
    if "Does the text say:" in prompt:  # the statement check: the sentence came from the passage
        return ["Yes"]
    reading = re.search(r"^Text: ([\s\S]+?)\n\nQuestion:", prompt)
    passage = (reading or re.search(r"^\[1\] .*\n([\s\S]+?)\n\n(?:\[2\]|Question:)", prompt, re.M)).group(1)
    sentences = re.split(r"(?<=[.!?])\s+", passage.strip())
    sentence = next((s for s in sentences if len(s.split()) >= 6), sentences[0]).rstrip(".!?")
    return [sentence[:20], sentence[20:], "." if reading else " [1]."]


@pytest.fixture(scope="module")
def model_server():
    server = ChatServer(first_sentence_of_passage_1, delay=1.5)  # long enough for the full-queue test to find the model busy
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory, model_server):
    """`python -m ui` over a copy of seeds/, answering through model_server, with RAG_API_KEY and a line of
    one waiting request."""
    with running_server(tmp_path_factory.mktemp("api-server"), RAG_GENERATOR=f"openai:{model_server.url}",
                        RAG_API_KEY=KEY, RAG_QUEUE_SIZE="1", RAG_FETCH_ALLOW_PRIVATE="1") as server:
        yield server


def client(server, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}v1", api_key=key, max_retries=0, timeout=120,
                         http_client=httpx.Client(trust_env=False))


def ask(question: str, **extra):
    return {"model": "news-rag", "messages": [{"role": "user", "content": question}], **extra}


def test_an_answer_with_its_citations(api_server, model_server):
    reply = client(api_server).chat.completions.create(**ask(QUESTION))
    answer = reply.model_extra["news_rag"]
    text = reply.choices[0].message.content
    assert not answer["abstained"] and answer["citations"], answer
    assert re.search(r"\[1\]", text) and "\n\nSources:\n[1] " + SEED_TITLE in text
    first = answer["citations"][0]
    assert first["title"].startswith(SEED_TITLE) and (first["published"] or "").startswith("2025-10") and first["passage"]
    assert set(answer["timings"]) == {"retrieve_s", "first_token_s", "total_s", "prompt_tokens", "cached_tokens",
                                      "prompt_read_s", "decode_tokens_per_s", "attempts", "reread_s"}
    readings = ("Short answer:", "Answer yes or no:")  # the second reading's and the statement check's prompts
    answering = [r for r in model_server.requests if not r["messages"][-1]["content"].endswith(readings)]
    assert "grammar" in answering[-1]  # the marker grammar goes to the answering server (not with the readings)
    stated = [r for r in model_server.requests if "Does the text say:" in r["messages"][-1]["content"]]
    assert stated and stated[-1]["logprobs"] and "grammar" not in stated[-1]  # the statement check asked its odds


def test_a_streamed_answer_ends_with_the_whole_answer(api_server):
    parts = list(client(api_server).chat.completions.create(**ask(QUESTION), stream=True))
    assert parts[0].choices[0].delta.role == "assistant"
    final = parts[-1]
    assert final.choices[0].finish_reason == "stop" and final.model_extra["news_rag"]["citations"]
    text = "".join(p.choices[0].delta.content or "" for p in parts)
    assert text.startswith(final.model_extra["news_rag"]["text"]) and "\n\nSources:\n[1] " in text


def test_a_question_no_article_answers_abstains_without_the_model(api_server, model_server):
    calls = len(model_server.requests)
    reply = client(api_server).chat.completions.create(**ask("What did Jens Stoltenberg say?"))
    answer = reply.model_extra["news_rag"]
    assert answer["abstained"] and not answer["citations"] and answer["abstain_reason"]
    assert reply.choices[0].message.content.startswith("The indexed articles do not")
    assert len(model_server.requests) == calls


def test_a_follow_up_is_read_with_its_history(api_server):
    api = client(api_server)
    first = api.chat.completions.create(**ask(QUESTION))
    messages = [{"role": "user", "content": QUESTION},
                {"role": "assistant", "content": first.choices[0].message.content},
                {"role": "user", "content": "Who imposed the conditions for that?"}]
    follow = api.chat.completions.create(model="news-rag", messages=messages)
    standalone = follow.model_extra["news_rag"]["standalone_question"]
    assert standalone and QUESTION in standalone and "Sources:" not in standalone


def test_a_wrong_key_is_refused(api_server):
    with pytest.raises(openai.AuthenticationError):
        client(api_server, "wrong").chat.completions.create(**ask(QUESTION))
    with pytest.raises(openai.AuthenticationError):
        client(api_server, "wrong").models.list()
    assert [m.id for m in client(api_server).models.list()] == ["news-rag"]


def test_a_full_queue_answers_429_with_retry_after(api_server):
    def one(_):
        try:
            return client(api_server).chat.completions.create(**ask(QUESTION))
        except openai.RateLimitError as exc:
            return exc

    with ThreadPoolExecutor(4) as pool:  # one answers, one waits (RAG_QUEUE_SIZE=1), the others are refused
        results = list(pool.map(one, range(4)))
    refused = [r for r in results if isinstance(r, openai.RateLimitError)]
    assert refused and len(refused) < 4, results
    assert int(refused[0].response.headers["Retry-After"]) >= 1


def test_health_articles_upload_and_delete(api_server):
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=api_server.url, trust_env=False, timeout=300) as http:
        health = http.get("/health").json()
        assert health["index"]["articles"] == 1 and health["model_loaded"] is True
        assert http.get("/v1/articles").status_code == 401
        upload = http.post("/v1/index", headers=headers,
                           files=[("files", ("budapest.txt", ARTICLES["budapest.txt"].encode())),
                                  ("files", ("notes.exe", b"MZ"))])
        assert upload.status_code == 200, upload.text
        body = upload.json()
        assert body["added"] == ["budapest.txt"] and "added 1" in body["index"]
        assert body["skipped"][0]["file"] == "notes.exe" and "unsupported file type" in body["skipped"][0]["reason"]
        ids = [a["id"] for a in http.get("/v1/articles", headers=headers).json()["data"]]
        assert "budapest.txt" in ids and len(ids) == 2
        again = http.post("/v1/index", headers=headers, files=[("files", ("b.txt", ARTICLES["budapest.txt"]))])
        assert again.status_code == 400 and "already in the articles folder" in again.json()["error"]["message"]
        missing = http.delete("/v1/articles/nothing.txt", headers=headers)
        assert missing.status_code == 404 and "GET /v1/articles" in missing.json()["error"]["message"]
        deleted = http.delete("/v1/articles/budapest.txt", headers=headers)
        assert deleted.status_code == 200 and "removed 1" in deleted.json()["index"], deleted.text
        assert not (api_server.seeds / "budapest.txt").exists()
        assert [a["id"] for a in http.get("/v1/articles", headers=headers).json()["data"]] == [
            i for i in ids if i != "budapest.txt"]
        assert http.get("/health").json()["index"]["articles"] == 1


def test_articles_by_url_and_feeds(api_server):
    from tests.web_fixtures import WebServer

    site = WebServer()
    headers = {"Authorization": f"Bearer {KEY}"}
    try:
        with httpx.Client(base_url=api_server.url, trust_env=False, timeout=300, headers=headers) as http:
            bad = http.post("/v1/articles", json={"url": ""})
            assert bad.status_code == 400 and '{"url": "https://..."}' in bad.json()["error"]["message"]
            dead = http.post("/v1/articles", json={"url": f"{site.base}/missing.html"})
            assert dead.status_code == 400 and "the server answered 404 Not Found" in dead.json()["error"]["message"]
            added = http.post("/v1/articles", json={"urls": [f"{site.base}/news/bridge.html", f"{site.base}/image.png"]})
            assert added.status_code == 200, added.text
            body = added.json()
            assert [a["status"] for a in body["added"]] == ["added"] and "added 1" in body["index"]
            assert body["failed"][0]["url"] == f"{site.base}/image.png" and "image/png" in body["failed"][0]["reason"]
            file = body["added"][0]["file"]
            assert file in [a["id"] for a in http.get("/v1/articles").json()["data"]]

            assert http.get("/v1/feeds").json()["data"] == []
            followed = http.post("/v1/feeds", json={"url": f"{site.base}/feed.xml"})
            assert followed.status_code == 200 and followed.json()["title"] == "Coastal Courier", followed.text
            assert http.post("/v1/feeds", json={"url": f"{site.base}/notafeed.xml"}).status_code == 400
            round_one = http.post("/v1/feeds/update").json()
            assert round_one["feeds"][0]["new"] == 2 and "added 2" in round_one["index"], round_one
            round_two = http.post("/v1/feeds/update").json()
            assert round_two["feeds"][0]["not_modified"] and round_two["index"] == "nothing new to index"
            [row] = http.get("/v1/feeds").json()["data"]
            assert row["items"] == 3 and row["new"] == 0 and row["updated"]
            assert http.delete("/v1/feeds", params={"url": f"{site.base}/feed.xml"}).status_code == 200
            assert http.get("/v1/feeds").json()["data"] == []
            for article in http.get("/v1/articles").json()["data"]:  # the module's server as it was
                if article["id"].startswith("web/"):
                    assert http.delete(f"/v1/articles/{article['id']}").status_code == 200
            assert http.get("/health").json()["index"]["articles"] == 1
    finally:
        site.stop()


def test_a_down_answering_server_is_one_line_naming_it(tmp_path):
    down = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with running_server(tmp_path, RAG_GENERATOR=f"openai:{down}") as server:
        with pytest.raises(openai.InternalServerError) as caught:
            client(server).chat.completions.create(**ask(QUESTION))
    assert caught.value.body["message"] == (f"the answering server {down} is not reachable (connection refused); "
                                            "start it or change --model")


@contextmanager
def llama_cpp_server(model: Path):
    """llama.cpp's HTTP server (xllamacpp.Server) with model on a free loopback port, in a subprocess."""
    port = free_port()
    script = ("import signal, sys, xllamacpp\n"
              "p = xllamacpp.CommonParams()\n"
              "p.model.path = sys.argv[1]; p.n_ctx = 2048; p.verbosity = -1\n"
              "p.cpuparams.n_threads = p.cpuparams_batch.n_threads = 2\n"
              "p.hostnames = ['127.0.0.1']; p.port = int(sys.argv[2])\n"
              "server = xllamacpp.Server(p)\n"
              "signal.pause()\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(model), str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama.cpp server did not start: {proc.stderr.read().decode()[-2000:]}"
                            if proc.poll() is not None else "llama.cpp server did not start in 120 s")
            time.sleep(0.5)
        yield f"{url}/v1"
    finally:
        stop_process(proc)


def test_llama_cpp_http_server_answers_as_the_openai_backend(make_settings, write_articles, embedder):
    from rag.answering.models import OpenAICompatibleGenerator, fast_model_path
    from rag.answering.qa import QA
    from rag.index.indexing import build_index

    with llama_cpp_server(fast_model_path()) as url:
        generator = OpenAICompatibleGenerator(url)
        pieces = list(generator.stream([{"role": "user", "content": "Say hello."}], 8, markers=2))
        assert pieces and "".join(pieces).strip()
        assert generator.sends_grammar  # llama.cpp took the marker grammar
        odds = generator.next_token([{"role": "user", "content": "Say yes or no."}], top=5)
        assert 0 < len(odds) <= 5 and all(0 < p <= 1 for p in odds.values()) and sum(odds.values()) <= 1 + 1e-6

        settings = make_settings(generator=f"openai:{url}", max_new_tokens=40)
        write_articles(settings.seeds_dir)
        build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
        final = QA(settings, embedder=embedder).answer("Which city hosted the security summit?")
    assert final.done and final.invalid_citations == 0  # the grammar allows only passages that exist
    assert final.abstained or final.citations


@pytest.mark.slow
def test_the_default_model_answers_through_the_api(ui_server):
    """The real answering model behind the API (no key: the server is on loopback)."""
    reply = client(ui_server, "unused").chat.completions.create(
        **ask("Who said Russia would only negotiate if the root causes of the conflict were addressed?"))
    assert "Lavrov" in reply.choices[0].message.content
    assert reply.model_extra["news_rag"]["citations"][0]["title"].startswith(SEED_TITLE)
