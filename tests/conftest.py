"""Shared fixtures: the real packaged embedder, a deterministic one and scripted answering models (both found
through their registries: test backends registered here), small-chunk settings and a few realistic news
articles."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from contextlib import contextmanager
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from rag.answering.models import GENERATORS  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.index.embedding import EMBEDDERS  # noqa: E402
from tests.fakes import FAKE_EMBEDDERS, SCRIPTED_MODELS, CountingEmbedder, HashingEmbedder  # noqa: E402
from tests.fakes import ReadingModel, ScriptedModel  # noqa: E402

GENERATORS.add(("scripted",), SCRIPTED_MODELS)  # the same backends however often this file is imported
EMBEDDERS.add(("hashing",), FAKE_EMBEDDERS)

ARTICLES = {
    "budapest.txt": """Leaders gather in Budapest for a security summit
October 14, 2025
Heads of government from twelve European countries met in Budapest on Tuesday for a two-day security summit.
The talks focused on energy supplies, border controls and military aid to Ukraine.
Hungary's prime minister welcomed the delegations at the parliament building on the Danube.
Several leaders called for a common plan to protect gas pipelines from sabotage.
Mr. Orbán said the meeting showed that dialogue was still possible in difficult times.
A joint declaration is expected on Wednesday afternoon, officials said.
""",
    "football.txt": """City win the cup final after a penalty shoot-out
May 24, 2025
Manchester City won the cup final at Wembley on Saturday after beating Arsenal five to four on penalties.
The match ended one all after extra time, with both goals scored in the second half.
The City goalkeeper saved the decisive penalty from the Arsenal captain.
Around ninety thousand supporters filled the stadium for the final.
The manager said the victory was the proudest moment of his career.
Fans celebrated in the streets of Manchester until the early morning.
""",
    "central_bank.txt": """Central bank raises interest rates to fight inflation
March 6, 2025
The European Central Bank raised its main interest rate by a quarter point on Thursday.
Policy makers said consumer prices were still rising faster than the two percent target.
The decision was the third rate increase this year and was expected by most economists.
Bond yields rose and the euro gained against the dollar after the announcement.
The bank's president warned that borrowing costs would stay high for some time.
Mortgage holders across the eurozone face higher monthly payments as a result.
""",
    "wildfire.txt": """Wildfire forces thousands to flee in southern California
August 2, 2025
A fast-moving wildfire forced more than ten thousand residents to leave their homes in southern California.
Strong winds and dry brush pushed the flames across the hills overnight.
Firefighters from several states joined the effort to contain the blaze.
At least two hundred houses were destroyed and three firefighters were injured.
The governor declared a state of emergency for the affected county.
Officials warned that hot weather would make the fire hard to control this week.
""",
}


def _write_articles(folder: Path, names: list[str] | None = None) -> Path:
    """Write the named sample articles (default: all) into folder and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or list(ARTICLES):
        (folder / name).write_text(ARTICLES[name], encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def write_articles():
    """write_articles(folder, names=None): write the named sample articles (default: all) into folder."""
    return _write_articles


@pytest.fixture
def articles() -> dict[str, str]:
    """The sample articles: file name -> content (title line, date line, body)."""
    return dict(ARTICLES)


@pytest.fixture(scope="session")
def embedder():
    from rag.index.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture
def counting_embedder(embedder):
    """counting_embedder(interrupt_at=0): the real embedder, counting the texts of each call (calls); the build is
    interrupted (Ctrl-C) at call interrupt_at."""
    return lambda interrupt_at=0: CountingEmbedder(embedder, interrupt_at)


@pytest.fixture
def fake_embedder():
    """A deterministic embedder without torch (tests.fakes.HashingEmbedder), counting what it encodes; the
    embedders registry loads it for Settings(embedding_model=fake_embedder.location)."""
    made = FAKE_EMBEDDERS.register(HashingEmbedder())
    yield made
    FAKE_EMBEDDERS.forget(made)


@pytest.fixture
def scripted():
    """scripted(*replies, refuse=False, odds=None, short=()) -> a ScriptedModel (tests.fakes) that the generators
    registry loads for Settings(generator=model.location); with odds (a dict, or a function of the messages) it
    also gives its first token's probabilities (ReadingModel); short: its replies to the second reading."""
    made: list[ScriptedModel] = []

    def make(*replies: str, refuse: bool = False, odds=None, short: tuple[str, ...] = ()) -> ScriptedModel:
        model = (
            ScriptedModel(*replies, refuse=refuse, short=short)
            if odds is None
            else ReadingModel(*replies, odds=odds, refuse=refuse, short=short)
        )
        made.append(SCRIPTED_MODELS.register(model))
        return model

    yield make
    for model in made:
        SCRIPTED_MODELS.forget(model)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny random transformers chat model in a local folder (exercises the transformers backend)."""
    from tests.tiny_models import build_tiny_causal_lm

    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-lm"))


@pytest.fixture
def make_settings(tmp_path):
    """make_settings(name="", **overrides) -> Settings with small chunks under tmp_path/name."""

    def make(name: str = "", **overrides) -> Settings:
        base = tmp_path / name if name else tmp_path
        values = dict(seeds_dir=base / "seeds", index_dir=base / "index", chunk_tokens=64, chunk_overlap=12)
        values.update(overrides)
        return Settings(**values)

    return make


# ---- a real chat server for the UI tests (python -m ui over a copy of seeds/, the default answering model) ----

REPO = Path(__file__).resolve().parent.parent
SERVER_START_SECONDS = 240  # index build + embedder and model loading, on 2 busy cores


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str) -> int | None:
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@contextmanager
def running_server(base: Path, **env_extra: str):
    """`python -m ui` over a copy of seeds/ on a free loopback port; its url, folders, log and pid; stopped by
    pid on exit."""
    import shutil
    import subprocess
    import sys
    import time
    from types import SimpleNamespace

    seeds, index, log_path = base / "seeds", base / "index", base / "server.log"
    shutil.copytree(REPO / "seeds", seeds)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_GENERATOR="default", GRADIO_TEMP_DIR=str(base / "gradio-tmp"), PYTHONUNBUFFERED="1",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", NO_PROXY="127.0.0.1,localhost")
    env.update(env_extra)
    url = f"http://127.0.0.1:{port}/"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "ui", "--port", str(port), "--seeds", str(seeds),
                                 "--index", str(index)], cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + SERVER_START_SECONDS
            while http_status(url) != 200:
                if proc.poll() is not None:
                    pytest.fail(f"the server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    pytest.fail(f"no HTTP 200 from {url} in {SERVER_START_SECONDS} s:\n"
                                f"{log_path.read_text()[-3000:]}")
                time.sleep(1)
            yield SimpleNamespace(url=url, port=port, seeds=seeds, index=index, log=log_path, pid=proc.pid)
        finally:
            stop_process(proc)


def stop_process(proc) -> None:
    """Stop a server started by a test: terminate, and kill it when it does not end within 20 s."""
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    """The chat server with the default answering model."""
    with running_server(tmp_path_factory.mktemp("ui-server")) as server:
        yield server
