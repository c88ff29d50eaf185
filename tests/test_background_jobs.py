"""The morning deadline watch (the downloading of scans: tests/test_scans.py)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from domain.deadlines import ALMATY
from domain.lifecycle import Action
from jobs.daily import DeadlineWatch
from storage.models import OutboxMessage
from tests.conftest import CLERK_CHAT_ID, App, FakeClock
from tests.test_case_service import add_user, service, submit


def watch(app: App, clock: FakeClock) -> DeadlineWatch:
    s = app.services
    return DeadlineWatch(s.units(app.sessions), s.renderer, clerk_chat_id=CLERK_CHAT_ID, locale="ru", at=time(9, 0))


async def digests(app: App) -> list[str]:
    async with app.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
        return [r.text for r in rows]


def test_the_watch_runs_on_working_mornings(app: App, clock: FakeClock) -> None:
    job = watch(app, clock)
    at = lambda d, h=8: datetime(d.year, d.month, d.day, h, 0, tzinfo=ALMATY)  # noqa: E731
    assert job.next_run(at(date(2026, 11, 23), 8)) == at(date(2026, 11, 23), 9)
    assert job.next_run(at(date(2026, 11, 23), 10)) == at(date(2026, 11, 24), 9)
    # Friday after nine: the next is Monday; before Nowruz 2026 (21-25 March): Thursday 26.
    assert job.next_run(at(date(2026, 11, 27), 10)) == at(date(2026, 11, 30), 9)
    assert job.next_run(at(date(2026, 3, 20), 10)) == at(date(2026, 3, 26), 9)


async def test_the_digest_lists_overdue_and_due_today_once_a_day(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    overdue = await submit(app)  # due Thursday 26 November
    clock.advance(days=2)
    due_friday = await submit(app)  # Wednesday 25th + 3 working days: Monday 30th
    clock.now = datetime(2026, 11, 27, 9, 0, tzinfo=ALMATY)
    assert await watch(app, clock).run_once(date(2026, 11, 27))
    (text,) = await digests(app)
    assert "Сроки на 27 ноября 2026" in text.replace("\u202f", " ")
    assert f"Просрочено: 1</b>\n• <code>{overdue}</code>" in text
    assert "Срок сегодня: 0" in text and due_friday not in text
    assert not await watch(app, clock).run_once(date(2026, 11, 27)), "a restart does not send it again"
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=ALMATY)
    await watch(app, clock).run_once(date(2026, 11, 30))
    texts = await digests(app)
    assert len(texts) == 2 and f"Срок сегодня: 1</b>\n• <code>{due_friday}</code>" in texts[1]


async def test_the_watch_archives_results_not_collected(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    async with service(app) as cases:
        await cases.transition(number, Action.ACCEPT, "clerk:1")
        await cases.transition(number, Action.READY, "clerk:1")
    clock.now = datetime(2026, 12, 24, 9, 0, tzinfo=ALMATY)
    await watch(app, clock).run_once(date(2026, 12, 24))
    async with service(app) as cases:
        assert (await cases.get(number)).status == "archived"
    assert f"переданы в архив: {number}" in (await digests(app))[0]
