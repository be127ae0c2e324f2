"""What every measurement writes: JSON files, Markdown tables and numbers as text, and the machine, command and
settings a run came from (shared by `rag eval`, `rag bench`, the checks and the scripts in studies/)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shlex
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from rag import durable
from rag.config import Settings


def write_json(path: Path, data: object) -> None:
    """Write JSON atomically into path's folder, made if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    durable.write_json(path, data)


def fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_info() -> dict[str, object]:
    """CPU cores, RAM, CPU model, OS and Python of this machine."""
    info: dict[str, object] = {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        info["cores_usable"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        info["ram_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def command_line(args: argparse.Namespace) -> str:
    """The command that started this run, with the RAG_* environment variables in effect."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(os.environ.items()) if k.startswith("RAG_"))
    launcher = Path(sys.argv[0]).name if sys.argv else ""
    if launcher in ("__main__.py", "rag") and len(sys.argv) > 1:
        command = "python -m rag " + shlex.join(sys.argv[1:])
    else:  # called from Python: rebuild it from the parsed options
        parts = ["python", "-m", "rag", args.command] if getattr(args, "command", None) else ["python", "-m", "rag"]
        for key, value in sorted(vars(args).items()):
            if key in ("command", "func") or value in (None, False):
                continue
            if key == "what":
                parts.insert(4, str(value))
                continue
            flag = "--" + key.replace("_", "-")
            parts += [flag] if value is True else [flag, str(value)]
        command = shlex.join(parts)
    return f"{env} {command}".strip()


def settings_dict(settings: Settings) -> dict[str, object]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(settings).items()}
