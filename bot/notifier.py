"""Telling people what happened: the outbox, its delivery, and the morning digest.

* :class:`OutboxNotices` writes the message announcing a change into the ``outbox`` table, in
  the same transaction as the change, rendered in the recipient's language.
* :class:`OutboxWorker` sends what is due: at most ``per_second`` messages a second overall
  and one a second per chat, retrying network errors and 5xx with backoff, waiting out a
  429's ``retry_after``, marking users who blocked the bot (403) and not retrying them. A
  message is claimed before sending and marked sent right after, so after a crash or a
  restart what was not delivered is delivered, and nothing is sent twice in normal operation.
* The notices of :mod:`jobs.scans` (a file not kept, a file not stored for a day) are
  written by :class:`OutboxNotices` too.
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
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import Catalog
from domain.clock import Clock
from domain.complaints import ComplaintAction
from domain.deadlines import ALMATY, WorkingCalendar, local_date
from domain.lifecycle import Status
from domain.slots import reminder_times
from presentation.labels import survey_answer_labels
from presentation.rendering import Renderer
from services.cases import SURVEY_ANSWERS, CaseService
from services.complaints import ComplaintService, addressee
from storage.database import SessionFactory
from storage.models import (
    Attachment,
    Booking,
    Case,
    CaseEvent,
    Complaint,
    ComplaintEvent,
    OutboxMessage,
    User,
)
from storage.repositories import Repositories

logger = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
SURVEY_PREFIX = "sv"
COMPLAINT_SURVEY_PREFIX = "sq"
BOOKING_PREFIX = "bk"


def survey_markup(number: str, question: int, labels: tuple[str, str, str],
                  prefix: str = SURVEY_PREFIX) -> InlineKeyboardMarkup:
    """The three answers to a survey question, one per row (``prefix``: a case's or a complaint's)."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label, callback_data=f"{prefix}:{number}:{question}:{answer}")]
        for answer, label in zip(SURVEY_ANSWERS, labels, strict=True)
    ])


