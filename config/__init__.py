"""Typed settings, read once at start from the environment and an optional ``.env`` file."""

from __future__ import annotations

import logging
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from aiogram.utils.token import TokenValidationError, validate_token
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.database import DEFAULT_DATA_DIR, sqlite_url

Locale = Literal["kk", "ru"]
SUPPORTED_LOCALES: tuple[Locale, ...] = ("kk", "ru")


class Settings(BaseSettings):
    """Everything the bot reads from its environment.

    Field names are the environment variable names (case-insensitive).
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore"
    )

    bot_token: SecretStr = Field(description="Telegram bot token from @BotFather")
    # Where the default SQLite file and the scans live, unless DATABASE_URL / FILE_STORE_DIR say.
    data_dir: Path = Field(default=Path(DEFAULT_DATA_DIR))
    database_url: str = Field(default="")
    redis_url: str | None = Field(default=None)
    bot_api_url: str | None = Field(default=None)
    default_locale: Locale = Field(default="kk")
    log_level: str = Field(default="INFO")
    registry_token: SecretStr | None = Field(default=None)
    registry_host: str = Field(default="127.0.0.1")
    registry_port: int = Field(default=8080, ge=1, le=65535)
    # The api_key city tools give to file complaints through Open311 (/open311/v2/, on the
    # registry API's port); unset: Open311 only reads.
    open311_api_key: SecretStr | None = Field(default=None)
    clerk_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset())
    clerk_chat_id: int | None = Field(default=None)
    file_store_dir: Path = Field(default=Path())
    digest_time: time = Field(default=time(9, 0))
    max_upload_mb: int = Field(default=10, ge=1, le=20)
    webhook_url: str | None = Field(default=None)
    webhook_secret: SecretStr | None = Field(default=None)
    webhook_host: str = Field(default="127.0.0.1")
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    outbox_per_second: int = Field(default=28, ge=1, le=30)
    complaint_review_days: int = Field(default=5, ge=1, le=60)
    clerk_hours: Annotated[tuple[time, time], NoDecode] = Field(default=(time(9, 0), time(18, 0)))
    # The staff console (console/): off unless CONSOLE_ENABLED; see the README's Console section.
    console_enabled: bool = Field(default=False)
    console_secret: SecretStr | None = Field(default=None)
    console_host: str = Field(default="127.0.0.1")
    console_port: int = Field(default=8082, ge=1, le=65535)
    console_url: str | None = Field(default=None)
    console_link_minutes: int = Field(default=5, ge=1, le=30)
    console_session_minutes: int = Field(default=480, ge=5, le=24 * 60)
    console_trust_proxy: bool = Field(default=False)
    supervisor_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset())
    clerk_offices: Annotated[dict[int, frozenset[str]], NoDecode] = Field(default_factory=dict)

    @field_validator("clerk_ids", "supervisor_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.lstrip("-").isdigit() for p in parts):
                raise ValueError("must be Telegram user ids separated by commas")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("clerk_offices", mode="before")
    @classmethod
    def _offices_of_clerks(cls, value: object) -> object:
        """``900001=psc_aktau,psc_atyrau;900002=*``: each clerk's offices (``*``: all of them)."""
        if not isinstance(value, str):
            return value
        offices: dict[int, frozenset[str]] = {}
        for entry in filter(None, (e.strip() for e in value.split(";"))):
            clerk, sep, names = entry.partition("=")
            ids = frozenset(n.strip() for n in names.split(",") if n.strip())
            if not sep or not clerk.strip().lstrip("-").isdigit() or not ids:
                raise ValueError("must be like 900001=psc_aktau,psc_atyrau;900002=*")
            offices[int(clerk)] = ids
        return offices

    @field_validator("console_url")
    @classmethod
    def _console_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be the console's address people open, like https://console.example.kz")
        return value.rstrip("/")

    @field_validator("console_secret")
    @classmethod
    def _console_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (it signs the sign-in links and sessions)")
        return value

    @model_validator(mode="after")
    def _console_needs_a_secret(self) -> Settings:
        if self.console_enabled and self.console_secret is None:
            raise ValueError("CONSOLE_SECRET is not set (it is required with CONSOLE_ENABLED)")
        return self

    @property
    def console_base_url(self) -> str:
        """Where sign-in links point: ``CONSOLE_URL``, else the address the console listens on."""
        return self.console_url or f"http://{self.console_host}:{self.console_port}"

    @field_validator("clerk_hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                opens, closes = (time.fromisoformat(part.strip()) for part in value.split("-"))
            except ValueError:
                raise ValueError("must be two times like 09:00-18:00") from None
            if opens >= closes:
                raise ValueError("must open before it closes, like 09:00-18:00")
            return (opens, closes)
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be the public address Telegram posts to, like https://bot.example.kz/tg")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("must be 16 to 256 characters: letters, digits, _ and -")
        return value

    @model_validator(mode="after")
    def _places_in_the_data_dir(self) -> Settings:
        """Relative places are taken in the working directory; unset ones in ``DATA_DIR``."""
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = sqlite_url(self.data_dir)
        if "file_store_dir" not in self.model_fields_set:
            self.file_store_dir = self.data_dir / "files"
        self.file_store_dir = self.file_store_dir.expanduser().resolve()
        return self

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is not set (it is required with WEBHOOK_URL)")
        return self

    @property
    def webhook_path(self) -> str:
        """The path the webhook server answers on: the path of ``WEBHOOK_URL``."""
        return urlsplit(self.webhook_url or "").path or "/"

    @field_validator("registry_token", "open311_api_key")
    @classmethod
    def _empty_token_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value and value.get_secret_value() else None

    @field_validator("bot_token")
    @classmethod
    def _token_is_well_formed(cls, value: SecretStr) -> SecretStr:
        try:
            validate_token(value.get_secret_value())
        except TokenValidationError:
            raise ValueError("is not a bot token (expected <digits>:<secret>)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("redis_url", "bot_api_url")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if not isinstance(logging.getLevelName(level), int):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


class SettingsError(Exception):
    """Settings could not be loaded; the message is one line naming the variable."""


def load_settings(**overrides: object) -> Settings:
    """Load settings, turning a validation error into a one-line :class:`SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            reason = "is not set" if error["type"] == "missing" else error["msg"].removeprefix(
                "Value error, "
            )
            # A check across several variables names them in its own message.
            problems.append(f"{str(error['loc'][0]).upper()} {reason}" if error["loc"] else reason)
        raise SettingsError("; ".join(problems)) from None
