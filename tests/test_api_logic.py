"""The HTTP API without a model or a server: requests checked, answers as OpenAI objects, the routes run
in-process under the official openai client (over Starlette's TestClient), deletes, the openai: backend."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import httpx
import pytest

from rag.answering import models as generation
from rag.answering.openai_format import (EXTRA, RequestError, chunk, chunks, completion, content, parse_request,
                                         without_sources)
from rag.model import Ask, Answer, Citation, Timings
from rag.config import Settings
from tests.fakes import QAUntilStopped, ScriptedQA
from rag.errors import ArticleError, ModelNotFoundError, RagError
from rag.ingest.uploads import delete_article_file
from rag.markers import ABSTAIN
from ui import app
from ui.api import api_routes
from ui.model_queue import Busy, ModelQueue

CITED = Citation(1, "Leaders gather in Budapest", "Wire", "2025-10-14", "https://news.example/budapest",
                 "Heads of government met in Budapest on Tuesday.", 0.9, "budapest.txt", 3)
FINAL = Answer("Where did the leaders meet?", "The leaders met in Budapest [1].", [CITED], relies_on="Wire [1]",
               unsupported=["They ate goulash."], timings=Timings(0.1, 0.5, 2.0))


def chat(*messages: tuple[str, str], **extra: object) -> dict:
    return {"model": "news-rag", "messages": [{"role": r, "content": c} for r, c in messages], **extra}


# ---- requests ----

def test_a_request_becomes_the_question_its_history_and_options():
    request = parse_request(chat(("system", "Be brief."), ("user", "Where will the summit be?"),
                                 ("assistant", "In Budapest [1].\n\nSources:\n[1] Summit (Wire, 2025-10-21)"),
                                 ("user", [{"type": "text", "text": "Who said that?"}]),
                                 stream=True, since="2025-10-01", until="2025-10-31", sources=["Wire"],
                                 as_of="2025-10-22"))
    assert request.ask.question == "Who said that?" and request.stream
    assert request.ask.history == [{"role": "user", "content": "Where will the summit be?"},
                                   {"role": "assistant", "content": "In Budapest [1]."}]
    assert request.ask == Ask("Who said that?", since="2025-10-01", until="2025-10-31", sources=("Wire",),
                              history=request.ask.history, reference_date="2025-10-22")
    assert parse_request({"messages": [{"role": "user", "content": "Hi?"}]}).stream is False  # model optional


@pytest.mark.parametrize("body, field", [
    ([], "body"),
    (chat(("user", "Q?"), model="gpt-4o"), "model"),
    ({"model": "news-rag"}, "messages"),
    (chat(), "messages"),
    (chat(("user", "Q?"), ("assistant", "A.")), "messages"),
    ({"model": "news-rag", "messages": [{"role": "robot", "content": "Q?"}]}, "messages[0]"),
    ({"model": "news-rag", "messages": [{"role": "user", "content": 7}]}, "messages[0].content"),
    (chat(("user", "Q?"), stream="yes"), "stream"),
    (chat(("user", "Q?"), since="last week"), "since"),
    (chat(("user", "Q?"), until="2025-02-30"), "until"),
    (chat(("user", "Q?"), since="2025-10-02", until="2025-10-01"), "since"),
    (chat(("user", "Q?"), sources=[3]), "sources"),
    (chat(("user", "Q?"), as_of="yesterday"), "as_of"),
])
def test_a_bad_request_names_its_field(body, field):
    with pytest.raises(RequestError) as caught:
        parse_request(body)
    assert caught.value.field == field and str(caught.value).startswith(f"{field}: ")


# ---- answers as OpenAI objects ----

def test_the_content_is_the_verified_answer_what_was_removed_then_its_numbered_sources():
    assert content(FINAL) == ("The leaders met in Budapest [1].\n\n"
                              "Not found in the sources, so removed: “They ate goulash.”\n\nSources:\n"
                              "[1] Leaders gather in Budapest (Wire, 2025-10-14) https://news.example/budapest")
    assert without_sources(content(FINAL)) == FINAL.text
    assert content(Answer("Q?", ABSTAIN, abstained=True)) == ABSTAIN


def test_an_article_address_with_markup_is_never_shown_as_markup():
    from markdown_it import MarkdownIt

    for url in ("http://host/gone/1 ![p](http://evil.example/p.png)", "http://host/x?x=<img src=x>",
                "http://host/x?x=<img/src=x>", "javascript:alert(1)"):
        cited = replace(CITED, url=url)
        html = MarkdownIt().render(content(replace(FINAL, citations=[cited])))
        assert "<img" not in html and "evil.example" not in html and "javascript" not in html, html
    assert content(replace(FINAL, citations=[replace(CITED, url="http://host/x?x=<b>")])).endswith(
        "(Wire, 2025-10-14) http://host/x?x=%3Cb%3E")  # a clean address is shown, percent-encoded


def test_completion_and_chunks_have_the_openai_shape_and_the_whole_answer():
    body = completion(FINAL, "chatcmpl-1", 7)
    assert body["object"] == "chat.completion" and body["model"] == "news-rag"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": content(FINAL)}
    assert body["choices"][0]["finish_reason"] == "stop"
    extra = json.loads(json.dumps(body[EXTRA]))
    assert extra["citations"][0]["url"] == CITED.url and extra["unsupported"] == ["They ate goulash."]
    assert extra["abstained"] is False and extra["timings"]["total_s"] == 2.0
    opening = chunk("chatcmpl-1", 7, {"role": "assistant", "content": ""})
    assert opening["object"] == "chat.completion.chunk" and opening["choices"][0]["finish_reason"] is None
    text, final = chunks(FINAL, "chatcmpl-1", 7)
    assert text["choices"][0]["delta"] == {"content": content(FINAL)} and EXTRA not in text
    assert final["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert final[EXTRA]["citations"][0]["passage"] == CITED.passage


# ---- the routes, in-process, under the openai client ----

@pytest.fixture
def api(tmp_path):
    """make(key=None, final=FINAL) -> (openai client for that key, fake QA, model queue) over the routes."""
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    openai = pytest.importorskip("openai")
    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")

    def make(server_key=None, client_key="unused", final=FINAL):
        qa, model_queue = ScriptedQA(final), ModelQueue(0)
        http = TestClient(FastAPI(routes=api_routes(qa, settings, model_queue, server_key)), base_url="http://127.0.0.1:7860")
        client = openai.OpenAI(base_url="http://127.0.0.1:7860/v1", api_key=client_key, http_client=http,
                               max_retries=0)
        return client, qa, model_queue

    return make


def test_an_answer_and_its_citations_through_the_openai_client(api):
    client, qa, _ = api()
    reply = client.chat.completions.create(model="news-rag", messages=[
        {"role": "user", "content": "Where will the summit be?"},
        {"role": "assistant", "content": "In Budapest [1].\n\nSources:\n[1] Summit (Wire, 2025-10-21)"},
        {"role": "user", "content": "Who said that?"}], extra_body={"since": "2025-10-01"})
    assert reply.choices[0].message.content == content(FINAL) and reply.choices[0].finish_reason == "stop"
    assert reply.model_extra[EXTRA]["citations"][0]["title"] == "Leaders gather in Budapest"
    ask = qa.calls[0]
    assert ask.question == "Who said that?" and ask.since == "2025-10-01"
    assert ask.history[-1] == {"role": "assistant", "content": "In Budapest [1]."}
    assert [m.id for m in client.models.list()] == ["news-rag"]


def test_a_streamed_answer_sends_only_verified_text_and_the_answer_last(api):
    client, _, _ = api()
    parts = list(client.chat.completions.create(model="news-rag", stream=True,
                                                messages=[{"role": "user", "content": "Where did they meet?"}]))
    assert parts[0].choices[0].delta.role == "assistant"
    assert "".join(p.choices[0].delta.content or "" for p in parts) == content(FINAL)  # no goulash draft
    assert parts[-1].choices[0].finish_reason == "stop"
    assert parts[-1].model_extra[EXTRA]["citations"][0]["passage"] == CITED.passage
    assert all(EXTRA not in p.model_extra for p in parts[:-1])


def test_bad_requests_get_400_naming_the_field(api):
    import openai

    client, _, _ = api()
    with pytest.raises(openai.BadRequestError, match="since: 'soon' is not a date") as caught:
        client.chat.completions.create(model="news-rag", messages=[{"role": "user", "content": "Q?"}],
                                       extra_body={"since": "soon"})
    assert caught.value.body["param"] == "since"
    with pytest.raises(openai.BadRequestError, match="the question is empty"):
        client.chat.completions.create(model="news-rag", messages=[{"role": "user", "content": "  "}])
    with pytest.raises(openai.BadRequestError, match="unknown model 'gpt-4o'"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Q?"}])


def test_a_key_is_required_once_set(api):
    import openai

    client, _, _ = api(server_key="s3cret", client_key="wrong")
    with pytest.raises(openai.AuthenticationError, match="RAG_API_KEY"):
        client.chat.completions.create(model="news-rag", messages=[{"role": "user", "content": "Q?"}])
    with pytest.raises(openai.AuthenticationError):
        client.models.list()
    right, _, _ = api(server_key="s3cret", client_key="s3cret")
    assert right.chat.completions.create(model="news-rag", messages=[{"role": "user", "content": "Q?"}]).choices


def test_a_full_queue_is_429_with_retry_after(api):
    import openai

    client, _, model_queue = api()  # no request may wait
    with model_queue.turn():  # the page (or another request) is answering
        with pytest.raises(openai.RateLimitError, match="busy") as caught:
            client.chat.completions.create(model="news-rag", messages=[{"role": "user", "content": "Q?"}])
    assert int(caught.value.response.headers["Retry-After"]) >= 1
    assert client.chat.completions.create(model="news-rag", messages=[{"role": "user", "content": "Q?"}]).choices


def test_the_model_queue_lets_a_bounded_number_wait():
    model_queue, entered = ModelQueue(1), threading.Event()

    def wait_for_a_turn():
        entered.set()
        with model_queue.turn(limited=True):
            pass

    with model_queue.turn():
        waiter = threading.Thread(target=wait_for_a_turn)
        waiter.start()
        entered.wait()
        while model_queue.waiting < 1:
            pass
        with pytest.raises(Busy):
            with model_queue.turn(limited=True):
                pass
    waiter.join(timeout=10)
    assert model_queue.waiting == 0 and not waiter.is_alive()


def test_a_public_address_needs_an_api_key(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_UI_USER", "ann")
    monkeypatch.setenv("RAG_UI_PASSWORD", "pw")
    monkeypatch.delenv("RAG_API_KEY", raising=False)
    with pytest.raises(RagError, match="^serving on 0.0.0.0 makes the API reachable .* set RAG_API_KEY"):
        app.serve(Settings(seeds_dir=tmp_path, index_dir=tmp_path / "index"), host="0.0.0.0", port=1)
    assert not (tmp_path / "index").exists()
    assert app.api_key_for("127.0.0.1") is None
    monkeypatch.setenv("RAG_API_KEY", "k")
    assert app.api_key_for("0.0.0.0") == "k" == app.api_key_for("127.0.0.1")


# ---- deleting an article's file ----

def test_only_whole_files_inside_the_articles_folder_are_deleted(tmp_path):
    seeds = tmp_path / "seeds"
    (seeds / "sub").mkdir(parents=True)
    for name in ("a.txt", "sub/b.md", "feed.jsonl", "one.json"):
        (seeds / name).write_text("x")
    (tmp_path / "outside.txt").write_text("keep")
    ids = ["a.txt", "sub/b.md", "feed.jsonl#1", "feed.jsonl#2", "one.json#only"]
    assert delete_article_file(seeds, "sub/b.md", ids) == (seeds / "sub/b.md").resolve()
    assert not (seeds / "sub/b.md").exists() and (seeds / "a.txt").exists()
    assert delete_article_file(seeds, "one.json#only", ids).name == "one.json"  # its file's only article
    with pytest.raises(ArticleError, match="one of 2 articles in feed.jsonl; only whole files"):
        delete_article_file(seeds, "feed.jsonl#1", ids)
    for bad in ("../outside.txt", str(tmp_path / "outside.txt")):
        with pytest.raises(ArticleError, match="not a file of the articles folder"):
            delete_article_file(seeds, bad, [bad])
    assert (tmp_path / "outside.txt").read_text() == "keep"
    with pytest.raises(ArticleError, match="no longer in the articles folder"):
        delete_article_file(seeds, "sub/b.md", ids)


# ---- an OpenAI-compatible server as the answering model ----

def test_openai_urls_choose_the_http_backend(make_settings):
    generator = generation.load_generator(make_settings(generator="openai:http://127.0.0.1:8080/v1/",
                                                        openai_model="qwen", openai_api_key="k"))
    assert isinstance(generator, generation.OpenAICompatibleGenerator)
    assert generator.base_url == "http://127.0.0.1:8080/v1" and generator.model == "qwen"
    with pytest.raises(ModelNotFoundError, match="openai:http://HOST:PORT/v1"):
        generation.load_generator(make_settings(generator="openai:localhost:8080"))
    assert "sk-secret" not in repr(make_settings(openai_api_key="sk-secret"))


def _fake_server(monkeypatch, handler):
    """httpx.Client answering through handler (an httpx.MockTransport), as an HTTP server would."""
    real = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda **kw: real(transport=httpx.MockTransport(handler), **kw))


def _sse(*pieces: str) -> bytes:
    events = [{"choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"


def test_the_http_backend_streams_sends_the_grammar_and_drops_it_when_refused(monkeypatch):
    bodies = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if "grammar" in bodies[-1]:
            return httpx.Response(400, json={"error": {"message": "Unrecognized request argument: grammar"}})
        return httpx.Response(200, content=_sse("Budapest", " [1]."))

    _fake_server(monkeypatch, handler)
    generator = generation.OpenAICompatibleGenerator("http://127.0.0.1:9/v1", "m", "key")
    messages = [{"role": "user", "content": "Where?"}]
    assert "".join(generator.stream(messages, 20, markers=2)) == "Budapest [1]."
    assert bodies[0]["grammar"] == generation.marker_grammar(2) and bodies[0]["stream"] is True
    assert "grammar" not in bodies[1] and bodies[1]["model"] == "m" and bodies[1]["temperature"] == 0
    assert "".join(generator.stream(messages, 20, markers=2)) == "Budapest [1]."
    assert len(bodies) == 3  # refused once: not sent again


@pytest.mark.parametrize("response, expected", [
    (httpx.Response(500, json={"error": {"message": "model crashed"}}),
     r"^the answering server http://127.0.0.1:9/v1 refused the request \(500: model crashed\)$"),
    (httpx.Response(404, text="no such model"), r"\(404: no such model\) \(set RAG_OPENAI_MODEL"),
    (httpx.Response(200, content=b'data: {"error": {"message": "out of memory"}}\n\n'),
     r"^the answering server http://127.0.0.1:9/v1 failed: out of memory$"),
])
def test_server_errors_are_one_line_naming_the_server(monkeypatch, response, expected):
    _fake_server(monkeypatch, lambda request: response)
    with pytest.raises(RagError, match=expected):
        list(generation.OpenAICompatibleGenerator("http://127.0.0.1:9/v1").stream([], 5))


def test_a_slow_server_is_one_line_naming_the_timeout(monkeypatch):
    def handler(request):
        raise httpx.ReadTimeout("timed out", request=request)

    _fake_server(monkeypatch, handler)
    with pytest.raises(RagError, match=r"^the answering server http://127.0.0.1:9/v1 did not answer within 5 s"):
        list(generation.OpenAICompatibleGenerator("http://127.0.0.1:9/v1", timeout=5).stream([], 5))


def test_a_server_that_is_down_is_one_line_naming_it():
    import socket

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(RagError) as caught:
        list(generation.OpenAICompatibleGenerator(url).stream([{"role": "user", "content": "Hi"}], 5))
    assert str(caught.value) == (f"the answering server {url} is not reachable (connection refused); start it or "
                                 "change --model")


# ---- a real server on loopback: a client that leaves, a request that holds the model too long ----

@pytest.fixture
def live_api(tmp_path):
    """serve(settings changes) -> (base URL, model): the routes under uvicorn on a free loopback port."""
    import uvicorn
    from fastapi import FastAPI

    from tests.conftest import free_port

    servers = []

    def serve(**changes):
        model = QAUntilStopped(FINAL)
        settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index", **changes)
        app = FastAPI(routes=api_routes(model, settings, ModelQueue(4), None))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        while not server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}", model

    yield serve
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_client_that_leaves_a_whole_answer_request_stops_the_model(live_api):
    url, model = live_api()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{url}/v1/chat/completions", timeout=1.0, json={
            "model": "news-rag", "messages": [{"role": "user", "content": "Where will the summit be?"}]})
    assert model.stopped.wait(timeout=5), "the model kept writing for a client that had gone"


def test_one_request_holds_the_model_at_most_request_seconds(live_api):
    url, model = live_api(request_seconds=0.5)
    started = time.monotonic()
    reply = httpx.post(f"{url}/v1/chat/completions", timeout=15, json={
        "model": "news-rag", "messages": [{"role": "user", "content": "Where will the summit be?"}]})
    assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"] == content(FINAL)
    assert model.stopped.is_set() and time.monotonic() - started < 5


def routes_on_loopback(tmp_path, allowed_hosts: str = ""):
    """(Starlette TestClient on 127.0.0.1:7860 over the API's routes without a key, its ScriptedQA)."""
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    qa = ScriptedQA(FINAL)
    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index", allowed_hosts=allowed_hosts)
    return TestClient(FastAPI(routes=api_routes(qa, settings, ModelQueue(0), None)), base_url="http://127.0.0.1:7860"), qa


def test_web_pages_of_other_sites_cannot_write_or_rebind(tmp_path):
    http, qa = routes_on_loopback(tmp_path)
    question = {"model": "news-rag", "messages": [{"role": "user", "content": "Where?"}]}
    evil = {"Origin": "http://evil.example"}
    for method, path, kwargs in [
        ("POST", "/v1/articles", {"content": '{"urls": ["http://example.com/a"]}',
                                  "headers": {**evil, "Content-Type": "text/plain"}}),
        ("POST", "/v1/feeds", {"content": '{"url": "http://example.com/feed"}', "headers": evil}),
        ("POST", "/v1/chat/completions", {"json": question, "headers": evil}),
        ("POST", "/v1/index", {"files": {"files": ("a.txt", b"Evil text.")}, "headers": evil}),
        ("DELETE", "/v1/articles/a.txt", {"headers": evil}),
        ("GET", "/v1/articles", {"headers": {"Host": "evil.example"}}),  # DNS rebinding: a foreign name
        ("POST", "/v1/chat/completions", {"json": question, "headers": {"Host": "attacker.test:7860"}}),
    ]:
        response = http.request(method, path, **kwargs)
        assert response.status_code == 403, (method, path, response.text)
        assert "RAG_ALLOWED_HOSTS" in response.json()["error"]["message"]
    assert qa.calls == [] and not (tmp_path / "seeds").exists()  # nothing asked, nothing written
    # a form or text/plain body is refused even from this machine: only JSON is read
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = http.post("/v1/feeds", content='{"url": "http://example.com/feed"}',
                             headers={"Content-Type": content_type})
        assert response.status_code == 400 and "application/json" in response.json()["error"]["message"]
    # a page of this machine, and a host the settings allow, are served
    assert http.post("/v1/chat/completions", json=question, headers={"Origin": "http://localhost:3000"}).is_success
    intranet, _ = routes_on_loopback(tmp_path, allowed_hosts="rag.intranet")
    assert intranet.get("/v1/models", headers={"Host": "rag.intranet", "Origin": "http://rag.intranet"}).is_success


def test_one_request_may_ask_for_at_most_twenty_addresses(tmp_path):
    http, _ = routes_on_loopback(tmp_path)
    response = http.post("/v1/articles", json={"urls": [f"https://example.com/{n}" for n in range(300)]})
    assert response.status_code == 400
    assert "300 addresses in one request; send at most 20 at a time" in response.json()["error"]["message"]
    assert not (tmp_path / "seeds").exists()  # nothing fetched or saved
