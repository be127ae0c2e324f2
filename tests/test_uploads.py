"""rag.ingest.uploads.save_uploads: safe names, allowed types, size limit, duplicates, atomic writes inside the folder."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag.ingest.documents import SUPPORTED_SUFFIXES, load_articles
from rag.ingest.uploads import safe_name, save_uploads

ARTICLE = "A new ferry line opens\nMarch 3, 2026\nThe harbour town opened a ferry line to the islands on Tuesday.\n"
OTHER = "Library reopens after repairs\nApril 9, 2026\nThe town library reopened after two years of repairs.\n"


def upload(folder: Path, name: str, content: str | bytes = ARTICLE) -> Path:
    """A file as the web server would hand it over: some temporary folder, the user's file name."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("/etc/cron.d/evil.md", "evil.md"),
    ("..\\..\\windows\\evil.TXT", "evil.txt"),
    ("C:\\Users\\me\\news.html", "news.html"),
    ("..txt", "upload.txt"),
    (".hidden.json", "hidden.json"),
    ("a b$c;rm -rf.jsonl", "a_b_c_rm_-rf.jsonl"),
    ("a..b.htm", "a.b.htm"),
    ("Ünïcødé 新闻 report.txt", "Unicde_report.txt"),
    ("...", "upload"),
    ("x" * 300 + ".txt", "x" * 100 + ".txt"),
])
def test_safe_name(name, expected):
    assert safe_name(name) == expected


def test_saves_under_safe_names_inside_the_folder(tmp_path):
    seeds, incoming = tmp_path / "seeds", tmp_path / "incoming"
    weird = [
        upload(incoming / "a", "..\\..\\escape.txt"),  # backslashes are legal in a POSIX file name
        upload(incoming / "b", "odd name!@#.md", OTHER),
        upload(incoming / "c", "..report.txt", ARTICLE.replace("ferry", "tram")),
    ]
    # a path that walks up with ../ still names a file; only its name is used
    dotted = upload(incoming / "d", "plain.txt", ARTICLE.replace("ferry", "bus"))
    walked = incoming / "d" / ".." / "d" / "plain.txt"
    before_outside = tree(tmp_path) - {p for p in tree(tmp_path) if p.startswith("seeds")}

    saved, problems = save_uploads([*weird, walked], seeds, max_bytes=10_000)

    assert problems == []
    assert [p.name for p in saved] == ["escape.txt", "odd_name.md", "report.txt", "plain.txt"]
    for path in saved:
        assert path.parent == seeds.resolve()
        assert not path.name.startswith(".")
    assert saved[3].read_text(encoding="utf-8") == dotted.read_text(encoding="utf-8")
    assert tree(seeds) == {"escape.txt", "odd_name.md", "report.txt", "plain.txt"}  # no temporary files left
    after_outside = tree(tmp_path) - {p for p in tree(tmp_path) if p.startswith("seeds")}
    assert after_outside == before_outside  # nothing written anywhere else
    articles, load_problems = load_articles(seeds)
    assert load_problems == [] and len(articles) == 4


def test_creates_the_folder_and_keeps_permissions_readable(tmp_path):
    seeds = tmp_path / "new" / "seeds"
    saved, problems = save_uploads([upload(tmp_path / "in", "one.txt")], seeds, max_bytes=10_000)
    assert problems == [] and saved == [seeds.resolve() / "one.txt"]
    assert os.stat(saved[0]).st_mode & 0o444 == 0o444


@pytest.mark.parametrize("name, suffix", [
    ("report.docx", ".docx"), ("setup.exe", ".exe"), ("README", "(none)"), ("notes.txt.exe", ".exe"),
    ("archive.tar.gz", ".gz"),
    # made safe these names would end in .txt, .html and .json1: the name as uploaded decides
    ("notes.txt~", ".txt~"), ("report.h t m l", ".h t m l"), ("story.json-1", ".json-1"),
])
def test_refuses_other_file_types(tmp_path, name, suffix):
    seeds = tmp_path / "seeds"
    saved, problems = save_uploads([upload(tmp_path / "in", name)], seeds, max_bytes=10_000)
    assert saved == []
    [problem] = problems
    assert problem.path == name
    assert problem.reason.startswith(f"unsupported file type {suffix}; use one of ")
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in problem.reason
    assert tree(seeds) == set()


