"""Per-update middlewares: one DB session per update, and the stored user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User as TelegramUser

from storage.database import SessionFactory
from storage.models import utcnow
from storage.repositories import Repositories

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
LAST_SEEN_STEP = timedelta(minutes=10)


class DatabaseMiddleware(BaseMiddleware):
    """Opens one session per update; handlers get ``session`` and ``repositories``."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessions() as session:
            data["session"] = session
            data["repositories"] = Repositories(session)
            return await handler(event, data)


class UserMiddleware(BaseMiddleware):
    """Loads (or creates) the user the update comes from as ``user``.

    The row is written on first contact and when ``last_seen`` is more than
    ``LAST_SEEN_STEP`` old, so ordinary updates cost no write.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        from_user: TelegramUser | None = data.get("event_from_user")
        if from_user is None or from_user.is_bot:
            return await handler(event, data)
        repositories: Repositories = data["repositories"]
        user = await repositories.users.get(from_user.id)
        if user is None or utcnow() - user.last_seen > LAST_SEEN_STEP:
            user = await repositories.users.touch(from_user.id)
            await repositories.commit()
        data["user"] = user
        return await handler(event, data)
