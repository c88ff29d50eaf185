"""The webhook server: the secret header, a fast answer, duplicates handled once, and a
shutdown that finishes the updates in hand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher
from aiogram.types import Message
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.app import build_bot
from bot.dedup import DatabaseSeenUpdates, DuplicateUpdates, RedisSeenUpdates, SeenUpdates
from bot.middlewares import InFlightUpdates
from bot.webhook import create_webhook_app
from config import Settings, load_settings
from storage.database import SessionFactory
from tests.conftest import REDIS_URL, TEST_SETTINGS
from tests.telegram import RecordingSession

SECRET = "test-webhook-secret-0123456789"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def update(update_id: int, text: str = "hello") -> dict[str, object]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": text, "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Test"}}}


@pytest.fixture
def settings_() -> Settings:
    return load_settings(**TEST_SETTINGS, webhook_url="https://bot.example.kz/tg/updates",  # type: ignore[arg-type]
                         webhook_secret=SECRET)


@pytest.fixture
async def seen(sessions: SessionFactory, redis_prefix: str) -> AsyncIterator[SeenUpdates]:
    if REDIS_URL:
        redis = Redis.from_url(REDIS_URL)
        yield RedisSeenUpdates(redis, 42, prefix=redis_prefix)
        keys = [key async for key in redis.scan_iter(f"{redis_prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    else:
        yield DatabaseSeenUpdates(sessions)


async def test_webhook_server(settings_: Settings, seen: SeenUpdates) -> None:
    handled: list[str] = []
    finished = asyncio.Event()
    dp = Dispatcher()
    in_flight = InFlightUpdates()  # as build_dispatcher sets it up: first, then the duplicates
    dp.update.outer_middleware(in_flight)
    dp.shutdown.register(in_flight.drain)
    dp.update.outer_middleware(DuplicateUpdates(seen))

    @dp.message()
    async def slow(message: Message) -> None:
        await asyncio.sleep(0.3 if message.text == "slow" else 0)
        handled.append(message.text or "")
        if message.text == "slow":
            finished.set()

    bot = build_bot(settings_, session=RecordingSession())
    client = TestClient(TestServer(create_webhook_app(dp, bot, settings_)))
    await client.start_server()
    try:
        assert (await client.post("/tg/updates", json=update(1))).status == 401
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "nope"}
        assert (await client.post("/tg/updates", json=update(1), headers=wrong)).status == 401
        assert (await client.get("/health")).status == 200

        for _ in range(3):  # the same update delivered three times
            assert (await client.post("/tg/updates", json=update(7, "once"), headers=HEADERS)).status == 200
        await asyncio.sleep(0.1)
        assert handled == ["once"]

        response = await client.post("/tg/updates", json=update(8, "slow"), headers=HEADERS)
        assert response.status == 200 and not finished.is_set(), "Telegram is answered before the handler ends"
    finally:
        await client.close()  # the server stops taking requests, then (as serve_webhook does)
        await dp.emit_shutdown()  # the dispatcher's shutdown finishes the update in hand first
    assert finished.is_set() and handled == ["once", "slow"]


async def test_seen_updates_are_shared_between_processes(sessions: SessionFactory, redis_prefix: str) -> None:
    """Two stores over the same backend (two processes) agree on which update came first."""
    if REDIS_URL:
        redis = Redis.from_url(REDIS_URL)
        first, second = RedisSeenUpdates(redis, 42, redis_prefix), RedisSeenUpdates(redis, 42, redis_prefix)
    else:
        first, second = DatabaseSeenUpdates(sessions), DatabaseSeenUpdates(sessions)
    results = await asyncio.gather(*(store.first_time(123) for store in (first, second) for _ in range(5)))
    assert sorted(results) == [False] * 9 + [True]
    assert await first.first_time(124) and not await second.first_time(124)
    if REDIS_URL:  # another bot's update 123 is its own
        assert await RedisSeenUpdates(redis, 43, redis_prefix).first_time(123)
        await redis.delete(*[key async for key in redis.scan_iter(f"{redis_prefix}:*")])
        await redis.aclose()
