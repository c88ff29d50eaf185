"""The console benchmark: every page's p95 with 100,000 cases and 10,000 complaints in PostgreSQL.

Run: python bench/console.py [--database postgresql+asyncpg://postgres@127.0.0.1/kenes_bench]
                             [--cases 100000] [--complaints 10000] [--requests 60]
(or KENES_BENCH_DATABASE_URL; the database's public schema is dropped and migrated first)

Seeds the cases (20 offices, every status, due dates over a year, one or two events each, a
scan on some), the complaints and a day of visits with plain INSERTs, then signs a clerk of
one office and a supervisor in through the real console application (httpx over ASGI, in
this process: the time measured is the application's and the database's, not a network's)
and asks each page ``--requests`` times. Prints p50 and p95 per page; exits 1 if a page's
p95 is over the goal (200 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bench.fake import fresh_database, percentile  # noqa: E402
from bot.app import build_services  # noqa: E402
from config import load_settings  # noqa: E402
from console.app import create_console  # noqa: E402
from console.web import ConsoleContext  # noqa: E402
from domain.deadlines import ALMATY  # noqa: E402
from services.staff import Roles, Sessions, Signer, SignInLinks  # noqa: E402
from storage.database import create_engine, create_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Attachment, AuditEntry, Booking, Case, CaseEvent, Complaint, Handoff, User  # noqa: E402
from storage.repositories import Repositories  # noqa: E402

GOAL_MS = 200.0
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY)
CLERK, SUPERVISOR = 900001, 900002
STATUSES = ["submitted", "in_work", "returned", "ready", "issued", "refused", "archived"]
COMPLAINT_STATUSES = ["registered", "under_review", "answered", "forwarded"]
SURNAMES = ["Ахметов", "Бекова", "Серикбаев", "Жумабекова", "Иванов", "Ким", "Нурланов", "Оспанова", "Тулегенов",
            "Сапарова"]
NAMES = ["Ерлан", "Динара", "Арман", "Айгерим", "Нурсултан", "Асель", "Данияр", "Мадина"]
BATCH = 5000


def clock() -> datetime:
    return NOW


async def seed(sessions: Any, placements: list[tuple[str, str, str]], cases: int, complaints: int) -> None:
    rng = random.Random(16)
    users = 20_000
    async with sessions() as session:
        for start in range(0, users, BATCH):
            await session.execute(insert(User), [{"id": 100_000 + i, "language": "ru", "first_seen": NOW,
                                                   "last_seen": NOW} for i in range(start, min(users, start + BATCH))])
        for start in range(1, cases + 1, BATCH):
            rows, events, files = [], [], []
            for i in range(start, min(cases + 1, start + BATCH)):
                standard, service, office = placements[i % len(placements)]
                submitted = NOW - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 600))
                status = rng.choice(STATUSES)
                rows.append({"id": i, "number": f"{submitted.year % 100:02d}-{i:06d}", "user_id": 100_000 + i % users,
                             "service_id": service, "standard_id": standard, "office_id": office, "status": status,
                             "language": "ru", "details": {}, "submitted_at": submitted,
                             "applicant": {"kind": "individual", "name": f"{rng.choice(SURNAMES)} {rng.choice(NAMES)}",
                                           "iin": "900101300126", "phone": "+77011234567"},
                             "due_date": (submitted + timedelta(days=rng.randint(3, 30))).date(),
                             "updated_at": submitted, "version": 1})
                events.append({"case_id": i, "at": submitted, "actor": f"user:{100_000 + i % users}",
                               "action": "submit", "to_status": "submitted"})
                if status != "submitted":
                    events.append({"case_id": i, "at": submitted + timedelta(hours=2), "actor": "clerk:900001",
                                   "action": "accept", "from_status": "submitted", "to_status": "in_work"})
                if i % 3 == 0:
                    files.append({"case_id": i, "document_id": "military_id", "file_id": f"f{i}",
                                  "file_unique_id": f"u{i}", "kind": "photo", "mime_type": "image/jpeg",
                                  "download_attempts": 0})
            await session.execute(insert(Case), rows)
            await session.execute(insert(CaseEvent), events)
            if files:
                await session.execute(insert(Attachment), files)
        rows = []
        for i in range(1, complaints + 1):
            standard, _service, office = placements[i % len(placements)]
            registered = NOW - timedelta(days=rng.randint(0, 365))
            rows.append({"id": i, "number": f"C-{registered.year % 100:02d}-{i:06d}", "user_id": 100_000 + i % users,
                         "standard_id": standard, "office_id": office, "topic": "courtesy",
                         "text": "Сотрудник грубо разговаривал и отказался принять документы.",
                         "complainant": {"name": "Бекова Динара"}, "language": "ru",
                         "status": rng.choice(COMPLAINT_STATUSES), "registered_at": registered,
                         "due_date": (registered + timedelta(days=7)).date(), "updated_at": registered, "version": 1})
        for start in range(0, len(rows), BATCH):
            await session.execute(insert(Complaint), rows[start:start + BATCH])
        standard, service, office = placements[0]
        day = datetime.combine(NOW.date(), datetime.min.time(), tzinfo=ALMATY)
        await session.execute(insert(Booking), [
            {"number": f"B-{i:06d}", "user_id": 100_000 + i, "service_id": service, "standard_id": standard,
             "office_id": office, "starts_at": day + timedelta(hours=9, minutes=15 * (i // 3)), "seat": i % 3,
             "status": "active", "language": "ru", "created_at": NOW, "updated_at": NOW, "version": 1}
            for i in range(80)])
        await session.execute(insert(Handoff), [{"user_id": 100_000 + i, "opened_at": NOW - timedelta(minutes=i)}
                                                for i in range(30)])
        await session.execute(insert(AuditEntry), [
            {"at": NOW - timedelta(minutes=i), "source": "console", "actor": "clerk:900001", "origin": "10.0.0.1",
             "action": "case.view", "target": f"case:26-{i:06d}", "detail": {}} for i in range(1, 20_001)])
        await session.commit()


async def sign_in(client: httpx.AsyncClient, context: ConsoleContext, user_id: int) -> None:
    async with context.sessions() as session:
        repositories = Repositories(session)
        token = await context.links.issue(repositories, user_id)
        await repositories.commit()
    response = await client.post("/console/signin", data={"token": token})
    assert response.status_code == 303, response.text


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("KENES_BENCH_DATABASE_URL",
                                                             "postgresql+asyncpg://postgres@127.0.0.1/kenes_bench"))
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database of an earlier run if it holds the cases (seeding takes minutes)")
    args = parser.parse_args()
    if not args.database.startswith("postgresql"):
        parser.error("the benchmark runs on PostgreSQL (--database postgresql+asyncpg://...)")

    settings = load_settings(bot_token="123456:bench-console", _env_file=None)  # type: ignore[arg-type]
    services = build_services(settings, clock)
    catalog = services.catalog
    placements = [(s.id, s.service, o.id) for s in catalog.standards.values() for o in catalog.offices_of(s.id)
                  if o.id.startswith("psc_")][:20]
    office = placements[0][2]
    seeded = placements[0][0]  # the standard of the clerk's office that the seed fills
    engine = create_engine(args.database)
    seeded = 0
    if args.reuse:
        async with engine.connect() as connection:
            with contextlib.suppress(Exception):
                seeded = (await connection.exec_driver_sql("SELECT count(*) FROM cases")).scalar_one()
    if seeded >= args.cases:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.exec_driver_sql("ANALYZE")
        print(f"reusing the {seeded} cases seeded before")
    else:
        await engine.dispose()
        engine = await fresh_database(args.database)
        started = time.perf_counter()
        await seed(create_session_factory(engine, clock), placements, args.cases, args.complaints)
        async with engine.begin() as connection:  # committed: statistics are rolled back with a transaction
            await connection.exec_driver_sql("ANALYZE")
        print(f"seeded {args.cases} cases, {args.complaints} complaints in {time.perf_counter() - started:.1f} s")
    sessions = create_session_factory(engine, clock)

    signer = Signer("bench-console-secret-0123456789-0123456789")
    context = ConsoleContext(
        units=services.units(sessions), file_store=Path("/nonexistent"),
        i18n=services.i18n,
        roles=Roles(frozenset({CLERK}), frozenset({SUPERVISOR}), {CLERK: frozenset({office})}),
        links=SignInLinks(signer, clock, timedelta(minutes=5)),
        staff_sessions=Sessions(signer, clock, timedelta(hours=8)),
        default_locale="ru")
    app = create_console(context)
    number = f"{NOW.year % 100:02d}-{len(placements) * 7:06d}"  # a case of the clerk's office (id % 20 == 0)
    async with sessions() as session:
        found = await Repositories(session).console.cases(offices=None, office=office, limit=1)
        number = found[0].number or number
        complaint = (await Repositories(session).console.complaints(offices=None, office=office, limit=1))[0].number
    pages = {
        "cases (clerk's office)": ("clerk", "/console/cases"),
        "cases: status in_work": ("clerk", "/console/cases?status=in_work"),
        "cases: overdue": ("clerk", "/console/cases?overdue=1"),
        "cases: page 20": ("clerk", "/console/cases?page=20"),
        "cases: search by number": ("clerk", f"/console/cases?q={number}"),
        "cases: search by name": ("clerk", "/console/cases?q=Серикбаев"),
        "case page": ("clerk", f"/console/cases/{number}"),
        "complaints": ("clerk", "/console/complaints"),
        "complaints: overdue": ("clerk", "/console/complaints?overdue=1"),
        "complaint page": ("clerk", f"/console/complaints/{complaint}"),
        "visits board": ("clerk", f"/console/visits?office={office}"),
        "hand-offs": ("clerk", "/console/handoffs"),
        "cases (supervisor, all offices)": ("supervisor", "/console/cases"),
        "cases: overdue, all offices": ("supervisor", "/console/cases?overdue=1"),
        "complaints (supervisor)": ("supervisor", "/console/complaints"),
        "audit log (20,000 entries)": ("supervisor", "/console/audit"),
        "indicators: quarter, clerk's office": ("clerk", f"/console/indicators?standard={seeded}&office={office}"),
        "indicators: quarter, all offices": ("supervisor", f"/console/indicators?standard={seeded}"),
    }
    failed = []
    clients = {}
    for role, user_id in (("clerk", CLERK), ("supervisor", SUPERVISOR)):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console")
        await sign_in(client, context, user_id)
        clients[role] = client
    print(f"{'page':36} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (role, path) in pages.items():
        client = clients[role]
        times = []
        for attempt in range(args.requests + 3):
            began = time.perf_counter()
            response = await client.get(path)
            elapsed = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                print(f"{name}: {response.status_code}")
                failed.append(name)
                break
            if attempt >= 3:  # the first answers warm the caches (templates, statements)
                times.append(elapsed)
        p95 = percentile(times, 0.95)
        print(f"{name:36} {percentile(times, 0.5):8.1f} {p95:8.1f}{'  MISSED' if p95 > GOAL_MS else ''}")
        if p95 > GOAL_MS:
            failed.append(name)
    for client in clients.values():
        await client.aclose()
    await engine.dispose()
    print(f"goal: every page's p95 under {GOAL_MS:.0f} ms: {'met' if not failed else 'missed: ' + ', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
