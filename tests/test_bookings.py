"""The booking service: free places, limits, cancel and move, no double booking, reminders, visits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import select

from domain.deadlines import ALMATY
from jobs.outbox import OutboxWorker
from services.bookings import BookingError, BookingService, parse_number, waited_minutes
from storage.models import Booking, OutboxMessage
from tests.conftest import App, FakeClock
from tests.test_case_service import add_user

PSC = ("psc_military_service_certificate", "psc_aktau")          # 6 windows
BENEFITS = ("psc_benefits_certificate", "psc_aktau")             # the same centre, another service
AKIMAT = ("mangystau_missionary", "mangystau_uvp_228")           # 2 windows, 09:00-18:30, lunch 12:30-14:00
TUESDAY = date(2026, 11, 24)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ALMATY)


@asynccontextmanager
async def service(app: App) -> AsyncIterator[BookingService]:
    async with app.sessions() as session:
        yield app.services.units(app.sessions).over(session).bookings


async def book(app: App, user: int, where: tuple[str, str], starts_at: datetime, language: str = "ru") -> Booking:
    async with service(app) as bookings:
        return await bookings.book(user, *where, starts_at, language)


async def users(app: App, *ids: int, language: str = "ru") -> None:
    for user_id in ids:
        await add_user(app, user_id, language)


async def outbox(app: App) -> list[OutboxMessage]:
    async with app.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def free(app: App, where: tuple[str, str], day: date) -> dict[str, int]:
    async with service(app) as bookings:
        return {f"{s.astimezone(ALMATY):%H:%M}": n for s, n in await bookings.free_slots(*where, day)}


async def test_a_booking_takes_a_place_and_gets_a_number(app: App, clock: FakeClock) -> None:
    await users(app, 7001)
    assert (await free(app, AKIMAT, TUESDAY))["10:00"] == 2
    booking = await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    assert booking.number == "T-000001" and booking.status == "active" and booking.service_id == "missionary"
    assert (await free(app, AKIMAT, TUESDAY))["10:00"] == 1
    # Other offices keep their places: capacity is per office.
    assert (await free(app, ("mangystau_foreign_media", "mangystau_uvp_232"), TUESDAY))["10:00"] == 2
    assert parse_number("т 1") == parse_number("T-000001") == "T-000001"


async def test_a_full_slot_and_a_full_day_are_not_offered(app: App, clock: FakeClock) -> None:
    await users(app, *range(8001, 8003))
    for user in (8001, 8002):
        await book(app, user, AKIMAT, at(TUESDAY, 10))
    slots = await free(app, AKIMAT, TUESDAY)
    assert "10:00" not in slots and slots["10:15"] == 2
    with pytest.raises(BookingError) as error:
        await book(app, 8003, AKIMAT, at(TUESDAY, 10))
    assert error.value.code == "full"

    # Fill every place of Wednesday directly, as many people would have.
    wednesday = TUESDAY + timedelta(days=1)
    await users(app, *range(10_000, 10_100))
    async with service(app) as bookings:
        placement = bookings.placement(*AKIMAT)
        starts = [s for s, _n in await bookings.free_slots(*AKIMAT, wednesday)]
        for n, start in enumerate(starts):
            for seat in range(2):
                bookings.session.add(Booking(
                    user_id=10_000 + 2 * n + seat, service_id=placement.standard.service, standard_id=AKIMAT[0],
                    office_id=AKIMAT[1], starts_at=start, seat=seat, status="active", language="ru",
                    created_at=clock.now, updated_at=clock.now))
        await bookings.repositories.commit()
        days = await bookings.bookable_days(*AKIMAT)
    assert wednesday not in days and TUESDAY in days
    assert await free(app, AKIMAT, wednesday) == {}


async def test_bookable_days_skip_weekends_and_holidays(app: App, clock: FakeClock) -> None:
    async with service(app) as bookings:
        akimat = await bookings.bookable_days(*AKIMAT)
        psc = await bookings.bookable_days(*PSC)
    assert akimat[0] == date(2026, 11, 23), "today still has times after 11:00"
    assert date(2026, 11, 28) not in akimat and date(2026, 11, 29) not in akimat
    assert date(2026, 11, 28) in psc and date(2026, 11, 29) not in psc, "PSCs work Saturdays"
    assert date(2026, 12, 16) not in akimat and date(2026, 12, 16) not in psc, "Independence Day"
    assert akimat[-1] == date(2026, 12, 23) and psc[-1] == date(2026, 12, 23), "the 30-day horizon"


async def test_one_active_booking_per_service(app: App, clock: FakeClock) -> None:
    await users(app, 7001)
    first = await book(app, 7001, PSC, at(TUESDAY, 10))
    with pytest.raises(BookingError) as error:
        await book(app, 7001, PSC, at(TUESDAY, 15))
    assert error.value.code == "active_exists" and error.value.details["number"] == first.number
    # Another service in the same centre is fine.
    assert (await book(app, 7001, BENEFITS, at(TUESDAY, 15))).number == "T-000002"


async def test_at_most_two_bookings_in_ten_days(app: App, clock: FakeClock) -> None:
    await users(app, 7001)
    await book(app, 7001, PSC, at(TUESDAY, 10))
    await book(app, 7001, BENEFITS, at(TUESDAY, 11))
    with pytest.raises(BookingError) as error:
        await book(app, 7001, AKIMAT, at(TUESDAY, 11))
    assert error.value.code == "too_many" and error.value.details == {"limit": 2, "days": 10}
    # A cancelled booking does not count; nor do bookings made more than ten days ago.
    async with service(app) as bookings:
        await bookings.cancel("T-000002", 7001)
    assert (await book(app, 7001, AKIMAT, at(TUESDAY, 11))).status == "active"
    clock.advance(days=10, minutes=1)
    async with service(app) as bookings:
        await bookings.check_user(7001, "benefits_certificate", bookings.rules(bookings.placement(*BENEFITS)))


async def test_cancel_frees_the_place_at_once_and_drops_the_reminders(app: App, clock: FakeClock) -> None:
    await users(app, 7001, 7002, 7003)
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    await book(app, 7002, AKIMAT, at(TUESDAY, 10))
    assert [m.kind for m in await outbox(app)] == ["reminder_day", "reminder_hour"] * 2
    async with service(app) as bookings:
        cancelled = await bookings.cancel("T-000001", 7001)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at == clock.now
    assert (await free(app, AKIMAT, TUESDAY))["10:00"] == 1
    assert (await book(app, 7003, AKIMAT, at(TUESDAY, 10))).seat == 0, "the freed seat is taken again"
    statuses = [(m.booking_id, m.status) for m in await outbox(app)]
    assert statuses[:2] == [(1, "cancelled"), (1, "cancelled")] and statuses[2:4] == [(2, "pending")] * 2


async def test_only_the_owner_cancels_and_only_up_to_the_notice(app: App, clock: FakeClock) -> None:
    await users(app, 7001, 7002)
    await book(app, 7001, AKIMAT, at(date(2026, 11, 23), 11, 30))
    async with service(app) as bookings:
        with pytest.raises(BookingError) as error:
            await bookings.cancel("T-000001", 7002)
        assert error.value.code == "not_found", "someone else's talon looks like a missing one"
    clock.advance(minutes=31)  # 10:31: less than an hour before 11:30
    async with service(app) as bookings:
        with pytest.raises(BookingError) as error:
            await bookings.cancel("T-000001", 7001)
        assert error.value.code == "too_late" and error.value.details == {"minutes": 60}
        with pytest.raises(BookingError) as error:
            await bookings.reschedule("T-000001", 7001, at(TUESDAY, 10))
        assert error.value.code == "too_late"
        assert (await bookings.get("T-000001")).status == "active"


async def test_reschedule_keeps_the_number_and_moves_the_reminders(app: App, clock: FakeClock) -> None:
    await users(app, 7001)
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    async with service(app) as bookings:
        moved = await bookings.reschedule("T-000001", 7001, at(TUESDAY + timedelta(days=2), 15, 15))
    assert moved.number == "T-000001" and moved.starts_at == at(date(2026, 11, 26), 15, 15)
    assert (await free(app, AKIMAT, TUESDAY))["10:00"] == 2
    assert (await free(app, AKIMAT, date(2026, 11, 26)))["15:15"] == 1
    rows = await outbox(app)
    assert [(m.kind, m.status) for m in rows] == [("reminder_day", "cancelled"), ("reminder_hour", "cancelled"),
                                                  ("reminder_day", "pending"), ("reminder_hour", "pending")]
    assert rows[2].available_at == at(date(2026, 11, 25), 18) and rows[3].available_at == at(date(2026, 11, 26),
                                                                                             14, 15)
    # A move to a full or impossible time changes nothing.
    async with service(app) as bookings:
        with pytest.raises(BookingError) as error:
            await bookings.reschedule("T-000001", 7001, at(TUESDAY, 13))  # lunch
        assert error.value.code == "slot_unavailable"
        assert (await bookings.get("T-000001")).starts_at == at(date(2026, 11, 26), 15, 15)


async def test_times_that_cannot_be_booked(app: App, clock: FakeClock) -> None:
    await users(app, 7001)
    for moment in (at(date(2026, 11, 23), 10, 30),   # sooner than an hour from now
                   at(date(2026, 11, 22), 10),       # in the past
                   at(TUESDAY, 10, 7),               # not a slot's start
                   at(date(2026, 11, 28), 10),       # Saturday at an akimat department
                   at(date(2026, 12, 16), 10),       # Independence Day
                   at(date(2027, 1, 11), 10)):       # beyond the horizon
        with pytest.raises(BookingError) as error:
            await book(app, 7001, AKIMAT, moment)
        assert error.value.code == "slot_unavailable", moment
    with pytest.raises(BookingError) as error:
        await book(app, 7001, ("almaty_city_foreign_periodicals", "almaty_city_uvp"), at(TUESDAY, 10))
    assert error.value.code == "not_bookable", "the e-service has no visiting hours"
    async with app.sessions() as session:
        assert list(await session.scalars(select(Booking))) == []


@pytest.mark.parametrize("contenders", [12])
async def test_the_last_place_goes_to_exactly_one(app: App, clock: FakeClock, contenders: int) -> None:
    """Many people confirm the last place of a slot at the same moment, each in their own transaction."""
    people = list(range(20_001, 20_001 + contenders))
    await users(app, 7001, *people)
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))  # one of two windows is taken

    async def attempt(user: int) -> str:
        try:
            return (await book(app, user, AKIMAT, at(TUESDAY, 10))).number or ""
        except BookingError as error:
            return error.code

    results = await asyncio.gather(*(attempt(user) for user in people))
    assert sorted(results).count("full") == contenders - 1, results
    async with app.sessions() as session:
        rows = list(await session.scalars(select(Booking).where(Booking.status == "active")))
    assert len(rows) == 2 and {r.seat for r in rows} == {0, 1}
    assert await free(app, AKIMAT, TUESDAY) == {k: v for k, v in (await free(app, AKIMAT, TUESDAY)).items()
                                                if k != "10:00"}


async def test_many_confirmations_of_an_empty_slot_fill_exactly_its_windows(app: App, clock: FakeClock) -> None:
    people = list(range(30_001, 30_021))
    await users(app, *people)

    async def attempt(user: int) -> str:
        try:
            return (await book(app, user, PSC, at(TUESDAY, 12))).number or ""
        except BookingError as error:
            return error.code

    results = await asyncio.gather(*(attempt(user) for user in people))
    winners = [r for r in results if r.startswith("T-")]
    assert len(winners) == 6 and len(set(winners)) == 6 and results.count("full") == 14, results
    async with app.sessions() as session:
        seats = sorted(await session.scalars(select(Booking.seat).where(Booking.starts_at == at(TUESDAY, 12))))
    assert seats == [0, 1, 2, 3, 4, 5]


async def test_double_confirmation_of_one_user_books_once(app: App, clock: FakeClock) -> None:
    await users(app, 7001)

    async def attempt(hour: int) -> str:
        try:
            return (await book(app, 7001, PSC, at(TUESDAY, hour))).number or ""
        except BookingError as error:
            return error.code

    results = await asyncio.gather(*(attempt(hour) for hour in (10, 11, 12, 15, 16)))
    assert len([r for r in results if r.startswith("T-")]) == 1, results
    async with app.sessions() as session:
        assert len(list(await session.scalars(select(Booking)))) == 1


async def test_reminders_are_sent_once_and_not_after_a_cancel(app: App, clock: FakeClock) -> None:
    await users(app, 7001, language="kk")
    await users(app, 7002, language="ru")
    await book(app, 7001, AKIMAT, at(TUESDAY, 10), language="kk")
    await book(app, 7002, AKIMAT, at(TUESDAY, 11), language="ru")
    app.session.clock = clock
    worker = OutboxWorker(app.bot, app.sessions, clock=clock, sleep=clock.sleep)

    def sent() -> list[SendMessage]:
        return [m for m in app.session.requests if isinstance(m, SendMessage)]

    await worker.deliver_due()
    assert sent() == [], "nothing before its time"
    clock.now = at(date(2026, 11, 23), 18, 0, )
    await worker.deliver_due()
    evening = sent()
    assert sorted(m.chat_id for m in evening) == [7001, 7002]
    kk = next(m for m in evening if m.chat_id == 7001)
    assert "Ертең сіздің келу уақытыңыз, № T-000001 талон" in kk.text
    assert "🗓 2026\u202fж. 24 қараша, 10:00" in kk.text and "228 кабинет" in kk.text
    assert [b.callback_data for b in kk.reply_markup.inline_keyboard[0]] == ["bk:hours:T-000001",
                                                                             "bk:cancel:T-000001"]
    assert [b.text for b in kk.reply_markup.inline_keyboard[0]] == ["🕘 Бүгінгі жұмыс уақыты", "❌ Жазылуды болдырмау"]
    ru = next(m for m in evening if m.chat_id == 7002)
    assert "Завтра ваш приём, талон № T-000002" in ru.text and "<b>Что принести</b>" in ru.text

    clock.advance(minutes=30)
    await worker.deliver_due()
    assert len(sent()) == 2, "each reminder goes once"

    async with service(app) as bookings:
        await bookings.cancel("T-000002", 7002)
    clock.now = at(TUESDAY, 9, 0)
    await worker.deliver_due()
    assert [m.chat_id for m in sent()[2:]] == [7001]
    assert "Бір сағаттан кейін сіздің келу уақытыңыз, № T-000001 талон" in sent()[2].text
    clock.now = at(TUESDAY, 10, 0)
    await worker.deliver_due()
    assert len(sent()) == 3, "no reminder for the cancelled talon, and none twice"
    rows = {(m.booking_id, m.kind): m.status for m in await outbox(app)}
    assert rows == {(1, "reminder_day"): "sent", (1, "reminder_hour"): "sent",
                    (2, "reminder_day"): "sent", (2, "reminder_hour"): "cancelled"}


async def test_no_evening_reminder_for_a_booking_made_that_evening(app: App, clock: FakeClock) -> None:
    await users(app, 7001)
    clock.now = at(date(2026, 11, 23), 19, 0)
    await book(app, 7001, PSC, at(TUESDAY, 9, 30))
    assert [(m.kind, m.available_at) for m in await outbox(app)] == [("reminder_hour", at(TUESDAY, 8, 30))]


async def test_clerk_marks_arrival_service_and_the_wait(app: App, clock: FakeClock) -> None:
    await users(app, 7001, 7002)
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    await book(app, 7002, AKIMAT, at(TUESDAY, 10, 15))
    clock.now = at(TUESDAY, 9, 50)
    async with service(app) as bookings:
        with pytest.raises(BookingError) as error:
            await bookings.mark("T-000002", "no_show")
        assert error.value.code == "too_early"
        arrived = await bookings.mark("T-000001", "arrived")
        assert arrived.arrived_at == clock.now and arrived.status == "active"
    clock.now = at(TUESDAY, 10, 12)
    async with service(app) as bookings:
        served = await bookings.mark("T-000001", "served")
    assert served.status == "served" and served.served_at == clock.now
    assert waited_minutes(served) == 12, "counted from the booked time when the visitor came early"
    clock.now = at(TUESDAY, 10, 40)
    async with service(app) as bookings:
        assert (await bookings.mark("T-000002", "no_show")).status == "no_show"
        with pytest.raises(BookingError) as error:
            await bookings.mark("T-000002", "served")
        assert error.value.code == "not_active"
        with pytest.raises(BookingError) as error:
            await bookings.mark("T-000001", "teleported")
        assert error.value.code == "bad_event"
        day = await bookings.day(AKIMAT[1], TUESDAY)
    assert [(b.number, b.status) for b in day] == [("T-000001", "served"), ("T-000002", "no_show")]
    queued = await outbox(app)
    assert {m.status for m in queued if m.booking_id in (1, 2) and m.kind != "visit_survey"} <= {"cancelled", "sent"}
    # the served visitor is asked about the staff's courtesy (indicator 5.1); the no-show is not
    assert [(m.booking_id, m.status) for m in queued if m.kind == "visit_survey"] == [(1, "pending")]


async def no_shows(app: App, clock: FakeClock, user: int, *visits: datetime) -> None:
    """The user books each visit the day before and does not come."""
    for visit in visits:
        clock.now = visit - timedelta(days=1)
        booking = await book(app, user, AKIMAT, visit)
        clock.now = visit + timedelta(minutes=30)
        async with service(app) as bookings:
            await bookings.mark(booking.number or "", "no_show")


async def test_three_no_shows_in_thirty_days_block_booking_for_fourteen(app: App, clock: FakeClock) -> None:
    await users(app, 7001)
    # Eleven days apart, so the limit of two bookings in ten days does not interfere.
    await no_shows(app, clock, 7001, at(date(2026, 11, 24), 10), at(date(2026, 12, 7), 10), at(date(2026, 12, 18), 10))
    clock.now = at(date(2026, 12, 18), 12)
    with pytest.raises(BookingError) as error:
        await book(app, 7001, PSC, at(date(2026, 12, 21), 10))
    assert error.value.code == "blocked"
    assert error.value.details == {"until": date(2027, 1, 1), "count": 3, "days": 30}
    # On 31 December the first no-show is more than 30 days old, but the block holds its 14 days.
    clock.now = at(date(2026, 12, 31), 9)
    with pytest.raises(BookingError):
        await book(app, 7001, PSC, at(date(2027, 1, 5), 10))
    clock.now = at(date(2027, 1, 1), 9)
    assert (await book(app, 7001, PSC, at(date(2027, 1, 5), 10))).status == "active"


async def test_no_shows_further_apart_do_not_block(app: App, clock: FakeClock) -> None:
    await users(app, 7001)
    # Three no-shows, but never three within 30 days.
    await no_shows(app, clock, 7001, at(date(2026, 11, 24), 10), at(date(2026, 12, 7), 10), at(date(2026, 12, 28), 10))
    clock.now = at(date(2026, 12, 28), 12)
    assert (await book(app, 7001, AKIMAT, at(date(2026, 12, 29), 10))).status == "active"
