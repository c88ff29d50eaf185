"""Telling people what happened: the outbox, its delivery, and the morning digest.

* The notices themselves (what is said, in which language, under which buttons) are written
  into the ``outbox`` table by :class:`presentation.notices.OutboxNotices`.
* :class:`OutboxWorker` sends what is due: at most ``per_second`` messages a second overall
  and one a second per chat, retrying network errors and 5xx with backoff, waiting out a
  429's ``retry_after``, marking users who blocked the bot (403) and not retrying them. A
  message is claimed before sending and marked sent right after, so after a crash or a
  restart what was not delivered is delivered, and nothing is sent twice in normal operation.
* :class:`DeadlineWatch` sends the clerks' chat, each working morning, the cases due that
  day and the overdue ones, and archives results not collected within a month.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import Catalog
from domain.clock import Clock
from domain.deadlines import ALMATY, WorkingCalendar, local_date
from presentation.notices import OutboxNotices
from presentation.rendering import Renderer
from services.cases import CaseService
from services.complaints import ComplaintService
from storage.database import SessionFactory
from storage.models import (
    OutboxMessage,
    User,
)
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
@dataclass(frozen=True)
class Pacing:
    """Telegram's limits: about 30 messages a second overall, one a second per chat.

    ``per_second`` is this process's share (``OUTBOX_PER_SECOND``): with several processes
    their shares add up, so each gets the overall limit divided by their number.
    """

    per_second: int = 28
    per_chat_interval: float = 1.0


# A claim outlives the send it covers: the request is cut off after SEND_TIMEOUT seconds
# (and retried), so no other process takes a message while it may still be going out.
SEND_TIMEOUT = 10
CLAIM_HOLD = timedelta(seconds=2 * SEND_TIMEOUT)


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
        max_attempts: int = 50,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.clock = clock
        self.sleep = sleep
        self.pacing = pacing or Pacing()
        self.batch = batch
        self.hold = hold
        self.max_attempts = max_attempts
        self._recent: deque[datetime] = deque()
        self._chat_last: dict[int, datetime] = {}
        self._paused_until: datetime | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, poll: float = 1.0) -> None:
        while not stop.is_set():
            try:
                wait = await self.deliver_due()
            except Exception:  # a database hiccup must not stop delivery for good
                logger.exception("outbox pass failed")
                wait = poll
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=min(wait if wait is not None else poll, poll))

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
        try:
            for row in rows:
                if row.chat_id in waiting:  # keep each chat's order: its next message waits too
                    continue
                now = self.clock()
                chat_wait = self._chat_wait(row.chat_id, now)
                if chat_wait > 0:
                    waiting[row.chat_id] = chat_wait
                    continue
                await self._global_pace()
                tried.add(row.id)
                outcome = await self._deliver(row, token)
                if outcome == "paused" and self._paused_until is not None:
                    return (self._paused_until - self.clock()).total_seconds()
                if outcome == "later":
                    waiting[row.chat_id] = 0.0
        finally:
            untried = [r.id for r in rows if r.id not in tried]
            if untried:
                async with self.sessions() as session:
                    await Repositories(session).outbox.release(untried, token)
                    await session.commit()
        if len(rows) == self.batch:  # a full batch: there may be more due right now
            return min(waiting.values(), default=0.0)
        return min(waiting.values(), default=None)

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
                return
            await self.sleep((self._recent[0] + window - now).total_seconds())

    async def _deliver(self, row: OutboxMessage, token: str) -> str:
        """Send one message: "sent", "later" (retry), "dropped" or "paused" (429)."""
        now = self.clock()
        async with self.sessions() as session:
            repositories = Repositories(session)
            if not await repositories.outbox.renew(row.id, token, now + self.hold):
                return "dropped"
            if row.user_id is not None:
                user = await session.get(User, row.user_id)
                if user is not None and user.blocked_at is not None:
                    await self._finish(session, row.id, status="blocked", error="the user has blocked the bot")
                    await session.commit()
                    return "dropped"
            await session.commit()
        markup = InlineKeyboardMarkup.model_validate(row.reply_markup) if row.reply_markup else None
        try:
            self._recent.append(self.clock())
            self._chat_last[row.chat_id] = self.clock()
            message = await self.bot.send_message(row.chat_id, row.text, reply_markup=markup,
                                                  request_timeout=SEND_TIMEOUT)
        except TelegramRetryAfter as exc:
            self._paused_until = self.clock() + timedelta(seconds=exc.retry_after)
            await self._retry(row, exc.retry_after, str(exc), count=False)
            logger.warning("flood control: pausing delivery for %s s", exc.retry_after)
            return "paused"
        except TelegramForbiddenError as exc:
            async with self.sessions() as session:
                await self._finish(session, row.id, status="blocked", error=str(exc))
                if row.user_id is not None:
                    await Repositories(session).users.mark_blocked(row.user_id, self.clock())
                await session.commit()
            logger.info("outbox %s: the recipient has blocked the bot", row.id)
            return "dropped"
        except (TelegramNetworkError, TelegramServerError) as exc:
            attempts = row.attempts + 1
            if attempts >= self.max_attempts:
                async with self.sessions() as session:
                    await self._finish(session, row.id, status="failed", error=str(exc), attempts=attempts)
                    await session.commit()
                logger.error("outbox %s: giving up after %s attempts: %s", row.id, attempts, exc)
                return "dropped"
            await self._retry(row, min(2 ** (attempts - 1), 600), str(exc), count=True)
            logger.warning("outbox %s: attempt %s failed (%s); retrying", row.id, attempts, exc)
            return "later"
        except TelegramAPIError as exc:  # 400 and the like: sending again would not help
            async with self.sessions() as session:
                await self._finish(session, row.id, status="failed", error=str(exc))
                await session.commit()
            logger.error("outbox %s: not sent: %s", row.id, exc)
            return "dropped"
        async with self.sessions() as session:
            await self._finish(session, row.id, status="sent", message_id=message.message_id)
            await session.commit()
        return "sent"

    async def _retry(self, row: OutboxMessage, delay: float, error: str, count: bool) -> None:
        async with self.sessions() as session:
            values: dict[str, Any] = {
                "available_at": self.clock() + timedelta(seconds=delay),
                "claimed_until": None,
                "claimed_by": None,
                "last_error": error[:500],
            }
            if count:
                values["attempts"] = row.attempts + 1
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
            await session.commit()

    async def _finish(self, session: AsyncSession, outbox_id: int, *, status: str, error: str | None = None,
                      attempts: int | None = None, message_id: int | None = None) -> None:
        values: dict[str, Any] = {"status": status, "claimed_until": None, "claimed_by": None}
        if status == "sent":
            values["sent_at"] = self.clock()
            values["message_id"] = message_id
        if error is not None:
            values["last_error"] = error[:500]
        if attempts is not None:
            values["attempts"] = attempts
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values))


class DeadlineWatch:
    """Each working morning: archive uncollected results, then send the clerks the due list
    (cases and complaints, overdue first)."""

    JOB = "deadline_watch"

    def __init__(
        self,
        sessions: SessionFactory,
        catalog: Catalog,
        calendar: WorkingCalendar,
        notices: OutboxNotices,
        renderer: Renderer,
        *,
        clerk_chat_id: int | None,
        locale: str,
        at: time = time(9, 0),
        complaint_review_days: int = 5,
        clock: Clock,
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.calendar = calendar
        self.notices = notices
        self.renderer = renderer
        self.clerk_chat_id = clerk_chat_id
        self.locale = locale
        self.at = at
        self.complaint_review_days = complaint_review_days
        self.clock = clock

    def next_run(self, now: datetime) -> datetime:
        """The next working day's morning at ``at`` (Almaty), today's if still ahead."""
        day = local_date(now)
        while True:
            moment = datetime.combine(day, self.at, tzinfo=ALMATY)
            if self.calendar.is_working_day(day) and moment > now:
                return moment
            day += timedelta(days=1)

    async def run_once(self, day: date) -> bool:
        """Do the day's watch unless it was done already (by this or another process)."""
        async with self.sessions() as session:
            repositories = Repositories(session)
            if not await repositories.jobs.start_once(self.JOB, day):
                return False
            service = CaseService(repositories, self.catalog, self.calendar, self.notices, self.clock)
            await repositories.commit()
            archived = await service.archive_uncollected()
            if self.clerk_chat_id is not None:
                cases = await service.open_cases()
                complaints = ComplaintService(repositories, self.catalog, self.calendar, self.notices,
                                              review_days=self.complaint_review_days, clock=self.clock)
                open_complaints = await complaints.open_complaints()
                text = self.renderer.render(
                    "digest.j2", self.locale, day=day, archived=archived, catalog=self.catalog,
                    overdue=[c for c in cases if service.is_overdue(c)],
                    due_today=[c for c in cases if c.due_date == day],
                    overdue_complaints=[c for c in open_complaints if complaints.is_overdue(c)],
                    complaints_today=[c for c in open_complaints if c.due_date == day],
                )
                repositories.outbox.add(OutboxMessage(chat_id=self.clerk_chat_id, kind="digest", text=text,
                                                      status="pending", attempts=0))
                await repositories.commit()
                self.notices.wake()
        return True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            moment = self.next_run(self.clock())
            delay = max((moment - self.clock()).total_seconds(), 0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            if stop.is_set():
                return
            try:
                await self.run_once(local_date(self.clock()))
            except Exception:
                logger.exception("deadline watch failed")
