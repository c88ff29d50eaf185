"""aiogram FSM storage in the database, so a restart resumes every conversation.

With several processes (PostgreSQL) conversation state belongs in Redis; this storage
serves one process. For SQLite, the default single-process setup, it keeps the state in
memory and writes what changed to the database in one transaction every ``write_behind``
seconds and when it closes (kept as Python objects in between, like aiogram's MemoryStorage;
a normal stop or restart loses nothing; a crash, at most that
last fraction of a second of dialog navigation; applications, bookings and complaints are
written at once by their own transactions). Setting a key that is not in memory reads
nothing (each new dialog has a key of its own): the half not set is read only if asked for;
and the keys the table holds are read once, so a key that is not among them costs no query.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import Clock
from storage.database import SessionFactory, clock_of, create_engine, create_session_factory
from storage.models import FsmRecord

logger = logging.getLogger(__name__)


class Unknown(enum.Enum):
    """Half of a record set without reading the other half from the database."""

    UNKNOWN = enum.auto()


UNKNOWN = Unknown.UNKNOWN
Record = tuple[str | Unknown | None, dict[str, Any] | Unknown]  # state, data


class SQLAlchemyStorage(BaseStorage):
    """FSM storage backed by the ``fsm_records`` table (SQLite or PostgreSQL).

    The key includes the destiny, as aiogram-dialog requires. ``write_behind`` (seconds)
    turns on the in-memory copy for a single process; up to ``keep`` records stay in memory.
    """

    def __init__(self, sessions: SessionFactory, key_builder: KeyBuilder | None = None,
                 engine: AsyncEngine | None = None, write_behind: float | None = None, keep: int = 50_000) -> None:
        self._sessions = sessions
        self._clock = clock_of(sessions)
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
        self._engine = engine
        self._write_behind = write_behind
        self._keep = keep
        self._memory: OrderedDict[str, Record] = OrderedDict()
        self._dirty: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None
        # The keys the table holds, read once: a key that is neither in memory nor among them
        # needs no query (a new dialog's context, a new user's stack). ``None``: not read yet.
        self._stored: set[str] | None = None
        self._writing = False

    @classmethod
    def for_url(cls, url: str, clock: Clock, key_builder: KeyBuilder | None = None,
                write_behind: float | None = None) -> SQLAlchemyStorage:
        """A storage with connections of its own: an update holds one connection of the main pool
        for its session, and the dialog state must never wait for another one from that pool."""
        engine = create_engine(url)
        return cls(create_session_factory(engine, clock), key_builder, engine, write_behind)

    # --- the database ---------------------------------------------------------------------

    async def _write(self, groups: list[tuple[list[dict[str, Any]], tuple[str, ...]]]) -> None:
        """Upsert rows in one transaction; each group's rows update only its ``columns``."""
        async with self._sessions.begin() as session:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            for rows, columns in groups:
                # One statement (compiled once, then cached) executed for all rows.
                statement = insert(FsmRecord)
                statement = statement.on_conflict_do_update(
                    index_elements=[FsmRecord.key],
                    set_={name: statement.excluded[name] for name in ("updated_at", *columns)},
                )
                await session.execute(statement, rows)

    async def _stored_keys(self) -> set[str]:
        async with self._sessions() as session:
            return set(await session.scalars(select(FsmRecord.key)))

    async def _read(self, key: str) -> Record:
        async with self._sessions() as session:
            row = (await session.execute(
                select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == key))).first()
        return (row.state, dict(row.data)) if row else (None, {})

    # --- the memory (write-behind) ---------------------------------------------------------

    async def _record(self, key: str, half: int) -> Record:
        """The record with its ``half`` (0 the state, 1 the data) known: from memory, or read
        once, what was set meanwhile kept over what was read."""
        record = self._memory.get(key)
        if record is None or record[half] is UNKNOWN:
            if self._stored is None:
                self._stored = await self._stored_keys()
            stored = await self._read(key) if key in self._stored else (None, {})
            state, data = self._memory.get(key, (UNKNOWN, UNKNOWN))  # a write during the read wins
            record = (stored[0] if state is UNKNOWN else state, stored[1] if data is UNKNOWN else data)
            self._memory[key] = record
        self._memory.move_to_end(key)
        return record

    def _remember(self, key: str, state: str | Unknown | None = UNKNOWN,
                  data: dict[str, Any] | Unknown = UNKNOWN) -> None:
        """Sets the state or the data of a record. A key not in memory is not read first: the
        other half stays unknown, is left as stored when written, and read when asked for."""
        old = self._memory.get(key, (UNKNOWN, UNKNOWN))
        self._memory[key] = (old[0] if state is UNKNOWN else state, old[1] if data is UNKNOWN else data)
        self._memory.move_to_end(key)
        self._dirty.add(key)
        while len(self._memory) > self._keep:  # forget the oldest clean records
            oldest = next((k for k in self._memory if k not in self._dirty), None)
            if oldest is None:
                break
            del self._memory[oldest]
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._write_behind or 0)
        self._writing = True  # from here on, close() waits rather than cancels
        try:
            await self.flush()
        except Exception:
            logger.exception("could not save conversation state; will retry")
        finally:
            self._writing = False

    async def flush(self) -> None:
        """Write every record changed since the last flush, in one transaction."""
        keys, self._dirty = self._dirty, set()
        if not keys:
            return
        now = self._clock()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key in keys:
            if key not in self._memory:
                continue
            state, data = self._memory[key]
            columns = tuple(name for name, value in (("state", state), ("data", data)) if value is not UNKNOWN)
            groups.setdefault(columns, []).append({
                "key": key, "state": None if state is UNKNOWN else state,
                "data": {} if data is UNKNOWN else data, "updated_at": now})
        try:
            await self._write([(rows, columns) for columns, rows in groups.items()])
        except BaseException:
            self._dirty |= keys  # written by the next flush
            raise
        if self._stored is not None:
            self._stored |= keys

    # --- BaseStorage ------------------------------------------------------------------------

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        name = self._keys.build(key)
        if self._write_behind is None:
            row: dict[str, Any] = {"key": name, "state": value, "data": {}, "updated_at": self._clock()}
            await self._write([([row], ("state",))])
            return
        self._remember(name, state=value)

    async def _load(self, key: StorageKey, half: int) -> Any:
        name = self._keys.build(key)
        return (await self._record(name, half) if self._write_behind is not None else await self._read(name))[half]

    async def get_state(self, key: StorageKey) -> str | None:
        state: str | None = await self._load(key, 0)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self._keys.build(key)
        if self._write_behind is None:
            row = {"key": name, "state": None, "data": dict(data), "updated_at": self._clock()}
            await self._write([([row], ("data",))])
            return
        self._remember(name, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        # Copied one level deep, as aiogram's MemoryStorage does (aiogram-dialog builds new
        # dicts for each save); kept as objects, serialised only when written to the table.
        return dict(await self._load(key, 1))

    async def settle(self) -> None:
        """Wait for a write already under way, then write what is left (nothing is in flight
        after it; for tests and tools that change the table from outside)."""
        if self._flusher is not None and not self._flusher.done():
            await asyncio.wait({self._flusher})
        await self.flush()

    def forget(self) -> None:
        """Drop the in-memory copy without saving it: the next read comes from the database
        (for when the table was changed from outside this process)."""
        self._memory.clear()
        self._dirty.clear()
        self._stored = None

    async def close(self) -> None:
        """Save what is still in memory, then close the storage's own connections."""
        if self._flusher is not None and not self._flusher.done():
            if self._writing:  # cancelled mid-write, a transaction would be left holding the lock
                await self._flusher
            else:
                self._flusher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._flusher
        if self._write_behind is not None:
            await self.flush()
        if self._engine is not None:
            await self._engine.dispose()
