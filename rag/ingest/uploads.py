"""Uploaded article files: checked, renamed safely and copied atomically into the articles folder; deleted
articles' files removed from it."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

from rag.durable import file_sha256, fsync_dir
from rag.errors import ArticleError
from rag.ingest.documents import SUPPORTED_SUFFIXES, Article, Problem, load_file

MAX_NAME_CHARS = 100


def safe_name(name: str) -> str:
    """A plain file name for an uploaded file: no folders, no leading dots, only [A-Za-z0-9._-].

    The extension is kept (lower-cased); an empty stem becomes "upload".
    """
    base = re.split(r"[\\/]", name)[-1]  # drop folders, POSIX or Windows style
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = re.sub(r"[^A-Za-z0-9]", "", suffix).lower()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    stem = re.sub(r"\.{2,}", ".", stem).strip("._-") or "upload"
    stem = stem[:MAX_NAME_CHARS]
    return f"{stem}.{suffix}" if suffix else stem


def _identical_file(folder: Path, size: int, digest: str) -> Path | None:
    """An article file below folder with the same bytes, if any (sizes are compared before hashing). Files the
    index never reads (hidden ones, in hidden folders, of other types) do not count."""
    for path in folder.rglob("*"):
        if (
            any(part.startswith(".") for part in path.relative_to(folder).parts)
            or path.suffix.lower() not in SUPPORTED_SUFFIXES
        ):
            continue
        try:
            if path.is_file() and path.stat().st_size == size and file_sha256(path) == digest:
                return path
        except OSError:
            continue
    return None


def _place(tmp: Path, folder: Path, name: str) -> Path:
    """Move the finished file tmp to folder/name, or folder/stem-2.ext, stem-3.ext, ... when the name is taken.

    A name is claimed with a hard link, which fails when the name exists, so a file another upload saved
    meanwhile is never replaced. On a filesystem without hard links the first free name is taken with
    os.replace."""
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 1
    while True:
        target = folder / (name if number == 1 else f"{stem}-{number}{suffix}")
        number += 1
        try:
            os.link(tmp, target)
        except FileExistsError:
            continue
        except OSError:  # no hard links here
            if target.exists() or target.is_symlink():
                continue
            os.replace(tmp, target)
            return target
        tmp.unlink()
        return target


def _unreadable(path: Path, display: str, max_bytes: int) -> list[Problem]:
    """The loader's problems when the file yields no article at all; empty when it is readable."""
    results = list(load_file(path, display, max_bytes))
    if any(isinstance(item, Article) for item in results):
        return []
    return [item for item in results if isinstance(item, Problem)] or [Problem(display, "no article found")]


def save_uploads(paths: list[Path], seeds_dir: Path, max_bytes: int) -> tuple[list[Path], list[Problem]]:
    """Copy uploaded files into seeds_dir under safe names; return the files written and the files refused.

    A file is refused (a Problem naming it) when its type is not an article type, it is larger than
    max_bytes, it holds no readable article, or the same bytes are already in seeds_dir. A different
    file with a taken name gets a numbered suffix. Each file is written to a temporary file in seeds_dir
    and then given its name, so a reader never sees half a file and no file is ever replaced.
    """
    seeds_dir.mkdir(parents=True, exist_ok=True)
    root = seeds_dir.resolve()
    saved: list[Path] = []
    problems: list[Problem] = []
    for upload in paths:
        upload = Path(upload)
        display = upload.name or str(upload)
        name = safe_name(display)
        suffix = Path(display).suffix.lower()  # the name as given: "notes.txt~" is not a .txt file
        if suffix not in SUPPORTED_SUFFIXES:
            problems.append(
                Problem(
                    display, f"unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
                )
            )
            continue
        try:
            size = upload.stat().st_size
        except OSError as exc:
            problems.append(Problem(display, f"cannot read the uploaded file ({exc.strerror or exc})"))
            continue
        if not upload.is_file():
            problems.append(Problem(display, "not a file"))
            continue
        if size > max_bytes:
            problems.append(
                Problem(display, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (RAG_MAX_FILE_BYTES)")
            )
            continue
        refused = _unreadable(upload, display, max_bytes)
        if refused:
            problems.extend(refused)
            continue
        digest = file_sha256(upload)
        existing = _identical_file(root, size, digest)
        if existing is not None:
            problems.append(
                Problem(
                    display,
                    f"the same file is already in the articles folder as "
                    f"{existing.relative_to(root).as_posix()}; not copied again",
                )
            )
            continue
        if (root / name).parent != root:  # cannot happen with a safe name; never write outside seeds_dir
            problems.append(Problem(display, "unsafe file name"))
            continue
        handle, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(handle, "wb") as out, upload.open("rb") as source:
                for block in iter(lambda: source.read(1 << 20), b""):
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            target = _place(tmp, root, name)
            fsync_dir(root)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            problems.append(Problem(display, f"could not be saved ({exc.strerror or exc})"))
            continue
        saved.append(target)
    return saved, problems


def _file_of(article_id: str, root: Path) -> str:
    """The file (relative to root) that holds an indexed article: the id itself for a file of one article
    ("a#b.txt" included), else the part before a "#" that names a file (a record of "feed.jsonl#x")."""
    cuts = [article_id] + [article_id[:i] for i, char in enumerate(article_id) if char == "#"]
    return next((cut for cut in cuts if cut and (root / cut).is_file()), article_id.split("#", 1)[0])


def delete_article_file(seeds_dir: Path, article_id: str, indexed_ids: list[str]) -> Path:
    """Delete the file that holds the indexed article article_id from seeds_dir; return its path. Only whole
    files are deleted: an article that shares its file with others (a .jsonl feed) is refused, as is any path
    outside seeds_dir or in a hidden folder (ArticleError naming why)."""
    root = seeds_dir.resolve()
    relative = _file_of(article_id, root)
    others = sum(1 for other in indexed_ids if other != article_id and _file_of(other, root) == relative)
    if others:
        raise ArticleError(
            f"{article_id!r} is one of {others + 1} articles in {relative}; only whole files can "
            f"be deleted: edit {relative} in the articles folder instead"
        )
    path = root / relative
    if (
        root not in path.resolve().parents
        or path.is_symlink()
        or any(part.startswith(".") for part in Path(relative).parts)
    ):
        raise ArticleError(f"{article_id!r} is not a file of the articles folder {seeds_dir}")
    try:
        path.unlink()
    except FileNotFoundError:
        raise ArticleError(f"{relative} is no longer in the articles folder {seeds_dir}") from None
    except OSError as exc:
        raise ArticleError(f"cannot delete {relative} ({exc.strerror or exc})") from None
    fsync_dir(path.parent)
    return path
