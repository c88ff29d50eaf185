"""Maintain the gettext catalogs: extract messages, update kk/ru catalogs, compile them.

    python scripts/i18n.py extract   # code and templates -> locales/messages.pot
    python scripts/i18n.py update    # merge the template into locales/{kk,ru}/.../messages.po
    python scripts/i18n.py compile   # .po -> .mo (the bot loads the .mo files)

After `update`, translate every new or fuzzy entry in both .po files, then `compile`.
The test suite fails while a message lacks a translation or a .mo file is stale.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
# Every package of the application (not the tests, the benchmarks or these scripts).
SOURCES = [p.name for p in sorted(ROOT.iterdir()) if (p / "__init__.py").is_file()
           and p.name not in ("tests", "bench", "scripts", "catalog", "locales")] + ["run_bot.py"]
KEYWORDS = ["N_", "I18nFormat"]


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def extract() -> None:
    keywords = [item for keyword in KEYWORDS for item in ("-k", keyword)]
    pybabel("extract", "-F", "babel.cfg", *keywords, "--no-wrap", "--sort-by-file", "--omit-header",
            "-o", str(LOCALES / "messages.pot"), *SOURCES)


def update() -> None:
    pybabel("update", "-i", str(LOCALES / "messages.pot"), "-d", str(LOCALES), "--no-wrap",
            "--ignore-obsolete")


def compile_() -> None:
    pybabel("compile", "-d", str(LOCALES), "--statistics")


if __name__ == "__main__":
    commands = {"extract": extract, "update": update, "compile": compile_}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]]()
