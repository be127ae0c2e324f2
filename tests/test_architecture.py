"""The layout's rule: each pipeline stage imports only the stages below it (import-linter's layers contract)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(folder: Path) -> subprocess.CompletedProcess:
    """lint-imports over the rag and ui packages in folder, with the contract in its pyproject.toml."""
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()"], cwd=folder, capture_output=True, text=True,
                          env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"})


def test_the_stages_import_only_downward():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    for name in ("rag", "ui"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    chunking = tmp_path / "rag" / "ingest" / "chunking.py"
    chunking.write_text(chunking.read_text() + "\n\ndef _late():\n    from rag.answering.qa import QA  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "rag.ingest.chunking -> rag.answering.qa" in result.stdout
