"""The quality indicators benchmark: a quarter of one office with 100,000 cases in PostgreSQL.

Run: python bench/indicators.py [--database postgresql+asyncpg://postgres@127.0.0.1:5432/kenes_indicators]
                                [--cases 100000] [--complaints 10000] [--runs 20]
(the database given is emptied first; --keep times what an earlier run seeded)

Seeds a year (2026) of the registry's data in bulk: cases of every standard at every office
(a fifth of them at the measured office, psc_aktau for the military service certificate,
so its quarter holds about 5,000 decided cases), with due dates, results on time or late,
returns and open cases; survey answers for a third of the issued cases; complaints with
outcomes, answers in time or late, and their surveys; served visits with waits and the
courtesy answer. Then times services.indicators.report for 2026-Q4 at that office (the
whole report: every indicator with its twelve-month trend) and prints p50 / p95 / max; the
same for all the standard's offices and for the year, for information. Exits 1 if the
office's quarter takes 500 ms or more at p95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bench.fake import fresh_database  # noqa: E402
from domain.catalog import load_catalog  # noqa: E402
from domain.deadlines import ALMATY  # noqa: E402
from domain.indicators import Period  # noqa: E402
from services.indicators import report  # noqa: E402
from storage.database import create_engine, create_session_factory  # noqa: E402
from storage.models import Booking, Case, Complaint, SurveyAnswer, User  # noqa: E402
from storage.repositories import Repositories  # noqa: E402

GOAL_MS = 500.0
STANDARD = "psc_military_service_certificate"
OFFICE = "psc_aktau"
YEAR_START = datetime(2026, 1, 1, tzinfo=ALMATY)
NOW = datetime(2026, 12, 31, 18, 0, tzinfo=ALMATY)
USERS = 2_000
CHUNK = 5_000


def moment_in_year(rng: random.Random) -> datetime:
    """A working-hours moment of 2026 in Almaty (before NOW)."""
    day = YEAR_START + timedelta(days=rng.randrange(0, 364))
    return day.replace(hour=9 + rng.randrange(0, 9), minute=rng.randrange(0, 60))


def case_rows(count: int, placements: list[tuple[str, str, str]], rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        standard, service, office = (STANDARD, "military_service", OFFICE) if n % 5 == 0 else rng.choice(placements)
        submitted = moment_in_year(rng)
        due = (submitted + timedelta(days=rng.choice((3, 5, 7, 15)))).date()
        roll = rng.random()
        ready_at = closed_at = None
        if roll < 0.06:
            status = "returned"
            closed_at = submitted + timedelta(hours=rng.randrange(2, 30))
        elif roll < 0.09:
            status = "refused"
            closed_at = submitted + timedelta(days=rng.randrange(1, 6))
        elif roll < 0.12 and submitted > NOW - timedelta(days=20):
            status = rng.choice(("submitted", "in_work"))
        else:
            ready_at = submitted + timedelta(days=rng.choice((1, 2, 2, 3, 3, 4, 9)), hours=rng.randrange(0, 6))
            status = rng.choice(("ready", "issued", "issued", "issued", "archived"))
            if status != "ready":
                closed_at = ready_at + timedelta(days=rng.randrange(0, 20))
        if ready_at is not None and ready_at > NOW:
            ready_at, closed_at, status = None, None, "in_work"
        if closed_at is not None and closed_at > NOW:
            closed_at = NOW
        rows.append({
            "id": n + 1, "number": f"26-{n + 1:06d}", "user_id": 10_000 + n % USERS, "service_id": service,
            "standard_id": standard, "office_id": office, "status": status, "language": rng.choice(("kk", "ru")),
            "applicant": {"name": "Bench"}, "details": {}, "submitted_at": submitted, "due_date": due,
            "ready_at": ready_at, "closed_at": closed_at, "updated_at": closed_at or ready_at or submitted,
            "version": 1,
        })
    return rows


def complaint_rows(count: int, cases: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        case = cases[rng.randrange(len(cases))] if n % 5 else cases[5 * rng.randrange(len(cases) // 5)]
        registered = moment_in_year(rng)
        due = (registered + timedelta(days=7)).date()
        answered = rng.random() < 0.85 and registered + timedelta(days=10) < NOW
        closed = registered + timedelta(days=rng.randrange(1, 10)) if answered else None
        rows.append({
            "id": n + 1, "number": f"C-26-{n + 1:06d}", "user_id": case["user_id"], "standard_id": case["standard_id"],
            "office_id": case["office_id"], "case_id": case["id"], "topic": rng.choice(("official", "deadline")),
            "text": "Bench complaint text", "complainant": {"name": "Bench"}, "language": case["language"],
            "status": "answered" if answered else "under_review",
            "outcome": rng.choice(("upheld", "partly", "rejected", "rejected")) if answered else None,
            "answer": "Bench answer" if answered else None, "registered_at": registered, "due_date": due,
            "closed_at": closed, "updated_at": closed or registered, "version": 1,
        })
    return rows


def booking_rows(count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        starts = YEAR_START.replace(hour=9) + timedelta(days=n // 80, minutes=15 * ((n % 80) // 6))
        if starts > NOW:
            break
        arrived = starts - timedelta(minutes=rng.randrange(0, 15))
        served = starts + timedelta(minutes=rng.choice((2, 5, 10, 20, 25, 35, 50)))
        rows.append({
            "id": n + 1, "number": f"T-{n + 1:06d}", "user_id": 10_000 + n % USERS, "service_id": "military_service",
            "standard_id": STANDARD, "office_id": OFFICE, "starts_at": starts, "seat": n % 6, "status": "served",
            "language": "ru", "created_at": starts - timedelta(days=1), "updated_at": served, "arrived_at": arrived,
            "served_at": served, "version": 1,
        })
    return rows


def survey_rows(cases: list[dict[str, Any]], complaints: list[dict[str, Any]], bookings: list[dict[str, Any]],
                rng: random.Random) -> list[dict[str, Any]]:
    answers = ("satisfied", "satisfied", "satisfied", "partly", "not_satisfied")
    rows = []
    for case in cases:
        if case["status"] == "issued" and rng.random() < 0.33:
            for question in (1, 2):
                rows.append({"case_id": case["id"], "question": question, "answer": rng.choice(answers),
                             "at": case["closed_at"]})
    for complaint in complaints:
        if complaint["status"] == "answered" and rng.random() < 0.5:
            for question in (1, 2):
                rows.append({"complaint_id": complaint["id"], "question": question, "answer": rng.choice(answers),
                             "at": complaint["closed_at"]})
    for booking in bookings:
        if rng.random() < 0.4:
            rows.append({"booking_id": booking["id"], "question": 1, "answer": rng.choice(answers),
                         "at": booking["served_at"]})
    return rows


async def seed(sessions: Any, catalog: Any, cases: int, complaints: int) -> dict[str, int]:
    rng = random.Random(16)
    placements = [(s.id, s.service, o.id) for s in catalog.standards.values() for o in catalog.offices_of(s.id)]
    case_data = case_rows(cases, placements, rng)
    complaint_data = complaint_rows(complaints, case_data, rng)
    booking_data = booking_rows(30_000, rng)
    survey_data = survey_rows(case_data, complaint_data, booking_data, rng)
    created = datetime(2025, 12, 1, tzinfo=UTC)
    async with sessions() as session:
        await session.execute(insert(User), [{"id": 10_000 + n, "language": "ru", "first_seen": created,
                                              "last_seen": created} for n in range(USERS)])
        for model, rows in ((Case, case_data), (Complaint, complaint_data), (Booking, booking_data),
                            (SurveyAnswer, survey_data)):
            for start in range(0, len(rows), CHUNK):
                await session.execute(insert(model), rows[start:start + CHUNK])
        await session.commit()
        for table in ("cases", "complaints", "bookings", "survey_answers"):
            await session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM {table}))"))
        await session.commit()
    async with sessions() as session:
        await session.execute(text("ANALYZE"))
        await session.commit()
    return {"cases": len(case_data), "complaints": len(complaint_data), "visits": len(booking_data),
            "survey answers": len(survey_data),
            "cases at the office": sum(1 for c in case_data if c["office_id"] == OFFICE
                                       and c["standard_id"] == STANDARD)}


async def timed(sessions: Any, catalog: Any, runs: int, office: str | None, period: Period) -> tuple[list[float], Any]:
    """Milliseconds of each run of the whole report (a fresh session each, as a request has)."""
    times, found = [], None
    for _ in range(runs + 1):
        began = time.perf_counter()
        async with sessions() as session:
            found = await report(Repositories(session), catalog, standard_id=STANDARD, office_id=office,
                                 period=period, now=NOW)
        times.append((time.perf_counter() - began) * 1000)
    return times[1:], found  # the first run warms the connection pool and the statement cache


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms   max {ordered[-1]:6.1f} ms"


def p95_of(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/kenes_indicators")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true",
                        help="time the database an earlier run seeded (do not empty and seed it again)")
    args = parser.parse_args()
    if not args.database.startswith("postgresql"):
        parser.error("the benchmark runs on PostgreSQL")
    catalog = load_catalog()
    engine = create_engine(args.database) if args.keep else await fresh_database(args.database)
    sessions = create_session_factory(engine, lambda: NOW)
    if not args.keep:
        began = time.perf_counter()
        counts = await seed(sessions, catalog, args.cases, args.complaints)
        print(f"seeded in {time.perf_counter() - began:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    quarter = Period.parse("2026-Q4")
    office_times, found = await timed(sessions, catalog, args.runs, OFFICE, quarter)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (shared with whatever else runs)")
    print(f"{STANDARD} at {OFFICE}, {quarter} ({args.runs} runs): {summary(office_times)}")
    for result in found.indicators:
        shown = "not measured" if result.reason else f"{result.part} of {result.whole} = {result.value} %"
        print(f"  {result.code:>4} {result.direction.value} {result.normative}: {shown:<28} {result.verdict.value}")
    all_times, _ = await timed(sessions, catalog, max(3, args.runs // 4), None, quarter)
    print(f"{STANDARD} at all offices, {quarter}: {summary(all_times)}")
    year_times, _ = await timed(sessions, catalog, max(3, args.runs // 4), OFFICE, Period.parse("2026"))
    print(f"{STANDARD} at {OFFICE}, 2026: {summary(year_times)}")
    await engine.dispose()
    p95 = p95_of(office_times)
    if p95 >= GOAL_MS:
        print(f"MISSED: the office's quarter took {p95:.1f} ms at p95 (goal < {GOAL_MS:.0f} ms)")
        return 1
    print(f"ok: the office's quarter at p95 {p95:.1f} ms < {GOAL_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
