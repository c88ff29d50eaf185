"""The outbox worker: delivery, retries, flood control, blocked users, restarts, pacing."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiohttp import web
from sqlalchemy import select

from domain.lifecycle import Action
from jobs.outbox import OutboxWorker, Pacing
from storage.models import OutboxMessage, User
from storage.repositories import Repositories
from tests.conftest import App, FakeClock
from tests.fake_bot_api import FakeBotAPI
from tests.test_case_service import add_user, service, submit

SEND = SendMessage(chat_id=1, text="x")


async def put(app: App, clock: FakeClock, *chats: int, user: bool = True) -> list[int]:
    """Outbox messages to these chats (one each, in order); their ids."""
    async with app.sessions() as session:
        repositories = Repositories(session)
        rows = []
        for n, chat in enumerate(chats):
            if user and await session.get(User, chat) is None:
                session.add(User(id=chat, first_seen=clock.now, last_seen=clock.now))
            row = OutboxMessage(chat_id=chat, user_id=chat if user else None, kind="test", text=f"message {n}",
                                status="pending", attempts=0, available_at=clock.now, created_at=clock.now)
            repositories.outbox.add(row)
            rows.append(row)
        await repositories.commit()
        return [r.id for r in rows]


async def rows(app: App) -> dict[int, OutboxMessage]:
    async with app.sessions() as session:
        return {r.id: r for r in await session.scalars(select(OutboxMessage))}


def worker(app: App, clock: FakeClock, **kwargs: object) -> OutboxWorker:
    app.session.clock = clock
    kwargs.setdefault("sleep", clock.sleep)
    return OutboxWorker(app.bot, app.sessions, clock=clock, **kwargs)  # type: ignore[arg-type]


def unreachable() -> TelegramNetworkError:
    """A network error before the request left: no connection could be made."""
    error = TelegramNetworkError(method=SEND, message="ClientConnectorError: Cannot connect to host")
    error.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return error


def sent(app: App) -> list[SendMessage]:
    return [m for m in app.session.requests if isinstance(m, SendMessage)]


async def test_delivers_and_marks_sent(app: App, clock: FakeClock) -> None:
    (first, second) = await put(app, clock, 5001, 5002)
    assert await worker(app, clock).deliver_due() is None
    # Two chats: two sends at once, in either order (the order that counts is each chat's).
    assert sorted((m.chat_id, m.text) for m in sent(app)) == [(5001, "message 0"), (5002, "message 1")]
    stored = await rows(app)
    assert {stored[first].status, stored[second].status} == {"sent"}
    assert stored[first].message_id is not None and stored[first].sent_at == clock.now
    await worker(app, clock).deliver_due()
    assert len(sent(app)) == 2, "nothing is sent twice"


async def test_server_and_network_errors_are_retried_with_backoff(app: App, clock: FakeClock) -> None:
    (row,) = await put(app, clock, 5001)
    app.session.add_result(TelegramServerError(method=SEND, message="Internal Server Error"))
    app.session.add_result(unreachable())
    outbox = worker(app, clock)
    await outbox.deliver_due()
    stored = (await rows(app))[row]
    assert (stored.status, stored.attempts, stored.available_at) == ("pending", 1, clock.now + timedelta(seconds=1))
    await outbox.deliver_due()
    assert len(sent(app)) == 1, "not yet: the backoff has not passed"
    clock.advance(seconds=1.5)
    await outbox.deliver_due()
    stored = (await rows(app))[row]
    assert (stored.attempts, stored.available_at - clock.now) == (2, timedelta(seconds=2))
    clock.advance(seconds=2)
    await outbox.deliver_due()
    assert (await rows(app))[row].status == "sent"
    assert len(sent(app)) == 3


async def test_flood_control_waits_out_retry_after(app: App, clock: FakeClock) -> None:
    (first, second) = await put(app, clock, 5001, 5002)
    app.session.add_result(TelegramRetryAfter(method=SEND, message="Too Many Requests", retry_after=7))
    outbox = worker(app, clock, concurrency=1)  # with more at once, those already on their way go on
    assert await outbox.deliver_due() == pytest.approx(7, abs=0.1)
    assert len(sent(app)) == 1, "everything waits, not only that message"
    clock.advance(seconds=6)
    assert await outbox.deliver_due() == pytest.approx(1, abs=0.1)
    clock.advance(seconds=1)
    await outbox.deliver_due()
    stored = await rows(app)
    assert stored[first].status == stored[second].status == "sent"
    assert stored[first].attempts == 0, "flood control is not a failed attempt"


async def test_a_user_who_blocked_the_bot_is_marked_and_not_retried(app: App, clock: FakeClock) -> None:
    (blocked, later) = await put(app, clock, 5001, 5001)
    app.session.add_result(TelegramForbiddenError(method=SEND, message="Forbidden: bot was blocked by the user"))
    outbox = worker(app, clock)
    await outbox.deliver_due()
    clock.advance(seconds=5)
    await outbox.deliver_due()
    stored = await rows(app)
    assert stored[blocked].status == stored[later].status == "blocked"
    assert len(sent(app)) == 1, "the second message is not even tried"
    async with app.sessions() as session:
        assert (await session.get(User, 5001)).blocked_at is not None


async def test_a_bad_request_is_not_retried(app: App, clock: FakeClock) -> None:
    (row,) = await put(app, clock, 5001)
    app.session.add_result(TelegramBadRequest(method=SEND, message="Bad Request: chat not found"))
    await worker(app, clock).deliver_due()
    stored = (await rows(app))[row]
    assert stored.status == "failed" and "chat not found" in (stored.last_error or "")


async def test_after_a_crash_the_claimed_messages_are_delivered(app: App, clock: FakeClock) -> None:
    (row,) = await put(app, clock, 5001)
    async with app.sessions() as session:  # a worker claimed it, then the process died
        claimed = await Repositories(session).outbox.claim_due(clock.now, 10, timedelta(seconds=60), "dead-worker")
        assert [m.id for m in claimed] == [row]
        await session.commit()
    restarted = worker(app, clock)
    await restarted.deliver_due()
    assert sent(app) == [], "the claim still holds"
    clock.advance(seconds=61)
    await restarted.deliver_due()
    assert len(sent(app)) == 1 and (await rows(app))[row].status == "sent"


async def test_several_workers_never_send_the_same_message(app: App, clock: FakeClock) -> None:
    """Workers of several processes claim disjoint batches (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
    await put(app, clock, *range(6001, 6081))
    workers = [worker(app, clock, batch=10) for _ in range(4)]
    for _ in range(10):
        await asyncio.gather(*(w.deliver_due() for w in workers))
        if all(r.status == "sent" for r in (await rows(app)).values()):
            break
    assert sorted(m.chat_id for m in sent(app)) == list(range(6001, 6081))
    assert {r.claimed_by for r in (await rows(app)).values()} == {None}


async def test_a_full_batch_is_followed_at_once(app: App, clock: FakeClock) -> None:
    await put(app, clock, *range(7101, 7116))
    outbox = worker(app, clock, batch=10)
    assert await outbox.deliver_due() == 0.0, "more may be due: no pause before the next batch"
    assert len(sent(app)) == 10
    assert await outbox.deliver_due() is None, "the last batch was not full: wait for the next poll"
    assert len(sent(app)) == 15


async def test_pacing_overall_and_per_chat(app: App, clock: FakeClock) -> None:
    await put(app, clock, *range(7001, 7061))  # 60 chats
    await put(app, clock, 8000, 8000, 8000)  # three messages to one chat
    outbox = worker(app, clock)
    for _ in range(20):
        wait = await outbox.deliver_due()
        if wait is None and all(r.status == "sent" for r in (await rows(app)).values()):
            break
        await clock.sleep(wait or 0.05)
    assert len(sent(app)) == 63
    times = [t for t, m in zip(app.session.times, app.session.requests, strict=True) if isinstance(m, SendMessage)]
    for i in range(len(times)):
        within_a_second = [t for t in times[i:] if t - times[i] < timedelta(seconds=1)]
        assert len(within_a_second) <= Pacing().per_second == 28
    one_chat = [t for t, m in zip(times, sent(app), strict=True) if m.chat_id == 8000]
    assert all(b - a >= timedelta(seconds=1) for a, b in itertools.pairwise(one_chat))
    assert [m.text for m in sent(app) if m.chat_id == 8000] == ["message 0", "message 1", "message 2"]


async def test_a_notice_goes_out_as_soon_as_the_clerks_change_commits(app: App, clock: FakeClock) -> None:
    """Woken after the commit (not before it, when there is nothing to see yet), the worker
    sends at once instead of at its next poll."""
    await add_user(app, 7001, "ru")
    number = await submit(app)
    outbox = worker(app, clock, sleep=asyncio.sleep)
    app.services.notices.wake = outbox.wake
    stop = asyncio.Event()
    running = asyncio.create_task(outbox.run(stop, poll=10.0))
    try:
        for _ in range(200):  # the worker's first pass sends the receipt notices, then it sleeps
            await asyncio.sleep(0.01)
            if sent(app) and all(r.status == "sent" for r in (await rows(app)).values()):
                break
        before = len(sent(app))
        clock.advance(seconds=5)  # past the one-a-second pacing of the applicant's chat
        async with service(app) as cases:
            await cases.transition(number, Action.ACCEPT, "clerk:1")
        committed = time.perf_counter()
        while len(sent(app)) == before and time.perf_counter() - committed < 3:
            await asyncio.sleep(0.002)
        latency = time.perf_counter() - committed
    finally:
        stop.set()
        await running
        app.services.notices.wake = lambda: None
    assert len(sent(app)) == before + 1, "not sent within 3 s: the worker slept its poll"
    assert "в работе" in sent(app)[-1].text or "принят" in sent(app)[-1].text.lower()
    # The old worker, woken before the commit, slept its whole poll (10 s here, ~1 s in
    # production). bench/notify.py measures the goal (under 0.2 s from the clerk's request);
    # the bound here leaves room for a busy test machine.
    assert latency < 0.5, f"{latency:.3f} s from the commit to the send"


async def test_after_a_crash_a_chat_still_gets_its_messages_in_order(app: App, clock: FakeClock) -> None:
    """A worker claimed "accepted" and died; "ready" for the same chat waits behind it."""
    (first, _second, _other) = await put(app, clock, 5001, 5001, 5002)
    async with app.sessions() as session:
        claimed = await Repositories(session).outbox.claim_due(clock.now, 1, timedelta(seconds=60), "dead-worker")
        assert [m.id for m in claimed] == [first]
        await session.commit()
    restarted = worker(app, clock)
    await restarted.deliver_due()
    assert [m.chat_id for m in sent(app)] == [5002], "the other chat goes; 5001 waits for its first message"
    clock.advance(seconds=61)
    for _ in range(5):
        await restarted.deliver_due()
        clock.advance(seconds=1)
    assert [m.text for m in sent(app) if m.chat_id == 5001] == ["message 0", "message 1"]
    assert {r.status for r in (await rows(app)).values()} == {"sent"}


async def test_a_retried_message_keeps_its_place_in_the_chat(app: App, clock: FakeClock) -> None:
    await put(app, clock, 5001, 5001)
    app.session.add_result(TelegramServerError(method=SEND, message="Internal Server Error"))
    app.session.add_result(TelegramServerError(method=SEND, message="Internal Server Error"))
    outbox = worker(app, clock)
    for _ in range(12):  # backoff 1 s, then 2 s: longer than the chat's one-second pacing
        await outbox.deliver_due()
        clock.advance(seconds=0.5)
    assert [m.text for m in sent(app)] == ["message 0", "message 0", "message 0", "message 1"]


async def test_a_send_without_an_answer_is_in_doubt_and_never_repeated(app: App, clock: FakeClock) -> None:
    """Telegram took the message but the answer never came (timeout, broken connection): it
    may have been delivered, so it is not sent again; the chat's next message is not held."""
    await put(app, clock, 5001, 5001)
    app.session.add_result(TelegramNetworkError(method=SEND, message="Request timeout error"))
    outbox = worker(app, clock)
    for _ in range(10):
        await outbox.deliver_due()
        clock.advance(seconds=30)
    assert [m.text for m in sent(app)] == ["message 0", "message 1"]
    statuses = [r.status for r in sorted((await rows(app)).values(), key=lambda r: r.id)]
    assert statuses == ["in_doubt", "sent"]


async def test_a_sender_that_died_mid_send_leaves_the_message_in_doubt(app: App, clock: FakeClock) -> None:
    (first, second) = await put(app, clock, 5001, 5001)
    async with app.sessions() as session:  # a worker started sending the first, then was killed
        repositories = Repositories(session).outbox
        await repositories.claim_due(clock.now, 10, timedelta(seconds=5), "dead-worker")
        assert await repositories.start_sending(first, "dead-worker", clock.now + timedelta(seconds=30))
        await session.commit()
    restarted = worker(app, clock)
    clock.advance(seconds=10)
    await restarted.deliver_due()
    assert sent(app) == [], "within the lease the first may still be going out: its chat waits"
    clock.advance(seconds=25)
    await restarted.deliver_due()
    assert [m.text for m in sent(app)] == ["message 1"], "the first is in doubt, not sent again"
    stored = await rows(app)
    assert (stored[first].status, stored[second].status) == ("in_doubt", "sent")


def test_the_lease_outlasts_the_send_timeout(app: App, clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        worker(app, clock, send_timeout=10, lease=timedelta(seconds=10))


@pytest.fixture
async def slow_telegram() -> AsyncIterator[tuple[FakeBotAPI, str]]:
    """A Bot API that accepts each message at once but answers 1.5 s later."""
    fake = FakeBotAPI(answer_delay=1.5)
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}"
    fake.close()
    await runner.cleanup()


async def test_telegram_accepting_slower_than_the_send_timeout_gets_one_message(
    app: App, clock: FakeClock, slow_telegram: tuple[FakeBotAPI, str]
) -> None:
    """The request is cut off after the send timeout (1 s here) while Telegram has the
    message: the worker must not try again, however long it runs."""
    fake, url = slow_telegram
    await put(app, clock, 5001)
    session = AiohttpSession(api=TelegramAPIServer.from_base(url))
    bot = Bot("123456:slow", session=session)
    outbox = OutboxWorker(bot, app.sessions, clock=clock, sleep=clock.sleep, send_timeout=1,
                          lease=timedelta(seconds=3))
    try:
        for _ in range(4):
            await outbox.deliver_due()
            clock.advance(seconds=5)
        await asyncio.sleep(1.6)  # anything sent again would have arrived by now
    finally:
        await session.close()
    assert [m for m, _ in fake.calls].count("sendMessage") == 1
    (stored,) = (await rows(app)).values()
    assert stored.status == "in_doubt" and "timeout" in (stored.last_error or "").lower()
