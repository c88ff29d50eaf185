"""Delivering the outbox: fast, in each chat's order, and never twice.

The notices are written into the ``outbox`` table by :class:`presentation.notices.OutboxNotices`
in the transaction of the change they announce; every statement run here lives in
:class:`storage.repositories.OutboxRepository`. :class:`OutboxWorker` only delivers:

* **fast**: the transaction that adds a notice wakes the worker once it has committed
  (``OutboxRepository.add(..., wake=...)``), so a notice goes out within a few milliseconds of
  the clerk's action instead of at the next poll;
* **paced**: at most ``per_second`` messages a second overall and one a second per chat,
  ``concurrency`` (two) sends at once so that round trips do not eat into the rate; a 429
  pauses delivery for its ``retry_after``;
* **in order**: a chat's next message is not claimed while an earlier one is still pending,
  retrying, claimed or being sent, also across crashes and restarts;
* **once**: a message is marked ``sending`` (committed) before its request leaves, under a
  lease longer than the request's timeout. Only a failure that shows Telegram did not take the
  message (no connection, a 5xx or 429 answer) is retried. When the answer never comes (the
  request timed out, the connection broke after the request went, the sender died) the message
  may have been delivered, and Telegram has no idempotency key to make a second try harmless,
  so it becomes ``in_doubt`` and is not sent again (README, "Notifications").
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from aiohttp import ClientConnectorError

from domain.clock import Clock
from storage.database import SessionFactory
from storage.models import OutboxMessage
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
Outcome = Literal["sent", "later", "dropped", "paused", "in_doubt"]


@dataclass(frozen=True)
class Pacing:
    """Telegram's limits: about 30 messages a second overall, one a second per chat.

    ``per_second`` is this process's share (``OUTBOX_PER_SECOND``): with several processes
    their shares add up, so each gets the overall limit divided by their number.
    """

    per_second: int = 28
    per_chat_interval: float = 1.0


# A request to Telegram is cut off after SEND_TIMEOUT seconds. A message being sent is leased
# for SEND_LEASE, longer by a margin that covers recording the answer and the clocks of other
# processes running a little ahead: until then no other worker looks at it (nor at its chat's
# next message), so none can start while the first send may still succeed.
SEND_TIMEOUT = 10
SEND_LEASE = timedelta(seconds=SEND_TIMEOUT + 20)
# A pass's claim on messages it has not started to send: short, so that after a crash they are
# taken by the next process within seconds (starting to send re-checks the claim is still ours).
CLAIM_HOLD = timedelta(seconds=5)


def never_reached_telegram(error: TelegramNetworkError) -> bool:
    """Whether the request certainly did not reach Telegram: the connection was never made
    (refused, no route, DNS). A timeout or a connection broken later leaves it in doubt."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ClientConnectorError | ConnectionRefusedError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class OutboxWorker:
    """Delivers due outbox messages with pacing and retries (see the module docstring)."""

    def __init__(
        self,
        bot: Bot,
        sessions: SessionFactory,
        *,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        pacing: Pacing | None = None,
        batch: int = 50,
        hold: timedelta = CLAIM_HOLD,
        lease: timedelta = SEND_LEASE,
        send_timeout: float = SEND_TIMEOUT,
        max_attempts: int = 50,
        concurrency: int = 2,
    ) -> None:
        if lease.total_seconds() <= send_timeout:
            raise ValueError("the lease of a message being sent must outlast the send timeout")
        self.bot = bot
        self.sessions = sessions
        self.clock = clock
        self.sleep = sleep
        self.pacing = pacing or Pacing()
        self.batch = batch
        self.hold = hold
        self.lease = lease
        self.send_timeout = send_timeout
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self._recent: deque[datetime] = deque()
        self._chat_last: dict[int, datetime] = {}
        self._paused_until: datetime | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll (called after a commit)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, poll: float = 1.0) -> None:
        while not stop.is_set():
            self._wake.clear()  # before the pass: a wake during it is not lost
            try:
                wait = await self.deliver_due()
            except Exception:  # a database hiccup must not stop delivery for good
                logger.exception("outbox pass failed")
                wait = poll
            if stop.is_set():
                return
            timeout = poll if wait is None else min(wait, poll)
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def deliver_due(self) -> float | None:
        """One pass over due messages; the seconds until one more could go, or ``None``.

        The pass claims a batch (see :meth:`OutboxRepository.claim_due`), sends what its
        pacing allows, and gives back the rest.
        """
        now = self.clock()
        if self._paused_until and now < self._paused_until:
            return (self._paused_until - now).total_seconds()
        token = uuid.uuid4().hex
        async with self.sessions() as session:
            rows = await Repositories(session).outbox.claim_due(now, self.batch, self.hold, token)
            await session.commit()
        tried: set[int] = set()
        waiting: dict[int, float] = {}
        in_flight: set[asyncio.Task[None]] = set()
        slots = asyncio.Semaphore(self.concurrency)

        async def deliver(row: OutboxMessage) -> None:
            try:
                if await self._deliver(row, token) == "later":
                    waiting[row.chat_id] = 0.0
            finally:
                slots.release()

        try:
            for row in rows:
                if row.chat_id in waiting:  # keep each chat's order: its next message waits too
                    continue
                chat_wait = self._chat_wait(row.chat_id, self.clock())
                if chat_wait > 0:
                    waiting[row.chat_id] = chat_wait
                    continue
                await slots.acquire()
                if self._paused():
                    slots.release()
                    break
                tried.add(row.id)
                self._chat_last[row.chat_id] = self.clock()
                task = asyncio.create_task(deliver(row))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
        finally:
            # A few sends run at once (``concurrency``), so that the time each one waits for
            # the database and for Telegram's answer does not hold back the others: the
            # rate is the pacing's, not one round trip after another.
            outcomes = await asyncio.gather(*in_flight, return_exceptions=True) if in_flight else []
            untried = [r.id for r in rows if r.id not in tried]
            if untried:
                async with self.sessions() as session:
                    await Repositories(session).outbox.release(untried, token)
                    await session.commit()
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        if self._paused() and self._paused_until is not None:
            return (self._paused_until - self.clock()).total_seconds()
        if len(rows) == self.batch:  # a full batch: there may be more due right now
            return min(waiting.values(), default=0.0)
        done = {r.chat_id for r in rows if r.id in tried and r.chat_id not in waiting}
        if done:  # a chat's next message could not be claimed with the one that just went
            async with self.sessions() as session:
                more = await Repositories(session).outbox.chats_with_more_due(sorted(done), self.clock())
            now = self.clock()
            waiting.update({chat: self._chat_wait(chat, now) for chat in more})
        return min(waiting.values(), default=None)

    def _paused(self) -> bool:
        return self._paused_until is not None and self.clock() < self._paused_until

    def _chat_wait(self, chat_id: int, now: datetime) -> float:
        last = self._chat_last.get(chat_id)
        if last is None:
            return 0.0
        return max(0.0, self.pacing.per_chat_interval - (now - last).total_seconds())

    async def _global_pace(self) -> None:
        window = timedelta(seconds=1)
        while True:
            now = self.clock()
            while self._recent and now - self._recent[0] >= window:
                self._recent.popleft()
            if len(self._recent) < self.pacing.per_second:
                self._recent.append(now)  # this send's place in the second, taken at once
                return
            await self.sleep((self._recent[0] + window - now).total_seconds())

    async def _close(self, row: OutboxMessage, status: str, **values: object) -> None:
        async with self.sessions() as session:
            await Repositories(session).outbox.finish(row.id, status, self.clock(), **values)  # type: ignore[arg-type]
            await session.commit()

    async def _deliver(self, row: OutboxMessage, token: str) -> Outcome:
        """Send one message: "sent", "later" (retry), "dropped", "paused" (429) or "in_doubt"."""
        now = self.clock()
        async with self.sessions() as session:
            repositories = Repositories(session)
            if row.user_id is not None:
                user = await repositories.users.get(row.user_id)
                if user is not None and user.blocked_at is not None:
                    if await repositories.outbox.start_sending(row.id, token, now + self.lease):
                        await repositories.outbox.finish(row.id, "blocked", now, error="the user has blocked the bot")
                    await session.commit()
                    return "dropped"
            if not await repositories.outbox.start_sending(row.id, token, now + self.lease):
                return "dropped"
            await session.commit()
        markup = InlineKeyboardMarkup.model_validate(row.reply_markup) if row.reply_markup else None
        await self._global_pace()  # the place in the second is taken right before the request
        if self._paused():  # a 429 came back meanwhile to a send running beside this one
            await self._retry(row, (self._paused_until - self.clock()).total_seconds(),  # type: ignore[operator]
                              "waiting out flood control", count=False)
            return "paused"
        try:
            try:
                message = await self.bot.send_message(row.chat_id, row.text, reply_markup=markup,
                                                      request_timeout=int(self.send_timeout))
            finally:  # the chat's next message waits a second from the answer, not only from the start
                self._chat_last[row.chat_id] = max(self._chat_last.get(row.chat_id, self.clock()), self.clock())
        except TelegramRetryAfter as exc:
            self._paused_until = self.clock() + timedelta(seconds=exc.retry_after)
            await self._retry(row, exc.retry_after, str(exc), count=False)
            logger.warning("flood control: pausing delivery for %s s", exc.retry_after)
            return "paused"
        except TelegramForbiddenError as exc:
            async with self.sessions() as session:
                repositories = Repositories(session)
                await repositories.outbox.finish(row.id, "blocked", self.clock(), error=str(exc))
                if row.user_id is not None:
                    await repositories.users.mark_blocked(row.user_id, self.clock())
                await session.commit()
            logger.info("outbox %s: the recipient has blocked the bot", row.id)
            return "dropped"
        except TelegramNetworkError as exc:
            if not never_reached_telegram(exc):
                await self._close(row, "in_doubt", error=f"no answer from Telegram: {exc}")
                logger.warning("outbox %s: in doubt, not sent again (%s)", row.id, exc)
                return "in_doubt"
            return await self._failed_try(row, exc)
        except TelegramServerError as exc:  # Telegram answered that it could not take it
            return await self._failed_try(row, exc)
        except TelegramAPIError as exc:  # 400 and the like: sending again would not help
            await self._close(row, "failed", error=str(exc))
            logger.error("outbox %s: not sent: %s", row.id, exc)
            return "dropped"
        except BaseException:  # cancelled mid-request: the outcome is unknown
            await asyncio.shield(self._close(row, "in_doubt", error="the send was interrupted"))
            raise
        await self._close(row, "sent", message_id_sent=message.message_id)
        return "sent"

    async def _failed_try(self, row: OutboxMessage, exc: TelegramAPIError) -> Outcome:
        """A try that certainly did not deliver: retry with backoff, up to ``max_attempts``."""
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            await self._close(row, "failed", error=str(exc), attempts=attempts)
            logger.error("outbox %s: giving up after %s attempts: %s", row.id, attempts, exc)
            return "dropped"
        await self._retry(row, min(2 ** (attempts - 1), 600), str(exc), count=True)
        logger.warning("outbox %s: attempt %s failed (%s); retrying", row.id, attempts, exc)
        return "later"

    async def _retry(self, row: OutboxMessage, delay: float, error: str, count: bool) -> None:
        async with self.sessions() as session:
            await Repositories(session).outbox.retry(row.id, self.clock() + timedelta(seconds=delay), error,
                                                     attempts=row.attempts + 1 if count else None)
            await session.commit()
