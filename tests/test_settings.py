"""Settings: defaults, and a start that stops with one line naming the bad variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import SettingsError, load_settings
from tests.conftest import TEST_TOKEN

ROOT = Path(__file__).resolve().parent.parent


def test_defaults() -> None:
    settings = load_settings(bot_token=TEST_TOKEN, _env_file=None)
    data = Path.cwd().resolve() / "data"
    assert settings.data_dir == data, "the data folder is in the working directory"
    assert settings.database_url == f"sqlite+aiosqlite:///{data / 'kenes.sqlite3'}"
    assert settings.file_store_dir == data / "files"
    assert settings.default_locale == "kk"
    assert settings.bot_api_url is None and settings.redis_url is None
    assert settings.log_level == "INFO"
    assert settings.webhook_url is None and settings.webhook_port == 8081


def test_token_is_secret() -> None:
    settings = load_settings(bot_token=TEST_TOKEN, _env_file=None)
    assert TEST_TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "BOT_TOKEN is not set"),
        ({"bot_token": "not-a-token"}, "BOT_TOKEN is not a bot token"),
        ({"bot_token": TEST_TOKEN, "database_url": "mysql://x"}, "DATABASE_URL must start with"),
        ({"bot_token": TEST_TOKEN, "default_locale": "en"}, "DEFAULT_LOCALE"),
        ({"bot_token": TEST_TOKEN, "log_level": "LOUD"}, "LOG_LEVEL must be one of"),
        ({"bot_token": TEST_TOKEN, "webhook_url": "https://bot.example.kz/tg"},
         "WEBHOOK_SECRET is not set (it is required with WEBHOOK_URL)"),
        ({"bot_token": TEST_TOKEN, "webhook_url": "bot.example.kz", "webhook_secret": "s" * 20},
         "WEBHOOK_URL must be the public address"),
        ({"bot_token": TEST_TOKEN, "webhook_url": "https://bot.example.kz/tg", "webhook_secret": "short"},
         "WEBHOOK_SECRET must be 16 to 256 characters"),
        ({"bot_token": TEST_TOKEN, "clerk_hours": "18:00-09:00"}, "CLERK_HOURS must open before it closes"),
    ],
)
def test_bad_values_are_named(overrides: dict, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, **overrides)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")
    monkeypatch.setenv("BOT_API_URL", "http://127.0.0.1:8081")
    settings = load_settings(_env_file=None)
    assert settings.default_locale == "ru" and settings.bot_api_url == "http://127.0.0.1:8081"


@pytest.mark.parametrize(("token", "expected"), [(None, "BOT_TOKEN is not set"), ("12345", "BOT_TOKEN is not")])
def test_run_bot_stops_with_one_line(tmp_path: Path, token: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    if token is not None:
        env["BOT_TOKEN"] = token
    result = subprocess.run([sys.executable, str(ROOT / "run_bot.py")], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]


def test_empty_variables_mean_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A .env copied from .env.example, with only the token filled in, works."""
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    env_file = tmp_path / ".env"
    env_file.write_text(example.replace("BOT_TOKEN=\n", f"BOT_TOKEN={TEST_TOKEN}\n"), encoding="utf-8")
    for name in ("BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "BOT_API_URL", "DEFAULT_LOCALE", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=env_file)
    assert settings.database_url.endswith("/data/kenes.sqlite3") and settings.redis_url is None
    assert settings.bot_token.get_secret_value() == TEST_TOKEN
