"""The command line, run as a user would: python -m rag build / status in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run(*args, cwd, env_extra=None, timeout=180):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def summary_line(stdout):
    [line] = [ln for ln in stdout.splitlines() if ln.startswith("added ")]
    return line


def test_build_status_and_env_vars(tmp_path, write_articles):
    seeds, index = tmp_path / "articles", tmp_path / "idx"
    write_articles(seeds, ["budapest.txt", "wildfire.txt"])
    (seeds / "scan.txt").write_bytes(b"\x00\x01\x02 binary junk \x00")

    first = run("build", "--seeds", str(seeds), "--index", str(index), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    line = summary_line(first.stdout)
    assert line.startswith("added 2, changed 0, removed 0, unchanged 0; ")
    assert "1 files skipped" in line and "2 articles" in line
    assert "skipped scan.txt: looks binary" in first.stdout
    assert "Traceback" not in first.stderr
    assert (index / "manifest.json").exists()

    second = run("build", "--seeds", str(seeds), "--index", str(index), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert summary_line(second.stdout).startswith("added 0, changed 0, removed 0, unchanged 2; 0 chunks embedded")

    status = run("status", "--seeds", str(seeds), "--index", str(index), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert f"index {index}: 2 articles" in status.stdout
    assert "2 readable, 1 skipped" in status.stdout
    assert "a build would do nothing" in status.stdout

    # the same folders through RAG_SEEDS_DIR / RAG_INDEX_DIR, run from an unrelated folder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"RAG_SEEDS_DIR": str(seeds), "RAG_INDEX_DIR": str(index)}
    by_env = run("build", cwd=elsewhere, env_extra=env)
    assert by_env.returncode == 0, by_env.stderr
    assert summary_line(by_env.stdout).startswith("added 0, changed 0, removed 0, unchanged 2; 0 chunks embedded")
    assert not (elsewhere / "index").exists()

    write_articles(seeds, ["football.txt"])
    status = run("status", cwd=elsewhere, env_extra=env)
    assert status.returncode == 0, status.stderr
    assert "a build would do: 1 to add, 0 changed, 0 to remove, 2 unchanged" in status.stdout

    # flags win over environment variables
    other = tmp_path / "other-index"
    status = run("status", "--index", str(other), cwd=elsewhere, env_extra=env)
    assert f"no index in {other} yet" in status.stdout
    assert "a build would do: 3 to add" in status.stdout


@pytest.mark.parametrize("folder", ["/nonexistent", "tmp/missing"])
def test_missing_articles_folder_is_a_one_line_error(tmp_path, folder):
    missing = tmp_path / "missing" if folder == "tmp/missing" else folder
    result = run("build", "--seeds", str(missing), "--index", str(tmp_path / "idx"), cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and str(missing) in lines[0] and "does not exist" in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / "idx").exists()


def test_bad_environment_value_is_a_one_line_error(tmp_path):
    result = run("status", cwd=tmp_path, env_extra={"RAG_CHUNK_TOKENS": "lots"}, timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "RAG_CHUNK_TOKENS" in line


@pytest.mark.parametrize("env, message", [
    ({"RAG_CHUNK_TOKENS": "20"}, "RAG_CHUNK_OVERLAP=24 must be smaller than RAG_CHUNK_TOKENS=20"),
    ({"RAG_CHUNK_OVERLAP": "-1"}, "RAG_CHUNK_OVERLAP=-1 must be 0 or more"),
    ({"RAG_TOP_K": "-3"}, "RAG_TOP_K=-3 must be a whole number of 1 or more"),
    ({"RAG_EMBED_BATCH_SIZE": "0"}, "RAG_EMBED_BATCH_SIZE=0 must be a whole number of 1 or more"),
    ({"RAG_DENSE_WEIGHT": "7"}, "RAG_DENSE_WEIGHT=7.0 must be between 0 and 1"),
    ({"RAG_MIN_SCORE": "nan"}, "RAG_MIN_SCORE=nan must be a finite number"),
    ({"RAG_ANSWER_SIMILARITY": "2"}, "RAG_ANSWER_SIMILARITY=2.0 must be between -1 and 1"),
    ({"RAG_VERIFY": "maybe"}, "RAG_VERIFY='maybe' is not a yes/no value; use 1 or 0"),
    ({"RAG_SEEDS_DIR": ""}, "RAG_SEEDS_DIR is empty; set it to a folder or unset it"),
    ({"RAG_SENTENCE_SHARE": "0"}, "RAG_SENTENCE_SHARE=0.0 must be above 0 and at most 1 (1: whole passages)"),
])
def test_out_of_range_environment_value_is_a_one_line_error(tmp_path, env, message):
    result = run("status", cwd=tmp_path, env_extra=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {message}"]


@pytest.mark.parametrize("config, message", [
    ("sentence_sahre=0.3", "write settings as name=value, like sentence_share=1"),
    ("sentence_share=half", "RAG_SENTENCE_SHARE='half' is not a number; fix or unset it"),
])
def test_a_bad_benchmark_configuration_is_refused_before_anything_runs(tmp_path, config, message):
    result = run("bench", "prompt", "--config", config, cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_boundary_settings_are_accepted(tmp_path):
    from rag.config import Settings

    env = {"RAG_CHUNK_TOKENS": "32", "RAG_CHUNK_OVERLAP": "0", "RAG_DENSE_WEIGHT": "1", "RAG_MIN_SCORE": "-1",
           "RAG_TOP_K": "1", "RAG_THREADS": "1"}
    settings = Settings.from_env(env, seeds_dir=tmp_path)
    assert (settings.chunk_tokens, settings.chunk_overlap, settings.dense_weight, settings.min_score) == (32, 0, 1, -1)
    assert settings.seeds_dir == tmp_path and settings.index_dir.name == "index"


def test_serve_on_a_port_in_use_says_so_before_building(tmp_path, write_articles):
    import socket

    seeds, index = tmp_path / "articles", tmp_path / "idx"
    write_articles(seeds, ["budapest.txt"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--seeds", str(seeds), "--index", str(index), "--port", str(port), cwd=tmp_path,
                     timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: cannot serve on 127.0.0.1:{port} (Address already in use); another "
                                     "program (the chat already running?) uses it: stop it or pick another port "
                                     "with --port N")
    assert not index.exists()  # nothing built

