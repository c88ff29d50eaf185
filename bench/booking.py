"""Booking speed: the calendar of a busy centre, and many people confirming the same slots.

Run: python bench/booking.py [sqlite] [postgresql+asyncpg://...]   (default: sqlite, a temporary file)
Prints how long ``bookable_days`` (every calendar render) and ``free_slots`` (every day
opened) take with a month of bookings in a centre (4 windows), then 500 people confirming
at once 20 places (5 slots of 4 windows): how many were booked and told full, whether any
place was booked twice, and the confirmation latency (p50, p99). Exits 1 unless exactly 20
bookings were made, none double, and everyone else was told the time is full.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.fake import fresh_database  # noqa: E402
from bot.app import build_services  # noqa: E402
from config import load_settings  # noqa: E402
from domain.deadlines import ALMATY  # noqa: E402
from domain.slots import BookingConfig  # noqa: E402
from services.bookings import BookingError, BookingService  # noqa: E402
from storage.database import create_session_factory  # noqa: E402
from storage.models import Booking, User  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ALMATY)
PSC = ("psc_military_service_certificate", "psc_aktau")
RACERS, SLOTS, WINDOWS = 500, 5, 4
RACE_USER = 100_000


async def main(url: str) -> list[str]:
    engine = await fresh_database(url)
    sessions = create_session_factory(engine, lambda: NOW)
    services = build_services(load_settings(bot_token="1:bench", _env_file=None), clock=lambda: NOW)
    services = replace(services, booking_config=BookingConfig(
        services.booking_config.defaults, {**services.booking_config.offices, PSC[1]: {"windows": WINDOWS}}))

    # A month of a busy centre: every slot but the last of each day full.
    async with sessions() as session:
        bookings = services.units(sessions).over(session).bookings
        placement = bookings.placement(*PSC)
        rules = bookings.rules(placement)
        places = []
        for day in await bookings.bookable_days(*PSC):
            for start, _free in (await bookings.free_slots(*PSC, day))[:-1]:
                places.extend((start, seat) for seat in range(rules.windows))
        users = len(places)
        session.add_all(User(id=n, first_seen=NOW, last_seen=NOW) for n in range(1, users + 1))
        await session.flush()
        session.add_all(
            Booking(user_id=n, service_id="military_service_certificate", standard_id=PSC[0], office_id=PSC[1],
                    starts_at=start, seat=seat, status="active", language="ru", created_at=NOW, updated_at=NOW)
            for n, (start, seat) in enumerate(places, start=1)
        )
        await session.commit()
    print(f"bookings in the centre: {users}")

    async def timed(call: Callable[[BookingService], Awaitable[object]], repeat: int = 50) -> float:
        times = []
        for _ in range(repeat):
            async with sessions() as session:
                service = services.units(sessions).over(session).bookings
                began = time.perf_counter()
                await call(service)
                times.append(time.perf_counter() - began)
        return statistics.median(times) * 1000

    days_ms = await timed(lambda s: s.bookable_days(*PSC))
    slots_ms = await timed(lambda s: s.free_slots(*PSC, NOW.date() + timedelta(days=1)))
    print(f"bookable_days (calendar): median {days_ms:.1f} ms")
    print(f"free_slots (one day):     median {slots_ms:.1f} ms")

    # The race: 500 people confirm at once, 100 on each of 5 slots with 4 windows: 20 places.
    async with sessions() as session:
        session.add_all(User(id=RACE_USER + n, first_seen=NOW, last_seen=NOW) for n in range(RACERS))
        await session.commit()
    async with sessions() as session:
        service = services.units(sessions).over(session).bookings
        targets = [(await service.free_slots(*PSC, day))[-1][0]
                   for day in (await service.bookable_days(*PSC))[:SLOTS]]

    outcomes: list[str] = []
    latencies: list[float] = []

    async def attempt(n: int) -> None:
        began = time.perf_counter()
        async with sessions() as session:
            service = services.units(sessions).over(session).bookings
            try:
                await service.book(RACE_USER + n, *PSC, targets[n % SLOTS], "ru")
                outcomes.append("booked")
            except BookingError as error:
                outcomes.append(error.code)
        latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(attempt(n) for n in range(RACERS)))
    elapsed = time.perf_counter() - began
    async with sessions() as session:
        taken = (await session.execute(
            select(Booking.starts_at, Booking.seat).where(Booking.user_id >= RACE_USER, Booking.status == "active")
        )).all()
    places = SLOTS * rules.windows
    doubles = len(taken) - len(set(taken))
    p99 = sorted(latencies)[int(0.99 * len(latencies))] * 1000
    print(f"{RACERS} concurrent confirmations for {places} places in {SLOTS} slots: "
          f"{outcomes.count('booked')} booked, {outcomes.count('full')} told full, "
          f"{len(outcomes) - outcomes.count('booked') - outcomes.count('full')} other; "
          f"stored {len(taken)}, double {doubles}; "
          f"confirm p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99:.0f} ms; {elapsed:.2f} s in all")
    await engine.dispose()
    missed = []
    if outcomes.count("booked") != places or len(taken) != places:
        missed.append(f"{places} bookings expected")
    if doubles:
        missed.append("a place booked twice")
    if outcomes.count("booked") + outcomes.count("full") != RACERS:
        missed.append("someone got neither a booking nor «full»")
    return missed


async def bench_all(urls: list[str]) -> int:
    missed = []
    with tempfile.TemporaryDirectory() as folder:
        for url in urls:
            database = f"sqlite+aiosqlite:///{folder}/bench.sqlite3" if url == "sqlite" else url
            print(f"--- {'PostgreSQL' if database.startswith('postgresql') else 'SQLite'}")
            missed += await main(database)
    if missed:
        print("goal missed: " + "; ".join(missed))
        return 1
    print("goals met")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(bench_all(sys.argv[1:] or ["sqlite"])))
