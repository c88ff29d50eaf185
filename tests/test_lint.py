"""The code passes ruff with the project's rules, keeps its layers, and type-checks (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "."],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_layers() -> None:
    """Nothing imports a layer above it (the contract is [tool.importlinter] in pyproject.toml)."""
    result = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                             "lint_imports_command()"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_types() -> None:
    """mypy is clean on the rules, the services, the storage and the registry API."""
    result = subprocess.run([sys.executable, "-m", "mypy", "domain", "services", "storage", "api"],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
