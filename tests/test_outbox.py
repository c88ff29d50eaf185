"""The outbox worker: delivery, retries, flood control, blocked users, restarts, pacing."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from sqlalchemy import select

from bot.notifier import OutboxWorker, Pacing
from storage.models import OutboxMessage, User
from storage.repositories import Repositories
from tests.conftest import App, FakeClock

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
    return OutboxWorker(app.bot, app.sessions, clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


def sent(app: App) -> list[SendMessage]:
    return [m for m in app.session.requests if isinstance(m, SendMessage)]


async def test_delivers_and_marks_sent(app: App, clock: FakeClock) -> None:
    (first, second) = await put(app, clock, 5001, 5002)
    assert await worker(app, clock).deliver_due() is None
    assert [(m.chat_id, m.text) for m in sent(app)] == [(5001, "message 0"), (5002, "message 1")]
    stored = await rows(app)
    assert {stored[first].status, stored[second].status} == {"sent"}
    assert stored[first].message_id is not None and stored[first].sent_at == clock.now
    await worker(app, clock).deliver_due()
    assert len(sent(app)) == 2, "nothing is sent twice"


async def test_server_and_network_errors_are_retried_with_backoff(app: App, clock: FakeClock) -> None:
    (row,) = await put(app, clock, 5001)
    app.session.add_result(TelegramServerError(method=SEND, message="Internal Server Error"))
    app.session.add_result(TelegramNetworkError(method=SEND, message="connection reset"))
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
    outbox = worker(app, clock)
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
