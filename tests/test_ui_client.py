"""The chat's stable API endpoint (/chat), called with gradio_client against the real server and model."""

from __future__ import annotations

import re

import pytest

SEED_TITLE = "Washington cools contact with Moscow"


def _titles(message: dict) -> str:
    return (message.get("metadata") or {}).get("title", "")


@pytest.mark.slow
def test_chat_endpoint_answers_with_cited_sources(ui_server):
    from gradio_client import Client

    client = Client(ui_server.url, verbose=False)
    assert "/chat" in client.view_api(return_format="dict", print_info=False)["named_endpoints"]

    messages, panel = client.predict(
        "Who said Russia would only negotiate if the root causes of the conflict were addressed?", api_name="/chat")

    answer = messages[0]["content"]
    assert "Lavrov" in answer, messages
    assert re.search(r"\[\\\[(\d+)\\\]\]\(#source-\1\)", answer), messages  # [n], a link to passage n
    [sources] = [m for m in messages if _titles(m).startswith("Sources (")]
    assert _titles(sources) == f"Sources ({sources['content'].count('**[')})"
    assert sources["metadata"]["status"] == "done"  # collapsed in the page
    assert SEED_TITLE in sources["content"]
    assert SEED_TITLE in panel and "Lavrov" in panel  # the side panel quotes the passage


@pytest.mark.slow
def test_chat_endpoint_reports_a_bad_question_as_a_message(ui_server):
    from gradio_client import Client

    messages, panel = Client(ui_server.url, verbose=False).predict("   ", api_name="/chat")
    [message] = messages
    assert message["content"].startswith("**Error:** the question is empty")
    assert "Traceback" not in message["content"]