class OutboxNotices:
    """Renders the notices of case changes into the outbox (services.cases.Notices)."""

    def __init__(self, renderer: Renderer, catalog: Catalog, default_locale: str,
                 clerk_chat_id: int | None = None, wake: Callable[[], None] | None = None) -> None:
        self.renderer = renderer
        self.catalog = catalog
        self.default_locale = default_locale
        self.clerk_chat_id = clerk_chat_id
        self.wake = wake or (lambda: None)

    def context(self, case: Case) -> dict[str, Any]:
        placement = self.catalog.placement(case.standard_id, case.office_id)
        standard = placement.standard
        return {
            "case": case,
            "s": standard,
            "office": placement.office,
            "service": self.catalog.service(standard.service),
            "region": self.catalog.regions[standard.region],
        }

    async def _locale(self, repositories: Repositories, owner: Case | Complaint) -> str:
        user = await repositories.users.get(owner.user_id)
        return (user.language if user and user.language else None) or owner.language

    def _add(self, repositories: Repositories, chat_id: int, kind: str, text: str, owner: Case | Complaint,
             user_id: int | None, markup: InlineKeyboardMarkup | None = None) -> None:
        """A message about a case or a complaint, to a user (``user_id``) or the clerks' chat."""
        repositories.outbox.add(OutboxMessage(
            chat_id=chat_id, user_id=user_id, kind=kind, text=text,
            case_id=owner.id if isinstance(owner, Case) else None,
            complaint_id=owner.id if isinstance(owner, Complaint) else None,
            reply_markup=markup.model_dump(exclude_none=True) if markup else None,
            status="pending", attempts=0,
        ))
        self.wake()

    async def case_submitted(self, repositories: Repositories, case: Case) -> None:
        """Tell the clerks' chat about a new application."""
        if self.clerk_chat_id is None:
            return
        text = self.renderer.render("notice_clerks_new.j2", self.default_locale, **self.context(case))
        self._add(repositories, self.clerk_chat_id, "clerks_new_case", text, case, None)

    async def case_changed(self, repositories: Repositories, case: Case, event: CaseEvent) -> None:
        """Tell the applicant, in their language; after issuing, ask the survey's first question."""
        locale = await self._locale(repositories, case)
        context = self.context(case)
        text = self.renderer.render("notice_case.j2", locale, event=event, **context)
        self._add(repositories, case.user_id, f"case_{event.action}", text, case, case.user_id)
        if event.to_status == Status.ISSUED.value and case.number:
            question = self.renderer.render("survey_question.j2", locale, number=case.number, question=1,
                                            survey=self.survey_texts(), **context)
            markup = survey_markup(case.number, 1, self.answer_labels(locale))
            self._add(repositories, case.user_id, "survey", question, case, case.user_id, markup)

    def complaint_context(self, complaint: Complaint) -> dict[str, Any]:
        placement = self.catalog.placement(complaint.standard_id, complaint.office_id)
        return {
            "complaint": complaint,
            "s": placement.standard,
            "office": placement.office,
            "service": self.catalog.service(placement.standard.service),
            "addressee": addressee(placement),
        }

    async def complaint_registered(self, repositories: Repositories, complaint: Complaint) -> None:
        """Tell the clerks' chat about a new complaint."""
        if self.clerk_chat_id is None:
            return
        text = self.renderer.render("notice_clerks_complaint.j2", self.default_locale, event=None,
                                    **self.complaint_context(complaint))
        self._add(repositories, self.clerk_chat_id, "clerks_new_complaint", text, complaint, None)

    async def complaint_changed(self, repositories: Repositories, complaint: Complaint,
                                event: ComplaintEvent) -> None:
        """Tell the complainant of a move, in their language (and ask the survey after an answer);
        tell the clerks' chat when the complainant adds information."""
        context = self.complaint_context(complaint)
        if event.action == ComplaintAction.ADD_INFO.value:
            if self.clerk_chat_id is not None:
                text = self.renderer.render("notice_clerks_complaint.j2", self.default_locale, event=event,
                                            **context)
                self._add(repositories, self.clerk_chat_id, "clerks_complaint_info", text, complaint, None)
            return
        locale = await self._locale(repositories, complaint)
        text = self.renderer.render("notice_complaint.j2", locale, event=event, **context)
        self._add(repositories, complaint.user_id, f"complaint_{event.action}", text, complaint, complaint.user_id)
        if event.action == ComplaintAction.ANSWER.value and complaint.number:
            question = self.renderer.render("complaint_survey.j2", locale, number=complaint.number, question=1)
            markup = survey_markup(complaint.number, 1, self.answer_labels(locale), COMPLAINT_SURVEY_PREFIX)
            self._add(repositories, complaint.user_id, "complaint_survey", question, complaint, complaint.user_id,
                      markup)

    def booking_context(self, booking: Booking) -> dict[str, Any]:
        placement = self.catalog.placement(booking.standard_id, booking.office_id)
        return {
            "booking": booking,
            "s": placement.standard,
            "office": placement.office,
            "service": self.catalog.service(placement.standard.service),
        }

    def scan_context(self, attachment: Attachment, owner: Case | Complaint) -> dict[str, Any]:
        placement = self.catalog.placement(owner.standard_id, owner.office_id)
        documents = {d.id: d for d in placement.standard.documents}
        return {"attachment": attachment, "owner": owner, "complaint": isinstance(owner, Complaint),
                "document": documents.get(attachment.document_id), "office": placement.office}

    async def scan_refused(self, repositories: Repositories, attachment: Attachment, limit_mb: int) -> None:
        """Tell the sender, in their language, which file was not kept, why, and what to do
        (jobs.scans.ScanNotices)."""
        owner = attachment.case or attachment.complaint
        if owner is None:
            return
        text = self.renderer.render("notice_scan_refused.j2", await self._locale(repositories, owner),
                                    limit_mb=limit_mb, **self.scan_context(attachment, owner))
        self._add(repositories, owner.user_id, "scan_refused", text, owner, owner.user_id)

    async def scan_failing(self, repositories: Repositories, attachment: Attachment) -> None:
        """Tell the clerks' chat that a file has not been stored for a day: the number, the
        document and the last error; nothing personal (jobs.scans.ScanNotices)."""
        owner = attachment.case or attachment.complaint
        if self.clerk_chat_id is None or owner is None:
            return
        text = self.renderer.render("notice_clerks_scan_failing.j2", self.default_locale,
                                    **self.scan_context(attachment, owner))
        self._add(repositories, self.clerk_chat_id, "clerks_scan_failing", text, owner, None)

    async def booking_made(self, repositories: Repositories, booking: Booking, now: datetime) -> None:
        """Schedule the reminders of a new or moved booking (those whose time has not passed)."""
        user = await repositories.users.get(booking.user_id)
        locale = (user.language if user and user.language else None) or booking.language
        context = self.booking_context(booking)
        for kind, moment in reminder_times(booking.starts_at).items():
            if moment <= now:
                continue
            text = self.renderer.render("booking_reminder.j2", locale, kind=kind, **context)
            with self.renderer.i18n.context(), self.renderer.i18n.use_locale(locale):
                label = gettext("❌ Cancel the booking")
            markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
                text=label, callback_data=f"{BOOKING_PREFIX}:cancel:{booking.number}")]])
            repositories.outbox.add(OutboxMessage(
                chat_id=booking.user_id, user_id=booking.user_id, kind=kind, booking_id=booking.id, text=text,
                reply_markup=markup.model_dump(exclude_none=True), status="pending", attempts=0,
                available_at=moment,
            ))
        self.wake()

    def survey_texts(self) -> list[Any]:
        """The survey's two questions, from the standard that has them (the e-service regulation)."""
        standard = next(s for s in self.catalog.standards.values() if s.survey)
        return [q.text for q in standard.survey]

    def answer_labels(self, locale: str) -> tuple[str, str, str]:
        with self.renderer.i18n.context(), self.renderer.i18n.use_locale(locale):
            return survey_answer_labels()


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
