"""Each update once: Telegram may deliver an update to a webhook twice (a slow answer, a
retry), and with several processes the copies may land in different ones.

The first process to see an ``update_id`` records it (Redis ``SET NX`` with an expiry, or
the ``seen_updates`` table); any later copy is dropped before it reaches a handler.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.middlewares import Handler
from storage.database import SessionFactory, clock_of
from storage.models import SeenUpdate

logger = logging.getLogger(__name__)
KEEP = timedelta(days=1)  # Telegram gives up redelivering long before this


class SeenUpdates(Protocol):
    async def first_time(self, update_id: int) -> bool: ...


class RedisSeenUpdates:
    """Keys ``<prefix>:<bot id>:seen_update:<update id>``: update ids are counted per bot, and
    bots may share a Redis."""

    def __init__(self, redis: Redis, bot_id: int, prefix: str = "fsm") -> None:
        self.redis = redis
        self.bot_id = bot_id
        self.prefix = prefix

    async def first_time(self, update_id: int) -> bool:
        key = f"{self.prefix}:{self.bot_id}:seen_update:{update_id}"
        return bool(await self.redis.set(key, 1, nx=True, ex=int(KEEP.total_seconds())))


class DatabaseSeenUpdates:
    """The ``seen_updates`` table; rows older than a day are pruned every ``prune_every`` updates."""

    def __init__(self, sessions: SessionFactory, prune_every: int = 1000) -> None:
        self.sessions = sessions
        self.prune_every = prune_every
        self._count = 0

    async def first_time(self, update_id: int) -> bool:
        async with self.sessions.begin() as session:
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            now = clock_of(session)()
            result = await session.execute(
                insert(SeenUpdate).values(update_id=update_id, seen_at=now).on_conflict_do_nothing())
            self._count += 1
            if self._count % self.prune_every == 0:
                await session.execute(delete(SeenUpdate).where(SeenUpdate.seen_at < now - KEEP))
            return result.rowcount == 1  # type: ignore[attr-defined]


class DuplicateUpdates(BaseMiddleware):
    """Drops an update whose id was already taken in (by this process or another)."""

    def __init__(self, seen: SeenUpdates) -> None:
        self.seen = seen

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update) and not await self.seen.first_time(event.update_id):
            logger.info("update %s was delivered again; handled once", event.update_id)
            return None
        return await handler(event, data)
