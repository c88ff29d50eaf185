"""aiogram FSM storage in the database, so a restart resumes every conversation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.database import SessionFactory
from storage.models import FsmRecord, utcnow


class SQLAlchemyStorage(BaseStorage):
    """FSM storage backed by the ``fsm_records`` table (SQLite or PostgreSQL).

    The key includes the destiny, as aiogram-dialog requires.
    """

    def __init__(self, sessions: SessionFactory, key_builder: KeyBuilder | None = None) -> None:
        self._sessions = sessions
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True, with_bot_id=True)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        async with self._sessions.begin() as session:
            dialect = session.bind.dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            row = {"key": self._keys.build(key), "updated_at": utcnow(), **values}
            row.setdefault("data", {})
            statement = insert(FsmRecord).values(**row)
            statement = statement.on_conflict_do_update(
                index_elements=[FsmRecord.key],
                set_={name: statement.excluded[name] for name in ("updated_at", *values)},
            )
            await session.execute(statement)

    async def _get(self, key: StorageKey) -> FsmRecord | None:
        async with self._sessions() as session:
            return await session.scalar(select(FsmRecord).where(FsmRecord.key == self._keys.build(key)))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._get(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._get(key)
        return dict(record.data) if record else {}

    async def close(self) -> None:
        """Nothing to close: the engine is owned by the application."""
