"""The HTTP API sits beside the bot: it may use the services, the domain and the storage,
never the bot's own packages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("bot", "handlers", "dialogs")


def test_api_imports_nothing_of_the_bot() -> None:
    found = []
    for path in (ROOT / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in FORBIDDEN]
    assert found == []
