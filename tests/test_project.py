"""The README's two set-up commands, and CI running the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, flags=re.S)


def test_readme_has_two_setup_commands() -> None:
    install_and_run, run_tests = setup_commands()
    assert "pip install -e ." in install_and_run and "BOT_TOKEN=" in install_and_run
    assert install_and_run.rstrip().endswith("python run_bot.py")
    assert "python -m pytest" in run_tests


def test_ci_runs_the_readme_test_command() -> None:
    _, run_tests = setup_commands()
    assert run_tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
