"""The daily jobs: each working morning, archive the results not collected within a month and
send the clerks' chat the cases and complaints due that day and the overdue ones.

A small loop of our own rather than a scheduler library (APScheduler was considered): the
moment depends on the working calendar (weekends, Kazakhstan's holidays and the transfers of
working days in domain/deadlines.py), which a cron rule cannot say; the time must come from the
injected clock (tests and CI run on a fake one, APScheduler reads the machine's); and the
once-a-day guard must be in the database anyway (``JobRepository.start_once``), because
several processes may run the job and a restart must not send the digest twice. What is left
for a scheduler is one ``sleep`` until the next morning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime, time, timedelta

from domain.deadlines import ALMATY, local_date
from presentation.rendering import Renderer
from services.unit import UnitFactory
from storage.models import OutboxMessage

logger = logging.getLogger(__name__)


class DeadlineWatch:
    """Each working morning: archive uncollected results, then send the clerks the due list
    (cases and complaints, overdue first)."""

    JOB = "deadline_watch"

    def __init__(self, units: UnitFactory, renderer: Renderer, *, clerk_chat_id: int | None, locale: str,
                 at: time = time(9, 0)) -> None:
        self.units = units  # the services, built as the bot and the API build them
        self.catalog = units.catalog
        self.calendar = units.calendar
        self.clock = units.clock
        self.renderer = renderer
        self.clerk_chat_id = clerk_chat_id
        self.locale = locale
        self.at = at

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
        async with self.units.begin() as unit:
            repositories = unit.repositories
            if not await repositories.jobs.start_once(self.JOB, day):
                return False
            service = unit.cases
            await repositories.commit()
            archived = await service.archive_uncollected()
            if self.clerk_chat_id is not None:
                cases = await service.open_cases()
                complaints = unit.complaints
                open_complaints = await complaints.open_complaints()
                text = self.renderer.render(
                    "digest.j2", self.locale, day=day, archived=archived, catalog=self.catalog,
                    overdue=[c for c in cases if service.is_overdue(c)],
                    due_today=[c for c in cases if c.due_date == day],
                    overdue_complaints=[c for c in open_complaints if complaints.is_overdue(c)],
                    complaints_today=[c for c in open_complaints if c.due_date == day],
                )
                repositories.outbox.add(OutboxMessage(chat_id=self.clerk_chat_id, kind="digest", text=text,
                                                      status="pending", attempts=0), wake=self.units.notices.wake)
                await repositories.commit()
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
