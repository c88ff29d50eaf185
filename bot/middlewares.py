"""Per-update middlewares: one DB session per update, and the stored user."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser

from services.handoff import OPEN_HANDOFF
from services.unit import UnitFactory
from storage.cache import UserCache
from storage.repositories import Repositories

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
LAST_SEEN_STEP = timedelta(minutes=10)
logger = logging.getLogger(__name__)


class InFlightUpdates(BaseMiddleware):
    """Tracks the updates being handled, so a shutdown can let them finish.

    aiogram stops polling on a signal and then closes the bot's session; an answer still
    being sent would be lost. :meth:`drain` (registered on shutdown) waits for them first.
    """

    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            # Tracked until the task ends, not until this middleware returns: aiogram's own
            # outer middlewares (the FSM lock, released in Redis) still run after it, and the
            # shutdown must not close their connections under them.
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await handler(event, data)

    async def drain(self) -> None:
        pending = {t for t in self._tasks if t is not asyncio.current_task()}
        if not pending:
            return
        logger.info("waiting for %d update(s) still being handled", len(pending))
        _done, late = await asyncio.wait(pending, timeout=self.timeout)
        if late:
            logger.warning("%d update(s) did not finish within %.0f s", len(late), self.timeout)


class DatabaseMiddleware(BaseMiddleware):
    """One unit of work per update (services.unit), its session made when first used;
    handlers get ``repositories``, ``cases``, ``bookings`` and ``complaints``, all over it."""

    def __init__(self, units: UnitFactory) -> None:
        self.units = units

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        unit = self.units.lazy()
        data["repositories"] = unit.repositories
        data["cases"] = unit.cases
        data["bookings"] = unit.bookings
        data["complaints"] = unit.complaints
        try:
            return await handler(event, data)
        finally:
            await unit.close()


class UserMiddleware(BaseMiddleware):
    """Loads (or creates) the user the update comes from as ``user``, with their open
    hand-off to a clerk as ``open_handoff`` (or None).

    The row is written on first contact, when ``last_seen`` is more than ``LAST_SEEN_STEP``
    old, and when a user who had blocked the bot writes again; ordinary updates cost no write.
    With a :class:`~storage.cache.UserCache` (one process owning a SQLite database) a user
    with no open hand-off whose row was read before costs no query either.
    """

    def __init__(self, cache: UserCache | None = None) -> None:
        self.cache = cache

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        from_user: TelegramUser | None = data.get("event_from_user")
        if from_user is None or from_user.is_bot:
            return await handler(event, data)
        repositories: Repositories = data["repositories"]
        known = self.cache.get(from_user.id) if self.cache is not None else None
        if known is not None and known.blocked_at is None and repositories.now() - known.last_seen <= LAST_SEEN_STEP:
            data[OPEN_HANDOFF] = None
            data["user"] = known  # read-only; repositories.users attaches it when it is changed
            return await handler(event, data)
        generation = self.cache.generation if self.cache is not None else 0
        user, handoff = await repositories.users.with_open_handoff(from_user.id)
        data[OPEN_HANDOFF] = handoff
        if user is None or user.blocked_at is not None or repositories.now() - user.last_seen > LAST_SEEN_STEP:
            user = repositories.users.seen(from_user.id, user)
        # End the transaction: the connection goes back to the pool while the update is
        # handled (most updates need no more queries); the user stays loaded.
        await repositories.commit()
        if self.cache is not None and handoff is None:
            self.cache.keep(user, generation)
        data["user"] = user
        return await handler(event, data)
