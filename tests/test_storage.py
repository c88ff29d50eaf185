"""Storage: migrations up and down, the FSM storage, users, aware datetimes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine, create_session_factory
from storage.fsm import SQLAlchemyStorage
from storage.migrate import ALEMBIC_INI, downgrade, upgrade
from storage.models import User
from storage.repositories import Repositories
from tests.conftest import FakeClock


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(Config(str(ALEMBIC_INI)))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_migrations_stairway(empty_engine: AsyncEngine) -> None:
    """Every revision upgrades, downgrades and upgrades again."""
    previous = "base"
    for revision in revisions():
        await upgrade(empty_engine, revision)
        await downgrade(empty_engine, previous)
        await upgrade(empty_engine, revision)
        previous = revision
    assert {"users", "fsm_records", "alembic_version"} <= await tables(empty_engine)
    await downgrade(empty_engine, "base")
    assert await tables(empty_engine) <= {"alembic_version"}


async def test_processes_starting_together_migrate_once(empty_engine: AsyncEngine, database_url: str) -> None:
    """Each process migrates at start; on PostgreSQL several may start at the same moment."""
    if not database_url.startswith("postgresql"):
        pytest.skip("one process per SQLite file")
    others = [create_engine(database_url) for _ in range(3)]
    try:
        await asyncio.wait_for(asyncio.gather(upgrade(empty_engine), *(upgrade(other) for other in others)), 60)
    finally:
        for other in others:
            await other.dispose()
    async with empty_engine.connect() as connection:
        assert (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all() \
            == [revisions()[-1]]


async def test_fsm_storage_round_trip(engine: AsyncEngine, clock: FakeClock) -> None:
    storage = SQLAlchemyStorage(create_session_factory(engine, clock))
    key = StorageKey(bot_id=1, chat_id=2, user_id=3, destiny="aiogd_stack")
    assert await storage.get_state(key) is None and await storage.get_data(key) == {}
    await storage.set_state(key, State("step", group_name="Group"))
    await storage.set_data(key, {"answers": {"applicant_kind": "ie"}, "n": 1})
    assert await storage.get_state(key) == "Group:step"
    assert await storage.get_data(key) == {"answers": {"applicant_kind": "ie"}, "n": 1}
    await storage.update_data(key, {"n": 2})
    assert (await storage.get_data(key))["n"] == 2
    await storage.set_state(key, None)
    assert await storage.get_state(key) is None
    assert (await storage.get_data(key))["n"] == 2
    other = StorageKey(bot_id=1, chat_id=2, user_id=3, destiny="default")
    assert await storage.get_data(other) == {}
    # A new storage object (a restart) reads the same rows.
    again = SQLAlchemyStorage(create_session_factory(engine, clock))
    assert (await again.get_data(key))["answers"] == {"applicant_kind": "ie"}


async def test_fsm_storage_write_behind(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """With the in-memory copy, changes reach the table in one write after the delay or at close,
    and a failed write is tried again rather than lost."""
    sessions = create_session_factory(engine, clock)
    storage = SQLAlchemyStorage(sessions, write_behind=0.05)
    keys = [StorageKey(bot_id=1, chat_id=n, user_id=n, destiny="aiogd_stack") for n in range(3)]
    for n, key in enumerate(keys):
        await storage.set_state(key, "Group:step")
        await storage.set_data(key, {"n": n})
    assert await storage.get_data(keys[2]) == {"n": 2}
    outside = SQLAlchemyStorage(sessions)  # reads the table itself
    assert await outside.get_state(keys[0]) is None, "not written yet"
    await asyncio.sleep(0.2)
    assert [await outside.get_data(key) for key in keys] == [{"n": 0}, {"n": 1}, {"n": 2}]

    real = storage._write
    calls = 0

    async def failing(groups: list[tuple[list[dict[str, object]], tuple[str, ...]]]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("disk full")
        await real(groups)

    monkeypatch.setattr(storage, "_write", failing)
    await storage.set_data(keys[0], {"n": 10})
    await asyncio.sleep(0.2)  # the first write fails and is logged
    assert calls == 1 and await outside.get_data(keys[0]) == {"n": 0}
    await storage.close()  # a normal stop saves it
    assert calls == 2 and await outside.get_data(keys[0]) == {"n": 10}
    again = SQLAlchemyStorage(sessions, write_behind=0.05)  # a restart
    assert await again.get_state(keys[1]) == "Group:step" and await again.get_data(keys[1]) == {"n": 1}


async def test_fsm_storage_writes_without_reading_first(engine: AsyncEngine, clock: FakeClock) -> None:
    """Setting the data (or the state) of a key not in memory reads nothing: a new dialog's
    context costs no query. The half not set is kept as stored, and read when asked for."""
    sessions = create_session_factory(engine, clock)
    stored = StorageKey(bot_id=1, chat_id=7, user_id=7, destiny="default")
    direct = SQLAlchemyStorage(sessions)
    await direct.set_state(stored, "Form:name")
    await direct.set_data(stored, {"name": "Ерлан"})
    storage = SQLAlchemyStorage(sessions, write_behind=60)  # flushed by hand below
    reads: list[str] = []
    read = storage._read

    async def counting(key: str) -> tuple[object, str]:
        reads.append(key)
        return await read(key)

    storage._read = counting  # type: ignore[method-assign]
    new = StorageKey(bot_id=1, chat_id=7, user_id=7, destiny="aiogd:context:abc")
    await storage.set_data(new, {"widget": 1})
    await storage.set_data(stored, {"name": "Ерлан", "iin": "900101300126"})
    other = StorageKey(bot_id=1, chat_id=8, user_id=8, destiny="default")
    await direct.set_data(other, {"kept": True})
    await storage.set_state(other, "Form:phone")
    assert reads == []
    assert await storage.get_data(new) == {"widget": 1} and reads == [], "what was set is known"
    await storage.flush()
    assert await direct.get_state(stored) == "Form:name", "the state was left as stored"
    assert await direct.get_data(stored) == {"name": "Ерлан", "iin": "900101300126"}
    assert await direct.get_state(new) is None and await direct.get_data(new) == {"widget": 1}
    assert await direct.get_state(other) == "Form:phone" and await direct.get_data(other) == {"kept": True}
    assert await storage.get_state(stored) == "Form:name", "read when asked for"
    assert len(reads) == 1
    assert await storage.get_data(stored) == {"name": "Ерлан", "iin": "900101300126"} and len(reads) == 1
    await storage.close()


async def test_users_and_aware_times(engine: AsyncEngine, clock: FakeClock) -> None:
    sessions = create_session_factory(engine, clock)
    async with sessions() as session:
        repositories = Repositories(session)
        user = await repositories.users.touch(42)
        await repositories.users.set_language(user, "ru")
        user.last_seen = datetime(2026, 3, 21, 9, 0, tzinfo=timezone(timedelta(hours=5)))
        await repositories.commit()
    async with sessions() as session:
        stored = await session.get(User, 42)
        assert stored is not None and stored.language == "ru"
        assert stored.last_seen == datetime(2026, 3, 21, 4, 0, tzinfo=UTC)
        assert stored.first_seen.tzinfo is not None
        stored.last_seen = datetime(2026, 3, 21, 9, 0)  # naive: refused
        with pytest.raises(Exception, match="naive"):
            await session.commit()


async def test_shutdown_waits_for_updates_before_closing_storage(app: object) -> None:
    """aiogram closes the FSM storage on shutdown; updates still being handled come first."""
    from tests.conftest import App

    assert isinstance(app, App)
    first = app.dp.shutdown.handlers[0].callback
    assert getattr(first, "__name__", "") == "drain"


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    """What alembic would autogenerate after the newest revision: nothing."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    def diff(sync_connection: object) -> list:
        context = MigrationContext.configure(sync_connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_drafts_migration_both_ways(empty_engine: AsyncEngine) -> None:
    """0009 adds the drafts table on top of 0007 (kept rows of other tables untouched) and
    takes it away again."""
    await upgrade(empty_engine, "0007")
    assert "drafts" not in await tables(empty_engine)
    await upgrade(empty_engine, "0009")
    assert "drafts" in await tables(empty_engine)
    async with empty_engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO drafts (user_id, form, standard_id, data, saved_at, expires_at) "
            "VALUES (1, 'application', 'atyrau_missionary', '{\"pos\": 4}', '2026-11-23 05:00:00', "
            "'2026-11-30 05:00:00')"))
    await downgrade(empty_engine, "0007")
    assert "drafts" not in await tables(empty_engine)
    await upgrade(empty_engine, "0009")
    async with empty_engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM drafts"))).scalar() == 0
