"""Booking speed: the calendar of a busy centre, and many people confirming the same slots.

Run: python bench/booking.py [DATABASE_URL]   (default: a temporary SQLite file)
Prints how long ``bookable_days`` (every calendar render) and ``free_slots`` (every day
opened) take with a month of bookings in a centre, and the rate of concurrent bookings
with the number of conflicts the database resolved.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.app import build_services  # noqa: E402
from bot.config import load_settings  # noqa: E402
from domain.deadlines import ALMATY  # noqa: E402
from registry.bookings import BookingError, BookingService  # noqa: E402
from storage.database import create_engine, create_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Booking, User  # noqa: E402
from storage.repositories import Repositories  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ALMATY)
PSC = ("psc_military_service_certificate", "psc_aktau")


async def main(url: str) -> None:
    engine = create_engine(url)
    if url.startswith("postgresql"):
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    sessions = create_session_factory(engine)
    services = build_services(load_settings(bot_token="1:bench", _env_file=None), clock=lambda: NOW)

    # A month of a busy centre: every slot but the last of each day full.
    async with sessions() as session:
        bookings = services.booking_service(Repositories(session))
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
                service = services.booking_service(Repositories(session))
                began = time.perf_counter()
                await call(service)
                times.append(time.perf_counter() - began)
        return statistics.median(times) * 1000

    days_ms = await timed(lambda s: s.bookable_days(*PSC))
    slots_ms = await timed(lambda s: s.free_slots(*PSC, NOW.date() + timedelta(days=1)))
    print(f"bookable_days (calendar): median {days_ms:.1f} ms")
    print(f"free_slots (one day):     median {slots_ms:.1f} ms")

    # Concurrent confirmations: 200 people, 20 free slots' last places.
    async with sessions() as session:
        for n in range(200):
            session.add(User(id=100_000 + n, first_seen=NOW, last_seen=NOW))
        await session.commit()
    async with sessions() as session:
        targets = []
        service = services.booking_service(Repositories(session))
        for day in (await service.bookable_days(*PSC))[:20]:
            targets.append((await service.free_slots(*PSC, day))[-1][0])

    outcomes: list[str] = []

    async def attempt(n: int) -> None:
        async with sessions() as session:
            service = services.booking_service(Repositories(session))
            try:
                await service.book(100_000 + n, *PSC, targets[n % len(targets)], "ru")
                outcomes.append("booked")
            except BookingError as error:
                outcomes.append(error.code)

    began = time.perf_counter()
    await asyncio.gather(*(attempt(n) for n in range(200)))
    elapsed = time.perf_counter() - began
    print(f"200 concurrent confirmations for {len(targets) * rules.windows} places: "
          f"{outcomes.count('booked')} booked, {outcomes.count('full')} told full, "
          f"{elapsed:.2f} s ({200 / elapsed:.0f} confirmations/s)")
    await engine.dispose()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        database = sys.argv[1] if len(sys.argv) > 1 else f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        asyncio.run(main(database))
