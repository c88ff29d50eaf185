"""Engine and session factory for SQLite (default) and PostgreSQL.

Every session carries the application's clock (``session.info["clock"]``): repositories read
the time from it, and at flush it fills the stamps the models mark (``Timestamp`` left unset
on a new row, ``Updated`` on a changed one), so nothing stored takes the machine's time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapper, Session

from domain.clock import Clock
from domain.deadlines import ALMATY

SessionFactory = async_sessionmaker[AsyncSession]
CLOCK = "clock"
DEFAULT_DATA_DIR = "data"  # in the working directory


def sqlite_url(data_dir: Path) -> str:
    """The default database: a SQLite file in the data directory."""
    return f"sqlite+aiosqlite:///{Path(data_dir).resolve() / 'kenes.sqlite3'}"


def _local_date(stored: str | None) -> str | None:
    """SQLite's ``kenes_local_date``: the Almaty date of a stored UTC moment (as PostgreSQL's
    ``timezone('Asia/Almaty', x)::date``; see storage/indicators.py)."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.astimezone(ALMATY).date().isoformat()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_function("kenes_local_date", 1, _local_date, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """Create the engine; for a SQLite file its folder is created if missing.

    Statement parameters are never shown in logs or error messages (they hold personal data).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=10, max_overflow=10,
                                     hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True)


def create_session_factory(engine: AsyncEngine, clock: Clock) -> SessionFactory:
    """Sessions over ``engine`` that take the time from ``clock``."""
    return async_sessionmaker(engine, expire_on_commit=False, info={CLOCK: clock})


def clock_of(source: AsyncSession | Session | SessionFactory) -> Clock:
    """The clock a session, or the sessions of a factory, were made with."""
    info = source.kw.get("info", {}) if isinstance(source, async_sessionmaker) else source.info
    try:
        clock: Clock = info[CLOCK]
        return clock
    except KeyError:
        raise RuntimeError("a session without a clock: make it with create_session_factory") from None


@functools.cache
def _stamps(model: type[Any], kind: str) -> tuple[str, ...]:
    """The attributes of a model marked as stamps of ``kind`` ("created" or "updated")."""
    mapper: Mapper[Any] = inspect(model)
    return tuple(attr.key for attr in mapper.column_attrs if attr.columns[0].info.get("stamp") == kind)


@event.listens_for(Session, "before_flush")
def _stamp(session: Session, _context: Any, _instances: Any) -> None:
    if not session.new and not session.dirty:
        return
    now = clock_of(session)()
    for obj in session.new:
        for key in (*_stamps(obj.__class__, "created"), *_stamps(obj.__class__, "updated")):
            if getattr(obj, key) is None:
                setattr(obj, key, now)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            for key in _stamps(obj.__class__, "updated"):
                setattr(obj, key, now)


AFTER_COMMIT = "after_commit"


def call_after_commit(session: AsyncSession | Session, hook: Callable[[], None]) -> None:
    """Call ``hook`` once the session's current transaction has committed (not if it rolls back).

    The outbox worker is woken this way: woken before the commit, it would find nothing new
    and sleep a whole poll while the notice waits (issue 12, item 4).
    """
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    hooks: dict[Callable[[], None], None] = sync.info.setdefault(AFTER_COMMIT, {})
    hooks[hook] = None  # one call per hook and transaction, however many rows were added


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for hook in session.info.pop(AFTER_COMMIT, {}):
        hook()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(AFTER_COMMIT, None)