def test_size_limit(tmp_path):
    seeds = tmp_path / "seeds"
    fits = upload(tmp_path / "in", "fits.txt", ARTICLE)
    big = upload(tmp_path / "in", "big.txt", ARTICLE + "More text. " * 100)
    limit = fits.stat().st_size
    saved, problems = save_uploads([fits, big], seeds, max_bytes=limit)
    assert [p.name for p in saved] == ["fits.txt"]
    [problem] = problems
    assert problem.path == "big.txt"
    assert f"{big.stat().st_size:,} bytes" in problem.reason and f"{limit:,}-byte limit" in problem.reason
    assert not (seeds / "big.txt").exists()


def test_a_copy_the_index_never_reads_does_not_block_an_upload(tmp_path):
    seeds = tmp_path / "seeds"
    (seeds / ".trash").mkdir(parents=True)
    (seeds / ".trash" / "old.txt").write_text(ARTICLE, encoding="utf-8")
    (seeds / "story.txt.orig").write_text(ARTICLE, encoding="utf-8")
    saved, problems = save_uploads([upload(tmp_path / "in", "story.txt")], seeds, max_bytes=10_000)
    assert problems == [] and [p.name for p in saved] == ["story.txt"]


def test_identical_file_is_not_duplicated_and_a_different_one_gets_a_number(tmp_path):
    seeds = tmp_path / "seeds"
    first, _ = save_uploads([upload(tmp_path / "1", "story.txt")], seeds, max_bytes=10_000)
    assert [p.name for p in first] == ["story.txt"]

    # the same bytes again, under the same name and under another name
    again, problems = save_uploads([upload(tmp_path / "2", "story.txt"), upload(tmp_path / "3", "copy.txt")],
                                   seeds, max_bytes=10_000)
    assert again == []
    assert [p.path for p in problems] == ["story.txt", "copy.txt"]
    assert all("already in the articles folder as story.txt" in p.reason for p in problems)

    # different content under a taken name: numbered, the original untouched
    second, problems = save_uploads([upload(tmp_path / "4", "story.txt", OTHER)], seeds, max_bytes=10_000)
    third, _ = save_uploads([upload(tmp_path / "5", "story.txt", OTHER.replace("library", "museum"))], seeds,
                            max_bytes=10_000)
    assert problems == []
    assert [p.name for p in second + third] == ["story-2.txt", "story-3.txt"]
    assert (seeds / "story.txt").read_text(encoding="utf-8") == ARTICLE
    assert (seeds / "story-2.txt").read_text(encoding="utf-8") == OTHER
    assert tree(seeds) == {"story.txt", "story-2.txt", "story-3.txt"}


def test_uploads_of_one_name_at_the_same_time_all_keep_their_file(tmp_path):
    seeds, count = tmp_path / "seeds", 8
    texts = [OTHER.replace("two years", f"{n + 2} years") for n in range(count)]
    files = [upload(tmp_path / f"in{n}", "story.txt", text) for n, text in enumerate(texts)]
    start = threading.Barrier(count)

    def save(path: Path) -> list[Path]:
        start.wait()
        return save_uploads([path], seeds, max_bytes=10_000)[0]

    with ThreadPoolExecutor(count) as pool:
        saved = [p for result in pool.map(save, files) for p in result]
    assert len({p.name for p in saved}) == count
    assert sorted(p.read_text(encoding="utf-8") for p in seeds.iterdir()) == sorted(texts)


