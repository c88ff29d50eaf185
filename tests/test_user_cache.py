"""The users kept in memory by the one process of a SQLite setup (storage.cache): a known user
costs no query, and nothing a user or a clerk changes is ever answered from an old copy."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

from aiogram.methods import CopyMessage
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import one_process
from config import Settings
from storage.cache import UserCache
from storage.database import create_session_factory
from storage.models import Handoff, User
from storage.repositories import Repositories
from tests.conftest import CLERK_CHAT_ID, App, FakeClock
from tests.telegram import ChatClient
from tests.test_handoff import QUESTION, desk, thread_of
from tests.test_start_and_language import KK_MENU, RU_MENU


@contextlib.contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL sent to the database meanwhile."""
    sent: list[str] = []

    def record(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def known_in_russian(client: ChatClient) -> None:
    """A user who chose Russian and wrote since (on SQLite: now kept in memory)."""
    await client.start_in("Русский")
    await client.send("/menu")


def copies_to_clerks(app: App) -> int:
    return sum(1 for m in app.session.requests if isinstance(m, CopyMessage) and m.chat_id == CLERK_CHAT_ID)


async def test_a_known_user_costs_no_query_on_sqlite(app: App, ru: ChatClient, engine: AsyncEngine,
                                                     settings: Settings) -> None:
    await known_in_russian(ru)
    with statements(engine) as sent:
        await ru.send("/menu")
    assert RU_MENU in ru.last.text
    reads = [s for s in sent if "FROM users" in s]
    if one_process(settings):
        assert sent == [], "SQLite, one process: the user is known, the menu needs no query"
    else:
        assert len(reads) == 1, "several processes: the user is read for every update"


async def test_a_new_language_is_used_at_once(ru: ChatClient) -> None:
    await known_in_russian(ru)
    await ru.send("/language")
    await ru.click("Қазақша")
    await ru.send("/menu")
    assert KK_MENU in ru.last.text
    await ru.send("/help")
    await ru.send("/menu")
    assert KK_MENU in ru.last.text


async def test_a_known_user_reaches_the_clerk_and_comes_back(app: App, ru: ChatClient) -> None:
    await known_in_russian(ru)
    await ru.click("👩‍💼")
    await ru.send(QUESTION)
    assert copies_to_clerks(app) == 1, "the open hand-off is seen at once"
    await ru.send("Ещё вопрос")
    assert copies_to_clerks(app) == 2

    await desk(app).send("/close", await thread_of(app, ru.user_id))
    await ru.send("/menu")
    assert RU_MENU in ru.last.text, "closed by the clerk: the bot answers again"
    assert copies_to_clerks(app) == 2
    await ru.send("/menu")
    assert RU_MENU in ru.last.text and copies_to_clerks(app) == 2


async def test_a_user_marked_blocked_is_unblocked_by_writing(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await known_in_russian(ru)
    async with app.sessions() as session:  # the notifier got a 403 meanwhile
        await Repositories(session).users.mark_blocked(ru.user_id, clock())
        await session.commit()
    await ru.send("/menu")
    assert RU_MENU in ru.last.text
    async with app.sessions() as session:
        user = await session.get(User, ru.user_id)
        assert user is not None and user.blocked_at is None


async def test_the_cache_forgets_what_changes(engine: AsyncEngine, clock: FakeClock) -> None:
    sessions = create_session_factory(engine, clock)
    cache = UserCache.of(sessions)
    assert UserCache.of(sessions) is cache, "one cache per session factory"

    async def read(user_id: int) -> None:
        generation = cache.generation
        async with sessions() as session:
            user = await session.get(User, user_id)
            assert user is not None
            await session.commit()
        cache.keep(user, generation)

    async with sessions() as session:
        repositories = Repositories(session)
        for user_id in (1, 2, 3):
            await repositories.users.touch(user_id)
        await repositories.commit()
    for user_id in (1, 2, 3):
        await read(user_id)
    assert len(cache) == 3

    async with sessions() as session:  # a language chosen on a row attached from the cache
        known = cache.get(1)
        assert known is not None and known.language is None
        await Repositories(session).users.set_language(known.attach(session), "kk")
        await session.commit()
    assert cache.get(1) is None and cache.get(2) is not None
    await read(1)
    assert (cached := cache.get(1)) is not None and cached.language == "kk"

    async with sessions() as session:  # a hand-off opened
        session.add(Handoff(user_id=2, opened_at=clock()))
        await session.commit()
    assert cache.get(2) is None and cache.get(3) is not None

    async with sessions() as session:  # written, then rolled back: forgotten all the same
        user = await session.get(User, 3)
        assert user is not None
        user.last_seen += timedelta(minutes=1)
        await session.flush()
        await session.rollback()
    assert cache.get(3) is None

    await read(3)
    async with sessions() as session:  # a bulk UPDATE: everyone is forgotten
        await Repositories(session).users.mark_blocked(3, clock())
        await session.commit()
    assert len(cache) == 0

    generation = cache.generation  # a row read while another was forgotten is not kept
    async with sessions() as session:
        user = await session.get(User, 1)
    cache.forget({2})
    assert user is not None
    cache.keep(user, generation)
    assert cache.get(1) is None

    small = UserCache(keep=2)
    for user_id in (1, 3, 1):
        async with sessions() as session:
            user = await session.get(User, user_id)
        assert user is not None
        small.keep(user, small.generation)
    async with sessions() as session:
        small.keep(await session.get(User, 2), small.generation)  # type: ignore[arg-type]
    assert small.get(3) is None and small.get(1) is not None and small.get(2) is not None


async def test_sessions_of_other_factories_are_not_watched(engine: AsyncEngine, clock: FakeClock) -> None:
    watched = create_session_factory(engine, clock)
    cache = UserCache.of(watched)
    other = create_session_factory(engine, clock)
    async with watched() as session:
        await Repositories(session).users.touch(5)
        await session.commit()
    async with watched() as session:
        user = await session.get(User, 5)
    assert user is not None
    cache.keep(user, cache.generation)
    async with other() as session:
        await Repositories(session).users.touch(6)
        await session.commit()
    assert cache.get(5) is not None and cache.generation == 1
