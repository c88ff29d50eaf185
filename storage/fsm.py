"""aiogram FSM storage in the database, so a restart resumes every conversation.

With several processes (PostgreSQL) conversation state belongs in Redis; this storage
serves one process. For SQLite, the default single-process setup, it keeps the state in
memory and writes what changed to the database in one transaction every ``write_behind``
seconds and when it closes (a normal stop or restart loses nothing; a crash, at most that
last fraction of a second of dialog navigation; applications, bookings and complaints are
written at once by their own transactions).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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

from storage.database import SessionFactory, create_engine, create_session_factory
from storage.models import FsmRecord, utcnow

logger = logging.getLogger(__name__)
Record = tuple[str | None, str]  # state, data as JSON


class SQLAlchemyStorage(BaseStorage):
    """FSM storage backed by the ``fsm_records`` table (SQLite or PostgreSQL).

    The key includes the destiny, as aiogram-dialog requires. ``write_behind`` (seconds)
    turns on the in-memory copy for a single process; up to ``keep`` records stay in memory.
    """

    def __init__(self, sessions: SessionFactory, key_builder: KeyBuilder | None = None,
                 engine: AsyncEngine | None = None, write_behind: float | None = None, keep: int = 50_000) -> None:
        self._sessions = sessions
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True, with_bot_id=True)
        self._engine = engine
        self._write_behind = write_behind
        self._keep = keep
        self._memory: OrderedDict[str, Record] = OrderedDict()
        self._dirty: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None

    @classmethod
    def for_url(cls, url: str, key_builder: KeyBuilder | None = None,
                write_behind: float | None = None) -> SQLAlchemyStorage:
        """A storage with connections of its own: an update holds one connection of the main pool
        for its session, and the dialog state must never wait for another one from that pool."""
        engine = create_engine(url)
        return cls(create_session_factory(engine), key_builder, engine, write_behind)

    # --- the database ---------------------------------------------------------------------

    async def _write(self, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
        async with self._sessions.begin() as session:
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            statement = insert(FsmRecord).values(rows)
            statement = statement.on_conflict_do_update(
                index_elements=[FsmRecord.key],
                set_={name: statement.excluded[name] for name in ("updated_at", *columns)},
            )
            await session.execute(statement)

    async def _read(self, key: str) -> Record:
        async with self._sessions() as session:
            row = (await session.execute(
                select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == key))).first()
        return (row.state, json.dumps(row.data)) if row else (None, "{}")

    # --- the memory (write-behind) ---------------------------------------------------------

    async def _record(self, key: str) -> Record:
        record = self._memory.get(key)
        if record is None:
            record = await self._read(key)
            record = self._memory.setdefault(key, record)  # a write meanwhile wins
        self._memory.move_to_end(key)
        return record

    def _remember(self, key: str, record: Record) -> None:
        self._memory[key] = record
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
        try:
            await self.flush()
        except Exception:
            logger.exception("could not save conversation state; will retry")

    async def flush(self) -> None:
        """Write every record changed since the last flush, in one transaction."""
        keys, self._dirty = self._dirty, set()
        if not keys:
            return
        now = utcnow()
        rows = [{"key": key, "state": self._memory[key][0], "data": json.loads(self._memory[key][1]),
                 "updated_at": now} for key in keys if key in self._memory]
        try:
            await self._write(rows, ("state", "data"))
        except BaseException:
            self._dirty |= keys  # written by the next flush
            raise

    # --- BaseStorage ------------------------------------------------------------------------

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        name = self._keys.build(key)
        if self._write_behind is None:
            await self._write([{"key": name, "state": value, "data": {}, "updated_at": utcnow()}], ("state",))
            return
        self._remember(name, (value, (await self._record(name))[1]))

    async def _load(self, key: StorageKey) -> Record:
        name = self._keys.build(key)
        return await self._record(name) if self._write_behind is not None else await self._read(name)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self._keys.build(key)
        if self._write_behind is None:
            await self._write([{"key": name, "state": None, "data": dict(data), "updated_at": utcnow()}], ("data",))
            return
        self._remember(name, ((await self._record(name))[0], json.dumps(dict(data))))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict(json.loads((await self._load(key))[1]))

    def forget(self) -> None:
        """Drop the in-memory copy without saving it: the next read comes from the database
        (for when the table was changed from outside this process)."""
        self._memory.clear()
        self._dirty.clear()

    async def close(self) -> None:
        """Save what is still in memory, then close the storage's own connections."""
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._write_behind is not None:
            await self.flush()
        if self._engine is not None:
            await self._engine.dispose()