def test_without_hard_links_a_taken_name_is_still_never_replaced(tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    save_uploads([upload(tmp_path / "1", "story.txt")], seeds, max_bytes=10_000)

    def no_links(*_: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # e.g. a FAT or SMB folder

    monkeypatch.setattr(os, "link", no_links)
    saved, problems = save_uploads([upload(tmp_path / "2", "story.txt", OTHER)], seeds, max_bytes=10_000)
    assert problems == [] and [p.name for p in saved] == ["story-2.txt"]
    assert (seeds / "story.txt").read_text(encoding="utf-8") == ARTICLE
    assert tree(seeds) == {"story.txt", "story-2.txt"}


def test_a_symlink_in_the_folder_is_not_written_through(tmp_path):
    seeds, outside = tmp_path / "seeds", tmp_path / "outside.txt"
    seeds.mkdir()
    outside.write_text("precious\n", encoding="utf-8")
    (seeds / "story.txt").symlink_to(outside)
    saved, problems = save_uploads([upload(tmp_path / "in", "story.txt")], seeds, max_bytes=10_000)
    assert problems == []
    assert [p.name for p in saved] == ["story-2.txt"]
    assert outside.read_text(encoding="utf-8") == "precious\n"


def test_unreadable_files_are_refused_with_the_loader_reason(tmp_path):
    seeds, incoming = tmp_path / "seeds", tmp_path / "in"
    files = [
        upload(incoming, "empty.txt", ""),
        upload(incoming, "scan.txt", b"\x00\x01binary\x00"),
        upload(incoming, "latin1.md", "Caf\xe9 opens\nText.\n".encode("latin-1")),
        upload(incoming, "broken.json", "{not json"),
    ]
    saved, problems = save_uploads(files, seeds, max_bytes=10_000)
    assert saved == []
    reasons = {p.path: p.reason for p in problems}
    assert reasons["empty.txt"] == "file is empty"
    assert "binary" in reasons["scan.txt"]
    assert "UTF-8" in reasons["latin1.md"]
    assert "invalid JSON" in reasons["broken.json"]
    assert str(problems[0]).startswith("skipped empty.txt: ")
    assert tree(seeds) == set()


def test_missing_upload_is_a_problem_not_a_crash(tmp_path):
    saved, problems = save_uploads([tmp_path / "gone.txt"], tmp_path / "seeds", max_bytes=10_000)
    assert saved == []
    assert problems[0].path == "gone.txt" and "cannot read" in problems[0].reason


def test_saved_uploads_are_indexed_by_the_next_build(tmp_path, embedder):
    from rag.config import Settings
    from rag.index.indexing import build_index

    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index", chunk_tokens=64,
                        chunk_overlap=12)
    saved, problems = save_uploads([upload(tmp_path / "in", "ferry.txt"), upload(tmp_path / "in", "x.pdf")],
                                   settings.seeds_dir, settings.max_file_bytes)
    assert len(saved) == 1 and len(problems) == 1
    report = build_index(settings, embedder=embedder, log=lambda _: None, progress=False)
    assert report.summary().startswith("added 1, changed 0, removed 0, unchanged 0")
    assert report.problems == []  # the refused file never reached the articles folder


def test_a_file_whose_name_holds_a_hash_is_one_article_and_can_be_deleted(tmp_path, fake_embedder):
    from rag.config import Settings
    from rag.index.live import LiveIndex
    from rag.index.stores import read_manifest

    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index", chunk_tokens=64,
                        chunk_overlap=12)
    settings.seeds_dir.mkdir()
    for name in ("notes#1.txt", "notes#2.txt"):
        (settings.seeds_dir / name).write_text(f"Ferry {name}\nThe harbour ferry runs again from Monday.\n")
    index = LiveIndex(settings, fake_embedder)
    index.build(log=lambda _: None, progress=False)
    assert sorted(read_manifest(settings.index_dir)["articles"]) == ["notes#1.txt", "notes#2.txt"]
    path, report = index.delete_article("notes#1.txt")
    assert path == settings.seeds_dir.resolve() / "notes#1.txt" and not path.exists()
    assert (settings.seeds_dir / "notes#2.txt").exists()  # not taken for a record of the same file
    assert sorted(read_manifest(settings.index_dir)["articles"]) == ["notes#2.txt"] and report.plan.removed
