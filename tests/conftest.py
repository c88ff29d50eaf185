"""Fixtures: a fresh database per test (SQLite, or PostgreSQL when asked), the real dispatcher.

Backends come from the environment, so CI runs the same suite twice:

* default: a SQLite file in the test's temporary folder, FSM in that database;
* ``KENES_TEST_DATABASE_URL=postgresql+asyncpg://...`` and ``KENES_TEST_REDIS_URL=redis://...``:
  PostgreSQL (the schema is recreated for each test) and Redis for FSM (keys under a
  prefix unique to the test). If they are set but unreachable, tests fail rather than skip.
"""

from __future__ import annotations

import asyncio
import os
import select
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Services, build_bot, build_dispatcher, build_fsm, build_services
from config import Settings, load_settings
from domain.deadlines import ALMATY
from storage.database import SessionFactory, create_engine, create_session_factory
from storage.migrate import upgrade
from tests.telegram import ChatClient, RecordingSession

TEST_TOKEN = "123456789:AAH-test-token-for-kenes-bot-suite"
CLERK_ID = 900001
CLERK_CHAT_ID = -1001234567890
# Settings every test app shares: one clerk, and the clerks' group.
TEST_SETTINGS = {"bot_token": TEST_TOKEN, "clerk_ids": str(CLERK_ID), "clerk_chat_id": CLERK_CHAT_ID,
                 "_env_file": None}
DATABASE_URL = os.environ.get("KENES_TEST_DATABASE_URL")

if "faketime" in os.environ.get("LD_PRELOAD", ""):
    # libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 (CI's far-off-date leg) turns the
    # absolute monotonic deadline of Python's time.sleep (clock_nanosleep, TIMER_ABSTIME) into an
    # invalid one: every time.sleep raises EINVAL, e.g. inside subprocess.run(timeout=...).
    # select() takes a relative timeout and is left alone by libfaketime.
    def _sleep(seconds: float) -> None:
        select.select([], [], [], max(seconds, 0))

    time.sleep = _sleep
REDIS_URL = os.environ.get("KENES_TEST_REDIS_URL")


def backend_name() -> str:
    return "postgresql+redis" if DATABASE_URL else "sqlite"


def pytest_report_header() -> str:
    return f"kenes test backends: database={DATABASE_URL or 'sqlite (temporary file)'}, fsm={REDIS_URL or 'database'}"


@pytest.fixture(autouse=True)
def no_worker_threads(monkeypatch: pytest.MonkeyPatch) -> object:
    """Fails a test whose updates ran a filter or handler in a worker thread: aiogram does that
    for anything that is not a coroutine function, a bare ``F`` filter included (wrap it in
    ``presentation.filters.Is``; use ``dialogs.widgets.Input`` for a dialog's message input)."""
    ran: list[str] = []
    to_thread = asyncio.to_thread

    async def recording(func: object, /, *args: object, **kwargs: object) -> object:
        ran.append(repr(func))
        return await to_thread(func, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio, "to_thread", recording)
    yield
    assert not ran, f"ran in a worker thread: {ran[:3]}"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return DATABASE_URL or f"sqlite+aiosqlite:///{tmp_path / 'kenes.sqlite3'}"


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
async def empty_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database (no tables)."""
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def engine(empty_engine: AsyncEngine) -> AsyncEngine:
    """An engine on a database migrated to the newest revision."""
    await upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def sessions(engine: AsyncEngine, clock: FakeClock) -> SessionFactory:
    """Sessions taking the time from the test's clock, as the application's do from its own."""
    return create_session_factory(engine, clock)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(**TEST_SETTINGS, database_url=database_url, redis_url=REDIS_URL or "",  # type: ignore[arg-type]
                         file_store_dir=str(tmp_path / "files"))


@pytest.fixture(scope="session")
def services() -> Services:
    """Catalog, translations, templates and matcher: loaded once for the whole run."""
    return build_services(load_settings(**TEST_SETTINGS), FakeClock(START))  # type: ignore[arg-type]


# Every test's "now" (whatever the machine's date): Monday 23 November 2026, 10:00 in Almaty.
START = datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY)


class FakeClock:
    """A clock the test moves; ``sleep`` moves it too (for the outbox's pacing)."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(services: Services, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Monday 23 November 2026, 10:00 in Almaty; the app's services and sessions use it."""
    fake = FakeClock(START)
    monkeypatch.setattr(services, "clock", fake)
    return fake


@pytest.fixture
def redis_prefix() -> str:
    return f"kenes-test-{uuid.uuid4().hex}"


@dataclass
class App:
    """A running bot: the real dispatcher over a recording session, and its parts."""

    bot: Bot
    dp: Dispatcher
    session: RecordingSession
    sessions: SessionFactory
    storage: BaseStorage
    services: Services

    def client(self, **kwargs: object) -> ChatClient:
        return ChatClient(bot=self.bot, dp=self.dp, session=self.session, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def make_app(
    settings: Settings, sessions: SessionFactory, services: Services, redis_prefix: str
) -> AsyncIterator[object]:
    """A factory of apps on the same database and FSM storage (a second one is a restart)."""
    created: list[App] = []

    def factory() -> App:
        storage, isolation = build_fsm(settings, sessions, prefix=redis_prefix)
        session = RecordingSession()
        bot = build_bot(settings, session=session)
        dp = build_dispatcher(settings, sessions, services, storage, isolation)
        app = App(bot=bot, dp=dp, session=session, sessions=sessions, storage=storage, services=services)
        created.append(app)
        return app

    yield factory
    twice = [query for app in created for query in app.session.answered_twice]
    assert not twice, f"callback queries answered twice (one answer per press): {twice}"
    for app in created:
        await app.dp.fsm.events_isolation.close()
        if isinstance(app.storage, RedisStorage):
            keys = [key async for key in app.storage.redis.scan_iter(f"{redis_prefix}:*")]
            if keys:
                await app.storage.redis.delete(*keys)
        await app.storage.close()


@pytest.fixture
def app(make_app: object) -> App:
    return make_app()  # type: ignore[operator]


@pytest.fixture
def ru(app: App) -> ChatClient:
    """A user whose Telegram is in Russian."""
    return app.client(language_code="ru", user_id=555000111)


@pytest.fixture
def kk(app: App) -> ChatClient:
    """A user whose Telegram is in Kazakh."""
    return app.client(language_code="kk", user_id=555000222, first_name="Ерлан")
