"""The registry's case service: submission, moves with history and outbox, privacy, overdue, archive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import pytest
from sqlalchemy import func, select

from domain.lifecycle import Action, IllegalTransition
from services.cases import CaseNotFound, CaseService, NewApplication, NewAttachment, parse_number
from storage.models import CaseEvent, OutboxMessage, User
from storage.repositories import Repositories
from tests.conftest import CLERK_CHAT_ID, App, FakeClock

APPLICANT = {"name": "Ахметов Ерлан", "iin": "900101300126", "phone": "+77011234567"}


@asynccontextmanager
async def service(app: App) -> AsyncIterator[CaseService]:
    async with app.sessions() as session:
        yield app.services.units(app.sessions).over(session).cases


async def add_user(app: App, user_id: int, language: str) -> None:
    async with app.sessions() as session:
        repositories = Repositories(session)
        user = await repositories.users.touch(user_id)
        await repositories.users.set_language(user, language)
        await repositories.commit()


async def submit(app: App, user_id: int = 7001, standard: str = "psc_military_service_certificate",
                 office: str = "psc_aktau") -> str:
    async with service(app) as cases:
        case = await cases.submit(NewApplication(
            user_id=user_id, standard_id=standard, office_id=office, language="ru", applicant=APPLICANT,
            attachments=[NewAttachment("military_id", "file-1", "uniq-1", "photo", "image/jpeg", None, 2048)],
        ))
        return case.number or ""


async def outbox(app: App) -> list[OutboxMessage]:
    async with app.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_submission(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    assert number == "26-000001"
    async with service(app) as cases:
        case = await cases.get(number)
        # Monday 23 November 2026 + 3 working days
        assert case.due_date == date(2026, 11, 26)
        assert [e.action for e in case.events] == ["submit"]
        assert case.attachments[0].file_id == "file-1" and case.attachments[0].stored_path is None
    (message,) = await outbox(app)
    assert message.chat_id == CLERK_CHAT_ID and message.kind == "clerks_new_case"
    assert "26-000001" in message.text and message.user_id is None


async def test_a_move_is_recorded_and_announced_together(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "kk")
    number = await submit(app)
    clock.advance(hours=2)
    async with service(app) as cases:
        case = await cases.transition(number, Action.ACCEPT, "clerk:900001")
        assert case.status == "in_work"
        event = case.events[-1]
        assert (event.actor, event.from_status, event.to_status, event.at) == (
            "clerk:900001", "submitted", "in_work", clock.now)
    notice = (await outbox(app))[-1]
    assert notice.chat_id == 7001 and notice.kind == "case_accept" and notice.status == "pending"
    assert "№ 26-000001 өтінішіңіз қабылданып, жұмысқа алынды." in notice.text  # the user's language


async def test_an_illegal_move_changes_nothing(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    before = len(await outbox(app))
    async with service(app) as cases:
        with pytest.raises(IllegalTransition) as error:
            await cases.transition(number, Action.ISSUE, "clerk:900001")
        assert error.value.code == "status"
    async with service(app) as cases:
        case = await cases.get(number)
        assert case.status == "submitted" and len(case.events) == 1
    assert len(await outbox(app)) == before


async def test_two_clerks_at_once_one_wins(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    async with service(app) as first, service(app) as second:
        await first.get(number)
        await second.get(number)  # both have read the case as submitted
        await first.transition(number, Action.ACCEPT, "clerk:1")
        with pytest.raises(IllegalTransition) as error:
            await second.transition(number, Action.ACCEPT, "clerk:2")
    assert error.value.code in ("concurrent", "status")
    async with app.sessions() as session:
        accepts = await session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "accept"))
    assert accepts == 1
    assert [m.kind for m in await outbox(app)].count("case_accept") == 1


async def test_numbers_stay_unique_when_many_apply_at_once(app: App, clock: FakeClock) -> None:
    """Case and complaint numbers come from the database, so simultaneous submissions (other
    processes, on PostgreSQL) never share one."""
    from tests.test_complaints import register

    for user in range(7101, 7121):
        await add_user(app, user, "ru")
    cases = await asyncio.gather(*(submit(app, user) for user in range(7101, 7121)))
    complaints = await asyncio.gather(*(register(app, user) for user in range(7101, 7121)))
    assert len(set(cases)) == len(set(complaints)) == 20
    assert sorted(cases) == [f"26-{n:06d}" for n in range(1, 21)]
    assert sorted(complaints) == [f"C-26-{n:06d}" for n in range(1, 21)]


async def test_only_the_applicant_and_clerks_see_a_case(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    async with service(app) as cases:
        assert (await cases.visible(number, 7001, is_clerk=False)).number == number
        assert (await cases.visible(number, 1, is_clerk=True)).number == number
        with pytest.raises(CaseNotFound):
            await cases.visible(number, 7002, is_clerk=False)
        with pytest.raises(CaseNotFound):
            await cases.visible("26-999999", 7001, is_clerk=False)


async def test_overdue_and_search(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    psc = await submit(app)
    media = await submit(app, standard="mangystau_foreign_media", office="mangystau_uvp_232")
    clock.advance(days=4)  # Friday 27 November: the PSC case (due the 26th) is overdue
    async with service(app) as cases:
        assert [c.number for c in await cases.search(overdue=True)] == [psc]
        assert [c.number for c in await cases.search(service_id="foreign_media")] == [media]
        assert [c.number for c in await cases.open_cases()] == [psc, media]
        await cases.transition(psc, Action.ACCEPT, "clerk:1")
        await cases.transition(psc, Action.READY, "clerk:1")
        assert await cases.search(overdue=True) == []


async def test_uncollected_results_are_archived_after_a_month(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    async with service(app) as cases:
        await cases.transition(number, Action.ACCEPT, "clerk:1")
        await cases.transition(number, Action.READY, "clerk:1")
    clock.advance(days=29)
    async with service(app) as cases:
        assert await cases.archive_uncollected() == []
    clock.advance(days=2)
    async with service(app) as cases:
        assert await cases.archive_uncollected() == [number]
        case = await cases.get(number)
        assert case.status == "archived" and case.events[-1].actor == "system"
    assert (await outbox(app))[-1].kind == "case_archive"


async def test_survey_answers_only_from_the_applicant_of_an_issued_case(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    async with service(app) as cases:
        with pytest.raises(CaseNotFound):
            await cases.answer_survey(number, 7001, 1, "satisfied")  # not issued yet
        for action in (Action.ACCEPT, Action.READY, Action.ISSUE):
            await cases.transition(number, action, "clerk:1")
        with pytest.raises(CaseNotFound):
            await cases.answer_survey(number, 7002, 1, "satisfied")
        await cases.answer_survey(number, 7001, 1, "partly")
        await cases.answer_survey(number, 7001, 1, "satisfied")  # a second press changes nothing
        assert await cases.repositories.survey.answers((await cases.get(number)).id) == {1: "partly"}
    kinds = [m.kind for m in await outbox(app)]
    assert kinds[-2:] == ["case_issue", "survey"]


def test_case_numbers_as_people_type_them() -> None:
    assert parse_number("26-000042") == "26-000042"
    assert parse_number("№ 26 000042") == "26-000042"
    assert parse_number("26000042") == "26-000042"
    assert parse_number("hello") is None and parse_number("2600004") is None


async def test_blocked_flag_is_lifted_when_the_user_writes_again(app: App, clock: FakeClock) -> None:
    await add_user(app, 7001, "ru")
    async with app.sessions() as session:
        await Repositories(session).users.mark_blocked(7001, clock())
        await session.commit()
    client = app.client(user_id=7001)
    await client.send("/menu")
    async with app.sessions() as session:
        assert (await session.get(User, 7001)).blocked_at is None
