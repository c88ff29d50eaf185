"""One unit of work: the repositories over one database session and the services over them.

The bot's middleware (one unit per update, its session made only when first used), the
registry API (one per request) and the background jobs (one per run) all build their
services here, so a service is wired the same way wherever it is used::

    units = UnitFactory(sessions, catalog, calendar, notices, booking_config, clock)
    async with units.begin() as unit:
        case = await unit.cases.get("26-000001")

A unit commits only when a service commits (each service method is its own transaction);
leaving the block closes the session and rolls back whatever was not committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import Catalog
from domain.clock import Clock
from domain.deadlines import WorkingCalendar
from domain.slots import BookingConfig
from services.bookings import BookingNotices, BookingService
from services.cases import CaseService, Notices
from services.complaints import ComplaintNotices, ComplaintService
from storage.database import SessionFactory
from storage.repositories import Repositories


class AllNotices(Notices, ComplaintNotices, BookingNotices, Protocol):
    """The notices of every service (presentation.notices.OutboxNotices is one); ``wake``
    wakes the outbox worker for a message added outside a service (the jobs' digest)."""

    wake: Callable[[], None]


@dataclass(frozen=True)
class UnitFactory:
    """Makes units of work; built once at start from what every service shares."""

    sessions: SessionFactory
    catalog: Catalog
    calendar: WorkingCalendar
    notices: AllNotices
    booking_config: BookingConfig
    clock: Clock
    complaint_review_days: int = 5

    def lazy(self) -> Unit:
        """A unit whose session is made when first used (close it with :meth:`Unit.close`)."""
        return Unit(self, Repositories.lazy(self.sessions))

    def over(self, session: AsyncSession) -> Unit:
        """A unit over a session the caller owns (and closes)."""
        return Unit(self, Repositories(session))

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Unit]:
        """A unit over a new session, closed when the block ends."""
        unit = self.lazy()
        try:
            yield unit
        finally:
            await unit.close()


class Unit:
    """The repositories of one session and the services over them (made when first used)."""

    def __init__(self, factory: UnitFactory, repositories: Repositories) -> None:
        self.factory = factory
        self.repositories = repositories

    @cached_property
    def cases(self) -> CaseService:
        f = self.factory
        return CaseService(self.repositories, f.catalog, f.calendar, f.notices, f.clock)

    @cached_property
    def bookings(self) -> BookingService:
        f = self.factory
        return BookingService(self.repositories, f.catalog, f.calendar, f.booking_config, f.notices, f.clock)

    @cached_property
    def complaints(self) -> ComplaintService:
        f = self.factory
        return ComplaintService(self.repositories, f.catalog, f.calendar, f.notices, f.complaint_review_days,
                                f.clock)

    async def close(self) -> None:
        await self.repositories.close()
