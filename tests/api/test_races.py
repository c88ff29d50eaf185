"""Twenty back-office clients make the same move at once: one wins, nineteen hear 409 with the
state the winner left, and the history records the move once (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select

from storage.models import Booking, CaseEvent, ComplaintEvent
from tests.api.conftest import AUTH
from tests.conftest import App, FakeClock
from tests.test_bookings import AKIMAT, TUESDAY, at, book, users
from tests.test_case_service import add_user, submit
from tests.test_complaints import register as register_complaint

CONTENDERS = 20


async def all_at_once(base: str, path: str, body: dict) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=CONTENDERS)
    async with httpx.AsyncClient(base_url=base, headers=AUTH, limits=limits, timeout=60) as client:
        return await asyncio.gather(*(client.post(path, json=body) for _ in range(CONTENDERS)))


def one_winner(responses: list[httpx.Response]) -> list[dict]:
    """The losers' bodies, after checking there is one 200 and the rest are 409s."""
    assert Counter(r.status_code for r in responses) == {200: 1, 409: CONTENDERS - 1}, [
        (r.status_code, r.text[:200]) for r in responses if r.status_code not in (200, 409)]
    return [r.json() for r in responses if r.status_code == 409]


async def test_twenty_accepts_of_one_case(live_api: str, app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    losers = one_winner(await all_at_once(live_api, f"/api/v1/cases/{number}/actions",
                                          {"action": "accept", "actor": "docflow"}))
    assert {body["error"] for body in losers} <= {"illegal_transition", "concurrent"}
    assert all(body["current"]["status"] == "in_work" for body in losers)
    async with app.sessions() as session:
        accepts = await session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "accept"))
    assert accepts == 1


async def test_twenty_takes_of_one_complaint(live_api: str, app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await register_complaint(app)
    losers = one_winner(await all_at_once(live_api, f"/api/v1/complaints/{number}/actions", {"action": "take"}))
    assert all(body["current"]["status"] == "under_review" for body in losers)
    async with app.sessions() as session:
        takes = await session.scalar(select(func.count()).select_from(ComplaintEvent)
                                     .where(ComplaintEvent.action == "take"))
    assert takes == 1


async def test_twenty_arrival_marks_of_one_visit(live_api: str, app: App, clock: FakeClock) -> None:
    await users(app, 7001)
    booked = await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    clock.now = at(TUESDAY, 9, 55)
    losers = one_winner(await all_at_once(live_api, "/api/v1/bookings/T-000001/visit", {"event": "arrived"}))
    arrived_at = "2026-11-24T09:55:00+05:00"
    assert all(body["current"]["arrived_at"] == arrived_at for body in losers)
    async with app.sessions() as session:
        booking = await session.scalar(select(Booking).where(Booking.number == "T-000001"))
    assert booking is not None and booking.version == booked.version + 1  # written once
