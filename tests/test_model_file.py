"""The default model's file, joined from its part packages: written durably, trusted by its kept size at
start, joined again when torn or wrong; `rag doctor` reads it whole (small stand-in parts, the real code)."""

from __future__ import annotations

import hashlib
import json

import pytest

from rag.answering.models import model_file
from rag.answering.models.model_file import assembled, check_model_file
from rag.errors import ModelNotFoundError

PARTS = [b"GGUF" + bytes(range(200)), bytes(range(256)) * 3, b"tail of the model"]
WHOLE = b"".join(PARTS)
SHA = hashlib.sha256(WHOLE).hexdigest()


@pytest.fixture
def parts(tmp_path):
    paths = []
    for number, data in enumerate(PARTS):
        path = tmp_path / "parts" / f"part{number}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    calls: list[int] = []

    def listed():
        calls.append(1)
        return paths

    listed.calls = calls
    return listed


def test_the_model_is_joined_once_with_its_size_and_hash_kept_beside_it(tmp_path, parts, monkeypatch):
    synced: list[int] = []
    real_fsync = model_file.os.fsync
    monkeypatch.setattr(model_file.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    target = tmp_path / "models" / "model.gguf"
    assert assembled(target, parts, len(WHOLE), SHA) == target
    assert target.read_bytes() == WHOLE and len(parts.calls) == 1
    assert json.loads((tmp_path / "models" / "model.gguf.json").read_text()) == {"size": len(WHOLE), "sha256": SHA}
    assert len(synced) >= 2  # the model file and its record reach the disk before they are trusted
    assert assembled(target, parts, len(WHOLE), SHA) == target and len(parts.calls) == 1  # trusted by its size
    assert [p.name for p in target.parent.iterdir()] in (["model.gguf", "model.gguf.json"],
                                                         ["model.gguf.json", "model.gguf"])  # fmt: skip


def test_a_torn_file_left_by_a_crash_is_joined_again(tmp_path, parts):
    target = tmp_path / "model.gguf"
    assembled(target, parts, len(WHOLE), SHA)
    target.write_bytes(WHOLE[:100])  # a power cut while it was written, in the old way
    assert assembled(target, parts, len(WHOLE), SHA).read_bytes() == WHOLE and len(parts.calls) == 2


def test_a_file_of_the_right_size_without_its_record_is_checked_by_its_hash(tmp_path, parts):
    target = tmp_path / "model.gguf"
    target.write_bytes(WHOLE)  # an install from before the record: trusted once its hash matches
    assert assembled(target, parts, len(WHOLE), SHA) == target and parts.calls == []
    target.with_name("model.gguf.json").unlink()
    target.write_bytes(bytes(len(WHOLE)))  # the right size, the wrong bytes
    assert assembled(target, parts, len(WHOLE), SHA).read_bytes() == WHOLE and len(parts.calls) == 1


def test_parts_that_do_not_make_the_model_are_refused_and_nothing_is_left(tmp_path, parts):
    target = tmp_path / "model.gguf"
    with pytest.raises(ModelNotFoundError, match="wrong sha256; reinstall its part packages"):
        assembled(target, parts, len(WHOLE), "0" * 64)
    assert list(tmp_path.glob("model.gguf*")) == []


def test_the_doctor_reads_the_whole_file(tmp_path, parts):
    target = tmp_path / "model.gguf"
    assert "not assembled yet" in check_model_file(target, len(WHOLE), SHA)
    assembled(target, parts, len(WHOLE), SHA)
    assert check_model_file(target, len(WHOLE), SHA) is None
    target.write_bytes(bytes(len(WHOLE)))
    assert "wrong sha256" in check_model_file(target, len(WHOLE), SHA)
    target.write_bytes(b"torn")
    assert "is 4 bytes, not" in check_model_file(target, len(WHOLE), SHA)


def test_rag_doctor_names_a_torn_default_model_and_a_missing_index(tmp_path, monkeypatch, capsys):
    from rag import cli

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    models = tmp_path / "cache" / "news-rag" / "models"
    models.mkdir(parents=True)
    (models / model_file.DEFAULT_GGUF).write_bytes(b"torn")
    code = cli.main(["doctor", "--index", str(tmp_path / "index"), "--model", "default"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"answering model: {models / model_file.DEFAULT_GGUF} is 4 bytes, not 1,117,320,768" in out
    assert "embedding model: ok" in out
    assert f"index: no index in {tmp_path / 'index'} yet; build it with: rag build" in out
