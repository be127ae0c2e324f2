"""Shared fixtures: the real packaged embedder, small-chunk settings and a few realistic news articles."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from rag.config import Settings  # noqa: E402

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


@pytest.fixture
def write_articles():
    """write_articles(folder, names=None): write the named sample articles (default: all) into folder."""
    return _write_articles


@pytest.fixture
def articles() -> dict[str, str]:
    """The sample articles: file name -> content (title line, date line, body)."""
    return dict(ARTICLES)


@pytest.fixture(scope="session")
def embedder():
    from rag.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture
def make_settings(tmp_path):
    """make_settings(name="", **overrides) -> Settings with small chunks under tmp_path/name."""

    def make(name: str = "", **overrides) -> Settings:
        base = tmp_path / name if name else tmp_path
        values = dict(seeds_dir=base / "seeds", index_dir=base / "index", chunk_tokens=64, chunk_overlap=12)
        values.update(overrides)
        return Settings(**values)

    return make
