"""Booked visits: free slots, booking, rescheduling, cancelling, and the clerks' day list.

A slot holds as many visitors as the office has windows. Each booking takes a numbered
seat of its slot; a partial unique index (office, time, seat) among bookings that are not
cancelled lets the database decide when several people confirm the last place at once:
one insert wins, the others fail and find the slot full. Another partial unique index
keeps one active booking per user and service.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from domain.catalog import Catalog, Placement
from domain.clock import Clock
from domain.deadlines import ALMATY, WorkingCalendar, local_date
from domain.slots import (
    BookingConfig,
    BookingRules,
    BookingStatus,
    VisitEvent,
    blocked_until,
    bookable_slots,
    bookable_standard,
    horizon,
)
from storage.models import Booking, OutboxMessage
from storage.repositories import Repositories

NUMBER = re.compile(r"^\s*[TtТт]?\W*(\d{1,9})\s*$")
VISIT_EVENTS = tuple(VisitEvent)


class BookingError(Exception):
    """A booking that cannot be made or changed; ``code`` says why, ``details`` the values."""

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


class BookingNotices(Protocol):
    async def booking_made(self, repositories: Repositories, booking: Booking, now: datetime) -> None: ...


def format_number(booking: Booking) -> str:
    return f"T-{booking.id:06d}"


def parse_number(text: str) -> str | None:
    """A talon number from what someone typed ("T-000042", "т 42", "42")."""
    match = NUMBER.match(text)
    return f"T-{int(match.group(1)):06d}" if match else None


@dataclass
class BookingService:
    """Everything that happens to bookings, over one unit of work (one session)."""

    repositories: Repositories
    catalog: Catalog
    calendar: WorkingCalendar
    config: BookingConfig
    notices: BookingNotices
    clock: Clock

    @property
    def session(self) -> AsyncSession:
        return self.repositories.session

    def placement(self, standard_id: str, office_id: str) -> Placement:
        placement = self.catalog.placement(standard_id, office_id)
        if not bookable_standard(placement.standard):
            raise BookingError("not_bookable", "this service has no visiting hours")
        return placement

    def rules(self, placement: Placement) -> BookingRules:
        return self.config.rules(placement.standard, placement.office)

    async def _taken(self, office_id: str, start: datetime, end: datetime) -> Counter[datetime]:
        rows = await self.session.execute(
            select(Booking.starts_at, func.count())
            .where(Booking.office_id == office_id, Booking.status != BookingStatus.CANCELLED,
                   Booking.starts_at >= start, Booking.starts_at < end)
            .group_by(Booking.starts_at)
        )
        return Counter({starts_at: count for starts_at, count in rows.all()})

    async def free_slots(self, standard_id: str, office_id: str, day: date) -> list[tuple[datetime, int]]:
        """The bookable slots of a day with their free places (full ones left out)."""
        placement = self.placement(standard_id, office_id)
        rules = self.rules(placement)
        slots = bookable_slots(self.calendar, placement.standard.schedule, rules, day, self.clock())
        if not slots:
            return []
        taken = await self._taken(office_id, slots[0], slots[-1] + rules.slot)
        return [(s, rules.windows - taken[s]) for s in slots if taken[s] < rules.windows]

    async def bookable_days(self, standard_id: str, office_id: str) -> list[date]:
        """The days within the horizon with at least one free place."""
        placement = self.placement(standard_id, office_id)
        rules = self.rules(placement)
        now = self.clock()
        days = {day: bookable_slots(self.calendar, placement.standard.schedule, rules, day, now)
                for day in horizon(now, rules)}
        days = {d: s for d, s in days.items() if s}
        if not days:
            return []
        starts = [s for slots in days.values() for s in slots]
        taken = await self._taken(office_id, min(starts), max(starts) + rules.slot)
        return [d for d, slots in days.items() if any(taken[s] < rules.windows for s in slots)]

    async def check_user(self, user_id: int, service_id: str, rules: BookingRules,
                         moving: Booking | None = None) -> None:
        """Raise a :class:`BookingError` if this user may not book this service now."""
        now = self.clock()
        today = local_date(now)
        since = now - timedelta(days=rules.no_show_days + rules.block_days)
        no_shows = [local_date(moment) for moment in await self.session.scalars(
            select(Booking.starts_at).where(Booking.user_id == user_id, Booking.status == BookingStatus.NO_SHOW,
                                            Booking.starts_at >= since)
        )]
        until = blocked_until(no_shows, rules, today)
        if until is not None:
            raise BookingError("blocked", f"blocked until {until.isoformat()} after repeated no-shows",
                               until=until, count=rules.no_show_limit, days=rules.no_show_days)
        if moving is not None:
            return
        active = await self.session.scalar(
            select(Booking).where(Booking.user_id == user_id, Booking.service_id == service_id,
                                  Booking.status == BookingStatus.ACTIVE)
        )
        if active is not None:
            raise BookingError("active_exists", f"booking {active.number} is already active", number=active.number)
        recent = await self.session.scalar(
            select(func.count()).select_from(Booking).where(
                Booking.user_id == user_id, Booking.status != BookingStatus.CANCELLED,
                Booking.created_at >= now - timedelta(days=rules.max_bookings_days))
        )
        if (recent or 0) >= rules.max_bookings:
            raise BookingError("too_many", f"at most {rules.max_bookings} bookings in {rules.max_bookings_days} days",
                               limit=rules.max_bookings, days=rules.max_bookings_days)

    async def _seat(self, office_id: str, starts_at: datetime, windows: int) -> int:
        taken = set(await self.session.scalars(
            select(Booking.seat).where(Booking.office_id == office_id, Booking.starts_at == starts_at,
                                       Booking.status != BookingStatus.CANCELLED)
        ))
        free = [seat for seat in range(windows) if seat not in taken]
        if not free:
            raise BookingError("full", "no free place left at this time")
        return free[0]

    def _check_slot(self, placement: Placement, rules: BookingRules, starts_at: datetime) -> None:
        slots = bookable_slots(self.calendar, placement.standard.schedule, rules,
                               local_date(starts_at), self.clock())
        if starts_at not in slots:
            raise BookingError("slot_unavailable", "this time cannot be booked")

    async def book(self, user_id: int, standard_id: str, office_id: str, starts_at: datetime,
                   language: str) -> Booking:
        """Book a place; raise :class:`BookingError` ("full", "active_exists", ...) if not possible."""
        placement = self.placement(standard_id, office_id)
        rules = self.rules(placement)
        self._check_slot(placement, rules, starts_at)
        for _attempt in range(rules.windows + 1):
            await self.check_user(user_id, placement.standard.service, rules)
            seat = await self._seat(office_id, starts_at, rules.windows)
            now = self.clock()
            booking = Booking(
                user_id=user_id, service_id=placement.standard.service, standard_id=standard_id,
                office_id=office_id, starts_at=starts_at, seat=seat, status=BookingStatus.ACTIVE, language=language,
                created_at=now, updated_at=now,
            )
            self.session.add(booking)
            try:
                await self.session.flush()
            except IntegrityError:  # someone took that seat (or booked this service) meanwhile
                await self.session.rollback()
                continue
            booking.number = format_number(booking)
            await self.notices.booking_made(self.repositories, booking, now)
            await self.repositories.commit()
            return booking
        raise BookingError("full", "no free place left at this time")

    async def get(self, number: str) -> Booking:
        booking = await self.session.scalar(select(Booking).where(Booking.number == (parse_number(number) or number)))
        if booking is None:
            raise BookingError("not_found", "no such booking")
        return booking

    async def visible(self, number: str, viewer_id: int, is_clerk: bool) -> Booking:
        booking = await self.get(number)
        if not is_clerk and booking.user_id != viewer_id:
            raise BookingError("not_found", "no such booking")
        return booking

    def _changeable(self, booking: Booking, rules: BookingRules) -> None:
        if booking.status != BookingStatus.ACTIVE:
            raise BookingError("not_active", f"the booking is {booking.status}", status=booking.status)
        if booking.starts_at - self.clock() < rules.min_notice:
            raise BookingError("too_late", "too close to the visit to change it", minutes=rules.min_notice_minutes)

    async def _cancel_reminders(self, booking: Booking) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.booking_id == booking.id, OutboxMessage.status == "pending",
                   OutboxMessage.kind.startswith("reminder"))
            .values(status="cancelled")
        )

    async def language_changed(self, user_id: int) -> None:
        """The reminders still to come of the user's active bookings, written again: they were
        written in the language the user had when booking, and the user has just changed it."""
        now = self.clock()
        bookings = await self.session.scalars(
            select(Booking).where(Booking.user_id == user_id, Booking.status == BookingStatus.ACTIVE,
                                  Booking.starts_at > now))
        for booking in bookings.all():
            await self._cancel_reminders(booking)
            await self.notices.booking_made(self.repositories, booking, now)

    async def cancel(self, number: str, user_id: int) -> Booking:
        """Cancel one's own booking; its place is free at once and its reminders are dropped."""
        booking = await self.visible(number, user_id, is_clerk=False)
        placement = self.catalog.placement(booking.standard_id, booking.office_id)
        self._changeable(booking, self.rules(placement))
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = booking.updated_at = self.clock()
        async with self._saving():
            await self._cancel_reminders(booking)
        return booking

    async def reschedule(self, number: str, user_id: int, starts_at: datetime) -> Booking:
        """Move one's own booking to another slot of the same office; the number stays."""
        booking = await self.visible(number, user_id, is_clerk=False)
        placement = self.placement(booking.standard_id, booking.office_id)
        rules = self.rules(placement)
        self._changeable(booking, rules)
        self._check_slot(placement, rules, starts_at)
        await self.check_user(user_id, booking.service_id, rules, moving=booking)
        for _attempt in range(rules.windows + 1):
            booking = await self.visible(number, user_id, is_clerk=False)
            booking.seat = await self._seat(booking.office_id, starts_at, rules.windows)
            booking.starts_at = starts_at
            booking.updated_at = self.clock()
            try:
                await self.session.flush()
            except IntegrityError:
                await self.session.rollback()
                continue
            async with self._saving():
                await self._cancel_reminders(booking)
                await self.notices.booking_made(self.repositories, booking, booking.updated_at)
            return booking
        raise BookingError("full", "no free place left at this time")

    @asynccontextmanager
    async def _saving(self) -> AsyncIterator[None]:
        """The steps of a change, then its commit. A booking changed meanwhile by someone else
        (a clerk elsewhere, the user's other device) is found at the first flush, which a
        query in the steps makes, or at the commit: then nothing is kept."""
        try:
            yield
            await self.repositories.commit()
        except StaleDataError:
            await self.session.rollback()
            raise BookingError("concurrent", "the booking was changed meanwhile") from None

    async def of_user(self, user_id: int) -> Sequence[Booking]:
        """The user's bookings: active ones first (soonest first), then the others, newest first."""
        rows = list(await self.session.scalars(select(Booking).where(Booking.user_id == user_id)))
        active = sorted((b for b in rows if b.status == BookingStatus.ACTIVE), key=lambda b: b.starts_at)
        other = sorted((b for b in rows if b.status != BookingStatus.ACTIVE), key=lambda b: b.starts_at, reverse=True)
        return active + other

    async def day(self, office_id: str, day: date) -> Sequence[Booking]:
        """An office's bookings of a day (cancelled ones left out), by time."""
        start = datetime.combine(day, datetime.min.time(), tzinfo=ALMATY)
        return list(await self.session.scalars(
            select(Booking).where(Booking.office_id == office_id, Booking.status != BookingStatus.CANCELLED,
                                  Booking.starts_at >= start, Booking.starts_at < start + timedelta(days=1))
            .order_by(Booking.starts_at, Booking.seat)
        ))

    async def mark(self, number: str, event: str) -> Booking:
        """A clerk marks a visitor arrived, served (the service started) or a no-show."""
        if event not in VISIT_EVENTS:
            raise BookingError("bad_event", f"event must be one of {', '.join(VISIT_EVENTS)}")
        booking = await self.get(number)
        now = self.clock()
        if event == VisitEvent.NO_SHOW:
            if booking.status != BookingStatus.ACTIVE or booking.arrived_at is not None:
                raise BookingError("not_active", f"the booking is {booking.status}", status=booking.status)
            if now < booking.starts_at:
                raise BookingError("too_early", "a visitor is a no-show only after the time of the visit")
            booking.status = BookingStatus.NO_SHOW
        elif event == VisitEvent.ARRIVED:
            if booking.status != BookingStatus.ACTIVE or booking.arrived_at is not None:
                raise BookingError("not_active", f"the booking is {booking.status}", status=booking.status)
            booking.arrived_at = now
        else:
            if booking.status != BookingStatus.ACTIVE:
                raise BookingError("not_active", f"the booking is {booking.status}", status=booking.status)
            booking.arrived_at = booking.arrived_at or now
            booking.served_at = now
            booking.status = BookingStatus.SERVED
        booking.updated_at = now
        async with self._saving():
            await self._cancel_reminders(booking)
        return booking


def waited_minutes(booking: Booking) -> float | None:
    """How long the visitor waited: from arriving (or the booked time, if later) to being served."""
    if booking.served_at is None or booking.arrived_at is None:
        return None
    start = max(booking.arrived_at, booking.starts_at)
    return max((booking.served_at - start).total_seconds() / 60, 0.0)
