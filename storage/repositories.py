"""Repositories: queries over one session. They never commit; the caller does."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User, utcnow


class UserRepository:
    """Users of the bot, keyed by their Telegram id."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def touch(self, user_id: int) -> User:
        """The user, created on first contact; ``last_seen`` is updated."""
        user = await self.get(user_id)
        now = utcnow()
        if user is None:
            user = User(id=user_id, language=None, first_seen=now, last_seen=now)
            self.session.add(user)
        else:
            user.last_seen = now
        return user

    async def set_language(self, user: User, language: str) -> None:
        user.language = language


class Repositories:
    """All repositories over one session, with the explicit commit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.users = UserRepository(session)

    async def commit(self) -> None:
        await self.session.commit()
